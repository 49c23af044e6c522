"""Tests for fcnn.storage.model_file (and the container checks it shares with checkpoints):
model files.

Corrupt files are crafted with the safetensors package itself (or raw bytes), never with the
code under test, and every one must give ModelFileError and nothing else.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import safetensors
import safetensors.numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fcnn import storage
from fcnn.errors import ModelFileError
from fcnn.network import Network
from fcnn.storage import container

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


ARCHITECTURES = [[3, 2], [4, 5, 3], [2, 6, 4, 3], [5, 4, 4, 3, 2]]
HEADS = [
    ("cross_entropy", "softmax"),
    ("mse", "identity"),
    ("mse", "sigmoid"),
    ("mse+ce", "softmax"),
    ("cross_entropy", "sigmoid"),
]


def _net(sizes=(4, 5, 3), loss="cross_entropy", output="softmax", dtype="float64", seed=7):
    hidden = ["tanh", "relu", "sigmoid"][: len(sizes) - 2]
    net = Network(list(sizes), hidden, output=output, loss=loss, seed=seed, dtype=dtype)
    net.params[...] = np.random.default_rng(seed).standard_normal(net.params.size)
    return net


def _decorate(net):
    """Give ``net`` class labels and standardisation statistics."""
    rng = np.random.default_rng(1)
    if net.output == "softmax":
        net.classes = [f"class {i}" for i in range(net.sizes[-1])]
    elif net.output == "sigmoid":
        net.classes = list(range(net.sizes[-1]))
    net.feature_mean = rng.standard_normal(net.sizes[0])
    net.feature_scale = rng.uniform(0.5, 2.0, net.sizes[0])
    return net


def _parts(path):
    """(tensors, metadata) of a safetensors file, read with safetensors alone."""
    with safetensors.safe_open(str(path), framework="np") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata())


def _craft(path, tensors, metadata):
    path.write_bytes(safetensors.numpy.save(tensors, metadata=metadata))
    return path


@pytest.fixture
def saved(tmp_path):
    """A valid model file and the network it holds."""
    net = _decorate(_net())
    storage.save(net, tmp_path / "model.safetensors")
    return tmp_path / "model.safetensors", net


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sizes", ARCHITECTURES, ids=lambda s: "-".join(map(str, s)))
@pytest.mark.parametrize(("loss", "output"), HEADS, ids=lambda h: str(h))
def test_save_load_round_trip_is_bit_identical(tmp_path, dtype, sizes, loss, output):
    net = _decorate(_net(sizes, loss, output, dtype))
    storage.save(net, tmp_path / "m.safetensors")
    got = storage.load(tmp_path / "m.safetensors")
    assert got.config() == net.config()
    assert got.dtype == net.dtype and got.params.dtype == np.dtype(dtype)
    assert got.params.tobytes() == net.params.tobytes()
    assert got.classes == net.classes
    np.testing.assert_array_equal(got.feature_mean, net.feature_mean)
    np.testing.assert_array_equal(got.feature_scale, net.feature_scale)
    X = np.random.default_rng(2).standard_normal((9, sizes[0])).astype(dtype)
    assert got.forward(X).tobytes() == net.forward(X).tobytes()
    np.testing.assert_array_equal(got.predict(got.standardize(X)), net.predict(net.standardize(X)))


def test_round_trip_without_classes_or_statistics(tmp_path):
    net = _net([3, 4, 2], seed=None)
    storage.save(net, tmp_path / "m.safetensors")
    got = storage.load(tmp_path / "m.safetensors")
    assert got.classes is None and got.feature_mean is None and got.feature_scale is None
    assert got.params.tobytes() == net.params.tobytes() and got.config()["seed"] is None


def test_saved_file_is_plain_safetensors_in_seed_notation(saved):
    path, net = saved
    tensors, metadata = _parts(path)
    assert sorted(tensors) == ["W1", "W2", "b1", "b2", "feature_mean", "feature_scale"]
    np.testing.assert_array_equal(tensors["W1"], net.weights[0])  # W^(1): (n_1, n_0)
    assert tensors["W1"].shape == (5, 4) and tensors["W2"].shape == (3, 5)
    assert tensors["b2"].shape == (3,)
    assert metadata["format"] == "fcnn-model" and metadata["format_version"] == "1"
    assert json.loads(metadata["config"]) == net.config()
    assert json.loads(metadata["classes"]) == ["class 0", "class 1", "class 2"]
    assert metadata["fcnn_version"]


def test_save_refuses_nan_parameters_and_leaves_no_file(tmp_path):
    net = _net()
    net.params[3] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        storage.save(net, tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_statistics_of_the_wrong_shape(tmp_path):
    net = _net()
    net.feature_mean = np.zeros(3)
    with pytest.raises(ValueError, match="feature_mean"):
        storage.save(net, tmp_path / "m.safetensors")


def test_save_refuses_class_labels_that_do_not_fit_the_output_layer(tmp_path):
    net = _net()
    net.classes = ["a", "b"]
    with pytest.raises(ValueError, match="2 class labels for 3 softmax output units"):
        storage.save(net, tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_missing_model_file_is_a_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file") as info:
        storage.load(tmp_path / "nope.safetensors")
    assert isinstance(info.value, ValueError)


def test_folder_instead_of_model_file_is_a_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="is a folder"):
        storage.load(tmp_path)


def test_file_over_the_size_limit_is_refused(saved, monkeypatch):
    monkeypatch.setattr(container, "MAX_FILE_BYTES", 100)
    with pytest.raises(ModelFileError, match="byte limit"):
        storage.load(saved[0])


def test_oversized_header_length_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes((2**40).to_bytes(8, "little") + b"{}" * 10)
    with pytest.raises(ModelFileError, match="header too large"):
        storage.load(path)


def test_header_length_past_the_end_is_truncation(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes((1000).to_bytes(8, "little") + b"{}")
    with pytest.raises(ModelFileError, match="truncated"):
        storage.load(path)


def test_a_file_that_is_not_safetensors_is_not_an_fcnn_model(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text("sepal_length,sepal_width,species\n5.1,3.5,setosa\n" * 20)
    with pytest.raises(ModelFileError, match="not an fcnn model file: .*not a safetensors file"):
        storage.load(path)
    with pytest.raises(ModelFileError, match="not an fcnn checkpoint file"):
        storage.load_checkpoint(path)


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (b"\xff\xfe{", "not a safetensors file"),
        (b"{\xff\xfe", "not valid JSON"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "not a safetensors file"),
        (b'{"W1": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}', "no fcnn metadata"),
        (b'{"__metadata__": {"format": 1}}', "no fcnn metadata"),
        (b'{"__metadata__": {"format": "pt"}}', "not an fcnn model file"),
        (b'{"__metadata__": {"format": ["fcnn-model"]}}', "not an fcnn model file"),
        (b'{"__metadata__": {"format": "fcnn-model"}}', "no 'format_version'"),
        (b'{"__metadata__": {"format": "fcnn-model", "format_version": "2"}}', "upgrade fcnn"),
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not valid JSON"),
    ],
)
def test_bad_headers_are_explained(tmp_path, header, words):
    path = tmp_path / "m.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 8)
    with pytest.raises(ModelFileError, match=words):
        storage.load(path)


def test_pickle_payload_is_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ModelFileError):
        storage.load(path)
    with pytest.raises(ModelFileError):
        storage.load_checkpoint(path)
    assert not marker.exists()


def test_safetensors_file_from_another_tool_is_not_a_model(tmp_path):
    foreign = {"linear.weight": np.zeros((3, 4), np.float32)}
    plain = _craft(tmp_path / "plain.safetensors", foreign, None)
    with pytest.raises(ModelFileError, match="not an fcnn model file"):
        storage.load(plain)
    tagged = _craft(tmp_path / "pt.safetensors", foreign, {"format": "pt"})
    with pytest.raises(ModelFileError, match="not an fcnn model file"):
        storage.load(tagged)


def test_checkpoint_passed_to_load_points_to_load_checkpoint(tmp_path):
    storage.save_checkpoint(tmp_path / "c.safetensors", {"params": np.zeros(3)}, {"epoch": 1})
    with pytest.raises(ModelFileError, match="load_checkpoint"):
        storage.load(tmp_path / "c.safetensors")


def test_model_passed_to_load_checkpoint_points_to_load(saved):
    with pytest.raises(ModelFileError, match=r"open it with fcnn\.load\b"):
        storage.load_checkpoint(saved[0])


def _edited(saved, tmp_path, tensors=None, **metadata):
    """A copy of the saved model with some tensors and metadata entries replaced."""
    base_tensors, base_metadata = _parts(saved[0])
    base_tensors.update(tensors or {})
    base_metadata.update(metadata)
    return _craft(tmp_path / "edited.safetensors", base_tensors, base_metadata)


@pytest.mark.parametrize(
    ("tensors", "words"),
    [
        ({"W1": np.zeros((4, 5))}, r"W1 has shape \(4, 5\)"),
        ({"b2": np.zeros(4)}, r"b2 has shape \(4,\)"),
        ({"feature_mean": np.zeros(5)}, "feature_mean has shape"),
        ({"W1": np.zeros((5, 4), np.float32)}, "W1 has dtype float32, expected float64"),
        ({"W2": np.zeros((3, 5), np.int64)}, "W2 has dtype int64"),
        ({"feature_scale": np.ones(4, np.int32)}, "feature_scale has dtype int32"),
        ({"W3": np.zeros((2, 3))}, r"unexpected: \['W3'\]"),
        ({"W1": np.full((5, 4), np.nan)}, "W1 holds NaN or infinite"),
        ({"b1": np.array([0, np.inf, 0, 0, 0])}, "b1 holds NaN or infinite"),
        ({"feature_scale": np.array([1, 1, -np.inf, 1])}, "feature_scale holds NaN"),
    ],
)
def test_tensors_inconsistent_with_config_are_rejected(saved, tmp_path, tensors, words):
    with pytest.raises(ModelFileError, match=words):
        storage.load(_edited(saved, tmp_path, tensors))


def test_missing_tensor_is_named(saved, tmp_path):
    tensors, metadata = _parts(saved[0])
    del tensors["b1"]
    path = _craft(tmp_path / "m.safetensors", tensors, metadata)
    with pytest.raises(ModelFileError, match=r"missing: \['b1'\]"):
        storage.load(path)


def _config(**changes):
    cfg = _net().config()
    cfg.update(changes)
    return json.dumps(cfg)


@pytest.mark.parametrize(
    ("metadata", "words"),
    [
        ({"config": "{oops"}, "'config' is not valid JSON"),
        ({"config": "[]"}, "'config' is not a JSON object"),
        ({"config": _config(sizes=[4])}, "sizes must be a list"),
        ({"config": _config(sizes=[4, 0, 3])}, "positive ints"),
        ({"config": _config(sizes=[4, 5.0, 3])}, "positive ints"),
        ({"config": _config(dtype="float16")}, "dtype must be one of"),
        ({"config": _config(dtype="float32")}, "W1 has dtype float64, expected float32"),
        ({"config": _config(sizes=[4, 6, 3])}, r"W1 has shape \(5, 4\)"),
        ({"config": _config(activation=["swish"])}, "unknown activation 'swish'"),
        ({"config": _config(output="identity")}, "needs a probability output"),
        ({"config": _config(loss="hinge")}, "unknown loss"),
        ({"config": _config(reduction="max")}, "unknown reduction"),
        ({"config": _config(init="zeros")}, "unknown init"),
        ({"config": _config(seed="abc")}, "seed must be an int"),
        ({"config": _config(colour="red")}, "invalid config"),
        ({"classes": "{oops"}, "'classes' is not valid JSON"),
        ({"classes": '{"a": 1}'}, "classes must be null or a list"),
        ({"classes": "[[1], [2], [3]]"}, "classes must be null or a list"),
    ],
)
def test_bad_config_metadata_is_rejected(saved, tmp_path, metadata, words):
    with pytest.raises(ModelFileError, match=words):
        storage.load(_edited(saved, tmp_path, **metadata))


@pytest.mark.parametrize(
    ("classes", "words"),
    [
        ("[0]", r"1 class labels for 3 softmax output units \(need 3\)"),
        ('["a", "b", "c", "d"]', "4 class labels for 3 softmax"),
        ("[0, 0, 1]", "duplicate labels"),
        ('[1, "1", 2]', "duplicate labels"),
    ],
)
def test_load_refuses_class_labels_that_do_not_fit_the_output_layer(
    saved, tmp_path, classes, words
):
    with pytest.raises(ModelFileError, match=words):
        storage.load(_edited(saved, tmp_path, classes=classes))


@pytest.mark.parametrize(
    ("n_outputs", "classes", "fits"),
    [
        (1, ["no", "yes"], True),  # one sigmoid unit: binary labels
        (1, [0], True),  # fitted on a single class (scikit-learn's LabelBinarizer)
        (1, [0, 1, 2], False),
        (3, [0, 1, 2], True),  # multi-label: one label per unit
        (3, [0, 1], False),
    ],
)
def test_sigmoid_models_take_two_labels_for_one_unit_or_one_label_per_unit(
    tmp_path, n_outputs, classes, fits
):
    net = _net((4, 5, n_outputs), output="sigmoid")
    storage.save(net, tmp_path / "m.safetensors")
    path = _edited((tmp_path / "m.safetensors", net), tmp_path, classes=json.dumps(classes))
    if fits:
        assert storage.load(path).classes == classes
    else:
        with pytest.raises(ModelFileError, match=f"{len(classes)} class labels for {n_outputs}"):
            storage.load(path)


def test_identity_models_keep_any_class_labels(tmp_path):
    net = _net((4, 5, 1), loss="mse", output="identity")
    storage.save(net, tmp_path / "m.safetensors")
    path = _edited((tmp_path / "m.safetensors", net), tmp_path, classes="[0, 1, 2]")
    assert storage.load(path).classes == [0, 1, 2]


def test_metadata_without_config_is_rejected(saved, tmp_path):
    tensors, metadata = _parts(saved[0])
    del metadata["config"]
    path = _craft(tmp_path / "m.safetensors", tensors, metadata)
    with pytest.raises(ModelFileError, match="no 'config'"):
        storage.load(path)


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.safetensors"
    storage.save(_decorate(_net([3, 4, 2], dtype="float32")), path)
    return path.read_bytes()


def _only_model_file_errors(path):
    """Load ``path``; the only acceptable failure is ModelFileError. Returns the net or None."""
    try:
        net = storage.load(path)
    except ModelFileError:
        return None
    assert np.all(np.isfinite(net.params))
    return net


@FUZZ
@given(junk=st.binary(max_size=4096))
def test_random_bytes_give_model_file_error(tmp_path, junk):
    path = tmp_path / "m.safetensors"
    path.write_bytes(junk)
    with pytest.raises(ModelFileError):
        storage.load(path)


@FUZZ
@given(data=st.data())
def test_truncated_model_gives_model_file_error(tmp_path, model_bytes, data):
    cut = data.draw(st.integers(0, len(model_bytes) - 1))
    path = tmp_path / "m.safetensors"
    path.write_bytes(model_bytes[:cut])
    with pytest.raises(ModelFileError):
        storage.load(path)


@pytest.mark.slow
@settings(FUZZ, max_examples=500)
@given(data=st.data())
def test_bit_flipped_model_loads_finite_or_gives_model_file_error(tmp_path, model_bytes, data):
    flips = data.draw(st.lists(st.integers(0, 8 * len(model_bytes) - 1), min_size=1, max_size=8))
    corrupt = bytearray(model_bytes)
    for bit in flips:
        corrupt[bit // 8] ^= 1 << (bit % 8)
    path = tmp_path / "m.safetensors"
    path.write_bytes(bytes(corrupt))
    _only_model_file_errors(path)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@pytest.mark.slow
@FUZZ
@given(key=st.sampled_from(sorted(_net().config()) + ["classes", "extra"]), value=JSON)
def test_any_json_in_a_config_field_loads_or_gives_model_file_error(saved, tmp_path, key, value):
    tensors, metadata = _parts(saved[0])
    if key == "classes":
        metadata["classes"] = json.dumps(value)
    else:
        cfg = json.loads(metadata["config"])
        cfg[key] = value
        metadata["config"] = json.dumps(cfg)
    _only_model_file_errors(_craft(tmp_path / "m.safetensors", tensors, metadata))
