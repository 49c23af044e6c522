"""ONNX export: the exported graph, run by onnxruntime, computes what fcnn computes.

The reference is fcnn's own readable forward pass (``Network.forward``, ``Network.predict``)
and, for the skl2onnx converter, the estimators' ``predict``/``predict_proba`` and what
skl2onnx makes of ``MLPClassifier`` in the same pipeline. onnxruntime is an independent
implementation of every op, so agreement to rounding checks the graph, not the exporter's
own arithmetic.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402

import fcnn  # noqa: E402
from fcnn import cli  # noqa: E402
from fcnn.export import onnx_graph  # noqa: E402

OUTPUTS = {  # name: (output, loss, n_outputs)
    "softmax": ("softmax", "cross_entropy", 3),
    "sigmoid": ("sigmoid", "cross_entropy", 1),
    "multilabel": ("sigmoid", "mse+ce", 3),
    "identity": ("identity", "mse", 2),
    "exp": ("exp", "poisson", 2),  # Poisson regression
}
REGRESSION = ("identity", "exp")
# float32 to 1e-5 (the issue's bound); float64 to a few ulps of the outputs' scale
ATOL = {"float32": 1e-5, "float64": 1e-12}


def session(model) -> ort.InferenceSession:
    data = model if isinstance(model, bytes | str) else model.SerializeToString()
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def run_model(model, X: np.ndarray) -> dict[str, np.ndarray]:
    sess = session(model)
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, {sess.get_inputs()[0].name: X}), strict=True))


def network(activation: str, kind: str, dtype: str, seed: int = 0) -> fcnn.Network:
    output, loss, n_out = OUTPUTS[kind]
    return fcnn.Network([4, 6, 5, n_out], activation, output, loss, seed=seed, dtype=dtype)


def inputs(dtype: str, n: int = 200, seed: int = 1) -> np.ndarray:
    # scale 3: pre-activations reach the saturating and the negative parts of every function
    return (3 * np.random.default_rng(seed).normal(size=(n, 4))).astype(dtype)


# --------------------------------------------------------------- every activation x output
def test_every_builtin_activation_is_exportable():
    assert set(onnx_graph.EXPORTABLE) == set(fcnn.activations.BUILTIN)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", list(OUTPUTS))
@pytest.mark.parametrize("activation", fcnn.activations.BUILTIN)
def test_onnxruntime_outputs_equal_forward_and_labels_equal_predict(activation, kind, dtype):
    net = network(activation, kind, dtype)
    X = inputs(dtype)
    got = run_model(fcnn.export_onnx(net), X)
    P = got["variable" if kind in REGRESSION else "probabilities"]
    assert P.dtype == np.dtype(dtype)
    assert_allclose(P, net.forward(X), rtol=ATOL[dtype], atol=ATOL[dtype])
    if kind in REGRESSION:
        assert list(got) == ["variable"]
    else:
        assert got["label"].dtype == np.int64
        assert_array_equal(got["label"], net.predict(X))


@pytest.mark.parametrize(
    "sizes, activation",
    [([4, 3], []), ([4, 5, 6, 7, 3], ["softplus", "leaky_relu", "sigmoid"])],
)
def test_no_hidden_layer_and_one_activation_per_layer_export_too(sizes, activation):
    net = fcnn.Network(sizes, activation, seed=3, dtype="float64")
    X = inputs("float64")
    got = run_model(fcnn.export_onnx(net), X)
    assert_allclose(got["probabilities"], net.forward(X), atol=1e-12)
    assert_array_equal(got["label"], net.predict(X))


def test_softplus_graph_holds_for_large_inputs_without_overflow():
    net = network("softplus", "identity", "float32")
    X = np.array([[90.0, -90.0, 40.0, -40.0], [200.0, 0.0, -200.0, 1e-3]], np.float32)
    got = run_model(fcnn.export_onnx(net), X)["variable"]
    assert np.isfinite(got).all()
    assert_allclose(got, net.forward(X), rtol=1e-5)


# ------------------------------------------------------------------ standardisation, labels
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_standardisation_statistics_are_applied_in_the_graph(dtype):
    net = network("tanh", "softmax", dtype)
    rng = np.random.default_rng(2)
    net.feature_mean = rng.normal(size=4).astype(dtype)
    net.feature_scale = rng.uniform(0.5, 3, size=4).astype(dtype)
    X = (50 + 10 * rng.normal(size=(100, 4))).astype(dtype)  # raw, unscaled data
    got = run_model(fcnn.export_onnx(net), X)
    assert_allclose(got["probabilities"], net.forward(net.standardize(X)), atol=ATOL[dtype])
    assert_array_equal(got["label"], net.predict(net.standardize(X)))


@pytest.mark.parametrize(
    "classes, dtype",
    [
        (["setosa", "versicolor", "virginica"], object),
        ([3, 7, 11], np.int64),
        ([0.0, 1.0, 2.0], np.int64),  # integral floats become int64, as in skl2onnx
        ([1.5, 2, "x"], object),  # anything else: the labels' text
    ],
)
def test_softmax_labels_are_the_networks_classes(classes, dtype):
    net = network("relu", "softmax", "float32")
    net.classes = classes
    X = inputs("float32")
    got = run_model(fcnn.export_onnx(net), X)["label"]
    assert got.dtype == dtype
    want = np.array([str(c) if dtype is object else int(c) for c in classes], dtype=dtype)
    assert_array_equal(got, want[net.predict(X)])


def test_single_sigmoid_labels_are_the_two_classes_by_threshold_half():
    net = network("tanh", "sigmoid", "float64")
    net.classes = ["no", "yes"]
    X = inputs("float64")
    got = run_model(fcnn.export_onnx(net), X)
    assert_array_equal(got["label"], np.where(net.forward(X)[:, 0] > 0.5, "yes", "no"))
    assert got["probabilities"].shape == (len(X), 1)  # what net.forward returns


def test_single_sigmoid_fitted_on_one_class_labels_every_sample_with_it():
    net = network("relu", "sigmoid", "float32")
    net.classes = ["only"]  # a model file may hold one label for one sigmoid unit
    got = run_model(fcnn.export_onnx(net), inputs("float32"))["label"]
    assert set(got.tolist()) == {"only"}


def test_multilabel_labels_are_the_indicator_matrix():
    net = network("relu", "multilabel", "float32")
    net.classes = [0, 1, 2]
    X = inputs("float32")
    got = run_model(fcnn.export_onnx(net), X)["label"]
    assert got.shape == (len(X), 3)
    assert_array_equal(got, (net.forward(X) > 0.5).astype(np.int64))


# -------------------------------------------------------------------- the model as a file
def test_export_writes_a_checked_model_file_with_metadata(tmp_path):
    net = network("leaky_relu", "softmax", "float32")
    path = tmp_path / "model.onnx"
    returned = fcnn.export_onnx(net, path)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert model.SerializeToString() == returned.SerializeToString()
    assert model.producer_name == "fcnn"
    assert [(o.domain, o.version) for o in model.opset_import] == [("", onnx_graph.OPSET)]
    ops = {node.op_type for node in model.graph.node}
    assert {"Gemm", "Softmax", "ArgMax"} <= ops
    meta = {p.key: p.value for p in model.metadata_props}
    assert fcnn.Network.from_config(__import__("json").loads(meta["config"])).sizes == net.sizes
    X = inputs("float32")
    assert_allclose(run_model(str(path), X)["probabilities"], net.forward(X), atol=1e-5)


def test_an_older_opset_can_be_asked_for():
    net = network("sigmoid", "sigmoid", "float32")
    model = fcnn.export_onnx(net, opset=13)
    assert model.opset_import[0].version == 13
    X = inputs("float32")
    assert_allclose(run_model(model, X)["probabilities"], net.forward(X), atol=1e-5)


@pytest.mark.parametrize("opset", [12, "17", True])
def test_bad_opset_is_refused(opset):
    with pytest.raises(ValueError, match="opset must be an int >= 13"):
        fcnn.export_onnx(network("tanh", "softmax", "float32"), opset=opset)


def test_custom_activation_is_refused_with_the_exportable_names():
    fcnn.register_activation("square_test", lambda a: a * a, lambda a: 2 * a)
    try:
        net = fcnn.Network([2, 3, 2], "square_test", seed=0)
        with pytest.raises(ValueError, match="cannot export activation 'square_test'.*tanh"):
            fcnn.export_onnx(net)
    finally:
        fcnn.activations.unregister_activation("square_test")


def test_an_estimator_is_refused_with_the_way_to_export_it():
    from fcnn.sklearn import FCNNRegressor

    with pytest.raises(TypeError, match="network_"):
        fcnn.export_onnx(FCNNRegressor())


# ------------------------------------------------------------------- optional dependency
@pytest.mark.slow
def test_import_fcnn_does_not_import_onnx():
    code = "import sys, fcnn, fcnn.cli; print('onnx' in sys.modules, 'skl2onnx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.slow
def test_missing_onnx_gives_the_install_command(tmp_path):
    fcnn.save(network("tanh", "softmax", "float64"), tmp_path / "m.safetensors")
    code = (
        "import sys; sys.modules['onnx'] = None\n"
        "from fcnn import cli\n"
        f"sys.exit(cli.main(['export', {str(tmp_path / 'm.safetensors')!r}, '--out', "
        f"{str(tmp_path / 'm.onnx')!r}]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "pip install 'fcnn[onnx]'" in out.stderr
    assert not (tmp_path / "m.onnx").exists()


# --------------------------------------------------------------------------------- the CLI
def cli_run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_export_of_a_run_folder_writes_a_model_onnxruntime_runs(tmp_path, capsys):
    run_dir = tmp_path / "run"
    argv = ["train", "--dataset", "spirals", "--layers", "auto,8,auto", "--epochs", "3"]
    argv += ["--standardize", "--no-figures", "--no-progress", "--out", run_dir]
    assert cli_run(capsys, *argv)[0] == 0
    code, out, err = cli_run(
        capsys, "export", run_dir, "--format", "onnx", "--out", tmp_path / "m.onnx"
    )
    assert (code, err) == (0, "")
    assert "wrote" in out and "opset 17" in out
    net = fcnn.load(run_dir / "model.safetensors")
    assert net.feature_mean is not None  # --standardize: the statistics travel in the graph
    X = inputs("float64", seed=5)[:, : net.n_inputs].astype(net.dtype)
    got = run_model(str(tmp_path / "m.onnx"), X)
    assert_allclose(got["probabilities"], net.forward(net.standardize(X)), atol=1e-12)
    labels = np.asarray(net.classes)[net.predict(net.standardize(X))]
    assert_array_equal(got["label"], labels)


def test_cli_export_help_documents_every_option_with_its_default(capsys):
    code, stdout, _ = cli_run(capsys, "export", "--help")
    assert code == 0
    for flag in ("--format", "--out", "--opset", "--force"):
        assert flag in stdout
    assert "(default: onnx)" in stdout and "(required)" in stdout and "(default: 17)" in stdout
    assert "export" in cli_run(capsys, "--help")[1]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--format", "tflite"], "invalid choice: 'tflite'"),
        (["--opset", "9"], "opset must be an int >= 13"),
    ],
)
def test_cli_export_bad_options_give_one_line_errors(tmp_path, capsys, argv, message):
    fcnn.save(network("tanh", "softmax", "float32"), tmp_path / "m.safetensors")
    code, out, err = cli_run(
        capsys, "export", tmp_path / "m.safetensors", "--out", tmp_path / "m.onnx", *argv
    )
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
    assert not (tmp_path / "m.onnx").exists()


def test_cli_export_of_a_missing_model_file_is_one_line(tmp_path, capsys):
    code, out, err = cli_run(
        capsys, "export", tmp_path / "nope.safetensors", "--out", tmp_path / "m.onnx"
    )
    assert code == 2 and err.count("\n") == 1 and "nope.safetensors" in err


def test_cli_export_never_overwrites_without_force(tmp_path, capsys):
    fcnn.save(network("relu", "identity", "float64"), tmp_path / "m.safetensors")
    (tmp_path / "m.onnx").write_text("keep")
    code, _, err = cli_run(
        capsys, "export", tmp_path / "m.safetensors", "--out", tmp_path / "m.onnx"
    )
    assert code == 2 and "--force" in err and (tmp_path / "m.onnx").read_text() == "keep"
    code, _, _ = cli_run(
        capsys, "export", tmp_path / "m.safetensors", "--out", tmp_path / "m.onnx", "--force"
    )
    assert code == 0 and "variable" in [
        o.name for o in onnx.load(str(tmp_path / "m.onnx")).graph.output
    ]


# --------------------------------------------------------------------- skl2onnx pipelines
skl2onnx = pytest.importorskip("skl2onnx")
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from fcnn.export import register_skl2onnx  # noqa: E402
from fcnn.sklearn import FCNNClassifier, FCNNRegressor  # noqa: E402


def fitted_pipeline(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        return make_pipeline(StandardScaler(), estimator).fit(X, y)


def signature(model) -> list[tuple[str, str]]:
    """The outputs' names and types (``onnx.helper.printable_type``), e.g. ZipMap's sequence."""
    return [(o.name, onnx.helper.printable_type(o.type).split("[")[0]) for o in model.graph.output]


IRIS = load_iris(return_X_y=True)
TARGETS = {
    "int": IRIS[1],
    "str": np.array(["setosa", "versicolor", "virginica"])[IRIS[1]],
    "binary_str": np.where(IRIS[1] == 2, "virginica", "other"),
}


@pytest.mark.parametrize("target", list(TARGETS))
def test_pipeline_ending_in_fcnnclassifier_converts_as_one_ending_in_mlpclassifier(target):
    register_skl2onnx()
    X, y = IRIS[0], TARGETS[target]
    ours = fitted_pipeline(FCNNClassifier((8,), max_iter=30, random_state=0), X, y)
    theirs = fitted_pipeline(MLPClassifier((8,), max_iter=30, random_state=0), X, y)
    X32 = X.astype(np.float32)
    model = skl2onnx.to_onnx(ours, X32[:1])
    assert signature(model) == signature(skl2onnx.to_onnx(theirs, X32[:1]))  # ZipMap, labels
    got = run_model(model, X32)
    assert_array_equal(got["output_label"], ours.predict(X))
    P = np.array([[row[c] for c in ours.classes_] for row in got["output_probability"]])
    assert_allclose(P, ours.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pipeline_without_zipmap_gives_predict_proba_columns(dtype):
    register_skl2onnx()
    X, y = IRIS[0], TARGETS["binary_str"]
    pipe = fitted_pipeline(
        FCNNClassifier((8,), activation="tanh", max_iter=30, random_state=0), X, y
    )
    model = skl2onnx.to_onnx(pipe, X[:1].astype(dtype), options={"zipmap": False})
    got = run_model(model, X.astype(dtype))
    assert got["probabilities"].dtype == dtype and got["probabilities"].shape == (150, 2)
    assert_allclose(
        got["probabilities"], pipe.predict_proba(X), atol=1e-5 if dtype is np.float32 else 1e-12
    )
    assert_array_equal(got["label"], pipe.predict(X))


def test_multilabel_classifier_converts_to_the_indicator_matrix():
    register_skl2onnx()
    X, y = IRIS[0], np.column_stack([IRIS[1] == 1, IRIS[1] == 2, IRIS[0][:, 0] > 5.8]).astype(int)
    pipe = fitted_pipeline(FCNNClassifier((8,), max_iter=30, random_state=0), X, y)
    got = run_model(skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False}), X)
    assert_array_equal(got["label"], pipe.predict(X))
    assert_allclose(got["probabilities"], pipe.predict_proba(X), atol=1e-12)


def test_pipeline_ending_in_fcnnregressor_converts_multi_output():
    register_skl2onnx()
    X = IRIS[0][:, :2]
    Y = IRIS[0][:, 2:]
    pipe = fitted_pipeline(
        FCNNRegressor((8,), activation="softplus", max_iter=30, random_state=0), X, Y
    )
    got = run_model(skl2onnx.to_onnx(pipe, X[:1].astype(np.float32)), X.astype(np.float32))
    assert_allclose(got["variable"], pipe.predict(X), rtol=1e-5, atol=1e-5)
