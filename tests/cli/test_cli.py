"""End-to-end tests of the ``fcnn`` command: train, evaluate, predict, gradcheck, and every
kind of bad input, which must give one line on stderr, no traceback and a non-zero exit code.

Most tests call ``fcnn.cli.main`` in-process (fast); a few run ``python -m fcnn`` and the
console script in a subprocess. Expected metrics are recomputed from the saved model with the
library (``fcnn.load``, ``Network.predict``) and plain NumPy, not taken from the CLI's code.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import fcnn
from fcnn import cli
from fcnn.cli.flags import FLAGS
from fcnn.data.datasets import gaussians
from fcnn.runs import config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FAST = ["--no-progress", "--no-figures"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``fcnn argv`` in-process: (exit code, stdout, stderr)."""
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path: Path, header: list[str], rows) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> tuple[Path, int, str]:
    """``fcnn train --out DIR``: the main job with every default, figures included."""
    out = tmp_path_factory.mktemp("default") / "run"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(["train", "--out", str(out), "--no-progress"])
    return out, code, stdout.getvalue()


@pytest.fixture(scope="module")
def labelled_csv(tmp_path_factory) -> tuple[Path, Path, np.ndarray]:
    """Two Gaussians as a CSV with a string target column ``species`` (cat/dog), and the same
    rows without the target column; returns (with_target, features_only, labels)."""
    folder = tmp_path_factory.mktemp("csv")
    X, y = gaussians(n_samples=120, seed=3)
    names = np.array(["cat", "dog"])[y]
    rows = [[f"{a:.6f}", f"{b:.6f}", s] for (a, b), s in zip(X, names, strict=True)]
    with_target = write_csv(folder / "animals.csv", ["x1", "x2", "species"], rows)
    features = write_csv(folder / "features.csv", ["x1", "x2"], [r[:2] for r in rows])
    return with_target, features, names


# ------------------------------------------------------------------------------------ train


def test_train_with_defaults_writes_the_run_folder_and_a_summary(default_run):
    out, code, stdout = default_run
    assert code == 0
    expected = {"config.toml", "model.safetensors", "history.csv", "checkpoint.safetensors"}
    expected |= {"data.png", "loss.png", "accuracy.png", "parameters.png"}
    assert expected <= {p.name for p in out.iterdir()}
    assert "epochs        300 in" in stdout
    assert "loss" in stdout and "(mse " in stdout and ", ce " in stdout
    assert f"run folder    {out}" in stdout
    assert "model.safetensors" in stdout.splitlines()[-1]


def test_default_job_reaches_95_percent_accuracy(default_run):
    out, _, _ = default_run
    X, y = gaussians()  # the default data: two Gaussians with seed 10
    net = fcnn.load(out / "model.safetensors")
    assert net.sizes == (2, 2, 2) and net.loss_name == "mse+ce"
    assert np.mean(net.predict(X) == y) >= 0.95
    rows = read_csv(out / "history.csv")
    assert len(rows) == 300 and float(rows[-1]["accuracy"]) >= 0.95


def test_run_folder_holds_the_resolved_config(default_run):
    out, _, _ = default_run
    with open(out / "config.toml", "rb") as f:
        assert config.validate(tomllib.load(f)) == config.resolve()


def test_existing_run_folder_is_not_overwritten_without_force(default_run, capsys):
    out, _, _ = default_run
    before = (out / "model.safetensors").read_bytes()
    code, _, err = run(capsys, "train", "--out", out, "--epochs", 3, *FAST)
    assert code == 2 and "--force" in err and len(err.splitlines()) == 1
    assert (out / "model.safetensors").read_bytes() == before


def test_force_overwrites_a_run_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(capsys, "train", "--out", out, "--epochs", 3, *FAST)[0] == 0
    code, stdout, _ = run(capsys, "train", "--out", out, "--epochs", 4, "--force", *FAST)
    assert code == 0 and "epochs        4 in" in stdout
    assert len(read_csv(out / "history.csv")) == 4


def test_flags_override_the_config_file(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[training]\nlr = 0.1\nepochs = 7\n[network]\nlayers = [2, 3, 2]\n")
    out = tmp_path / "run"
    assert run(capsys, "train", "--config", cfg, "--epochs", 5, "--out", out, *FAST)[0] == 0
    with open(out / "config.toml", "rb") as f:
        written = tomllib.load(f)
    assert written["training"]["epochs"] == 5  # flag
    assert written["training"]["lr"] == 0.1  # file
    assert written["network"]["layers"] == [2, 3, 2]  # file
    assert written["network"]["loss"] == "mse+ce"  # default


def test_default_out_is_a_timestamped_folder_under_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, stdout, _ = run(capsys, "train", "--epochs", 2, *FAST)
    assert code == 0
    (folder,) = (tmp_path / "runs").iterdir()
    assert len(folder.name) == len("20261123-154500") and folder.name[8] == "-"
    assert f"runs/{folder.name}" in stdout


def test_seed000_example_reproduces_the_seeds_settings(tmp_path, capsys):
    out = tmp_path / "s0"
    code, stdout, _ = run(
        capsys, "train", "--config", EXAMPLES / "seed000.toml", "--epochs", 20, "--out", out, *FAST
    )
    assert code == 0 and "epochs        20 in" in stdout
    with open(out / "config.toml", "rb") as f:
        cfg = tomllib.load(f)
    assert cfg["training"]["lr"] == 1e-6 and cfg["network"]["init"] == "normal"
    assert cfg["network"]["layers"] == [2, 2, 2] and cfg["network"]["loss"] == "mse+ce"
    assert cfg["training"]["optimizer"] == "gd" and cfg["training"]["batch_size"] == 0
    assert cfg["data"]["options"]["seed"] == 10


def test_seed000_example_barely_moves_the_weights():
    """The example's comment claims lr 1e-6 barely moves the weights: check it directly."""
    with open(EXAMPLES / "seed000.toml", "rb") as f:
        cfg = config.validate(tomllib.load(f))
    net = fcnn.Network(**config.network_kwargs(cfg))
    before = net.params.copy()
    X, y = gaussians(**cfg["data"]["options"])
    net.fit(X, y, epochs=cfg["training"]["epochs"], lr=cfg["training"]["lr"], optimizer="gd")
    assert np.abs(net.params - before).max() < 1e-3


def test_seed002_example_trains_an_l_layer_network_on_mini_batches(tmp_path, capsys):
    out = tmp_path / "s2"
    code, stdout, _ = run(
        capsys, "train", "--config", EXAMPLES / "seed002.toml", "--epochs", 3, "--out", out, *FAST
    )
    assert code == 0 and "val_accuracy" in stdout
    net = fcnn.load(out / "model.safetensors")
    assert net.sizes == (2, 32, 32, 3) and net.reduction == "sum"
    assert net.loss_name == "cross_entropy"


def test_resume_extends_a_finished_run(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(capsys, "train", "--out", out, "--epochs", 3, *FAST)[0] == 0
    code, stdout, _ = run(capsys, "train", "--resume", out, "--epochs", 6, *FAST)
    assert code == 0 and "epochs        6 in" in stdout
    assert len(read_csv(out / "history.csv")) == 6


# --------------------------------------------------------------------------------- evaluate


def test_evaluate_run_folder_prints_loss_accuracy_and_confusion_matrix(default_run, capsys):
    out, _, _ = default_run
    code, stdout, _ = run(capsys, "evaluate", out)
    assert code == 0
    X, y = gaussians()
    pred = fcnn.load(out / "model.safetensors").predict(X)
    hits = int(np.sum(pred == y))
    assert f"accuracy  {hits / 200:.4f} ({hits}/200)" in stdout
    lines = stdout.splitlines()
    i = lines.index("confusion matrix (rows: true class, columns: predicted class)")
    assert lines[i + 1].split() == ["0", "1"]
    table = np.array([[int(n) for n in line.split()[1:]] for line in lines[i + 2 : i + 4]])
    expected = [[np.sum((y == t) & (pred == p)) for p in (0, 1)] for t in (0, 1)]
    assert table.tolist() == expected


def test_evaluate_model_file_on_a_dataset_matches_the_run_folder(default_run, capsys):
    out, _, _ = default_run
    _, by_folder, _ = run(capsys, "evaluate", out)
    code, by_file, _ = run(capsys, "evaluate", out / "model.safetensors", "--dataset", "gaussians")
    assert code == 0 and by_file == by_folder


# ---------------------------------------------------------------------------------- predict


def test_predict_writes_labels_and_one_probability_per_class(default_run, tmp_path, capsys):
    out, _, _ = default_run
    X, y = gaussians()
    data = write_csv(tmp_path / "g.csv", ["a", "b", "y"], np.column_stack([X, y]).tolist())
    code, stdout, _ = run(capsys, "predict", out, "--data", data, "--out", tmp_path / "p.csv")
    assert code == 0 and "wrote 200 predictions" in stdout
    rows = read_csv(tmp_path / "p.csv")
    assert list(rows[0]) == ["prediction", "p_0", "p_1"]
    P = np.array([[float(r["p_0"]), float(r["p_1"])] for r in rows])
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(P, fcnn.load(out / "model.safetensors").forward(X))
    assert [int(r["prediction"]) for r in rows] == P.argmax(axis=1).tolist()


def test_predict_reads_files_with_or_without_the_target_column(default_run, tmp_path, capsys):
    out, _, _ = default_run
    X, y = gaussians(seed=4)
    with_y = write_csv(tmp_path / "a.csv", ["a", "b", "y"], np.column_stack([X, y]).tolist())
    without = write_csv(tmp_path / "b.csv", ["a", "b"], X.tolist())
    assert run(capsys, "predict", out, "--data", with_y, "--out", tmp_path / "1.csv")[0] == 0
    assert run(capsys, "predict", out, "--data", without, "--out", tmp_path / "2.csv")[0] == 0
    assert (tmp_path / "1.csv").read_text() == (tmp_path / "2.csv").read_text()


def test_csv_round_trip_with_string_labels(labelled_csv, tmp_path, capsys):
    with_target, features, names = labelled_csv
    out = tmp_path / "run"
    argv = ["--data", with_target, "--target", "species", "--layers", "auto,4,auto"]
    code, _, _ = run(capsys, "train", *argv, "--standardize", "--epochs", 200, "--out", out, *FAST)
    assert code == 0
    net = fcnn.load(out / "model.safetensors")
    assert net.classes == ["cat", "dog"] and net.feature_mean is not None
    code, _, _ = run(capsys, "predict", out, "--data", features, "--out", tmp_path / "p.csv")
    assert code == 0
    rows = read_csv(tmp_path / "p.csv")
    assert list(rows[0]) == ["prediction", "p_cat", "p_dog"]
    predicted = np.array([r["prediction"] for r in rows])
    assert set(predicted) <= {"cat", "dog"} and np.mean(predicted == names) >= 0.9
    code, stdout, _ = run(capsys, "evaluate", out, "--data", with_target, "--target", "species")
    assert code == 0 and stdout.splitlines()[-3].split() == ["cat", "dog"]
    hits = int(np.sum(predicted == names))
    assert f"({hits}/{len(names)})" in stdout


def test_regression_evaluate_prints_mse_and_r2_and_predict_writes_values(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    t = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=80)
    data = write_csv(tmp_path / "r.csv", ["a", "b", "c", "t"], np.column_stack([X, t]).tolist())
    out = tmp_path / "run"
    net_flags = ["--layers", "auto,8,auto", "--output", "identity", "--loss", "mse"]
    code, _, _ = run(
        capsys, "train", "--data", data, *net_flags, "--lr", 0.05, "--epochs", 300, "--out", out,
        *FAST,
    )  # fmt: skip
    assert code == 0
    code, stdout, _ = run(capsys, "evaluate", out, "--data", data)
    P = fcnn.load(out / "model.safetensors").forward(X)[:, 0]
    r2 = 1 - np.sum((t - P) ** 2) / np.sum((t - t.mean()) ** 2)
    assert code == 0 and f"r2        {r2:.4f}" in stdout
    assert f"mse       {np.mean((P - t) ** 2):.6g}" in stdout
    assert run(capsys, "predict", out, "--data", data, "--out", tmp_path / "p.csv")[0] == 0
    rows = read_csv(tmp_path / "p.csv")
    np.testing.assert_allclose([float(r["prediction"]) for r in rows], P)


def test_single_sigmoid_output_predicts_two_class_probabilities(tmp_path, capsys):
    out = tmp_path / "run"
    flags = ["--layers", "2,4,auto", "--output", "sigmoid", "--loss", "cross_entropy"]
    assert run(capsys, "train", *flags, "--epochs", 100, "--out", out, *FAST)[0] == 0
    net = fcnn.load(out / "model.safetensors")
    assert net.sizes == (2, 4, 1)
    X, y = gaussians()
    data = write_csv(tmp_path / "g.csv", ["a", "b"], X.tolist())
    assert run(capsys, "predict", out, "--data", data, "--out", tmp_path / "p.csv")[0] == 0
    rows = read_csv(tmp_path / "p.csv")
    p1 = net.forward(X)[:, 0]
    np.testing.assert_allclose([float(r["p_1"]) for r in rows], p1)
    np.testing.assert_allclose([float(r["p_0"]) for r in rows], 1 - p1)
    assert [int(r["prediction"]) for r in rows] == (p1 > 0.5).astype(int).tolist()
    code, stdout, _ = run(capsys, "evaluate", out, "--dataset", "gaussians")
    assert code == 0 and f"({int(np.sum((p1 > 0.5) == y))}/200)" in stdout


# -------------------------------------------------------------------------------- gradcheck


def test_gradcheck_passes_on_the_default_network(capsys):
    code, stdout, _ = run(capsys, "gradcheck")
    assert code == 0 and "PASS" in stdout
    assert all(name in stdout for name in ("W1", "b1", "W2", "b2"))


def test_gradcheck_takes_the_train_options(capsys):
    flags = ["--dataset", "spirals", "--layers", "auto,8,8,auto", "--loss", "cross_entropy"]
    code, stdout, _ = run(capsys, "gradcheck", *flags, "--reduction", "sum", "--batch", 8)
    assert (
        code == 0 and "PASS" in stdout and "Network(2-8-8-3" in stdout and "on 8 samples" in stdout
    )


def test_gradcheck_with_the_seed002_config(capsys):
    code, stdout, _ = run(capsys, "gradcheck", "--config", EXAMPLES / "seed002.toml")
    assert code == 0 and "PASS" in stdout and "W3" in stdout


def test_gradcheck_exits_1_when_it_fails(capsys):
    code, stdout, _ = run(capsys, "gradcheck", "--tolerance", 0)
    assert code == 1 and "FAIL" in stdout


# -------------------------------------------------------------------------------- bad input


@pytest.fixture
def bad_files(tmp_path) -> Path:
    write_csv(tmp_path / "text.csv", ["a", "b", "y"], [[1, 2, 0], [3, "abc", 1], [5, 6, 0]])
    write_csv(tmp_path / "one.csv", ["a", "b", "y"], [[1, 2, 0], [3, 4, 0], [5, 6, 0]])
    write_csv(tmp_path / "na.csv", ["a", "b", "y"], [[1, 2, "cat"], [3, 4, "NA"], [5, 6, "dog"]])
    write_csv(tmp_path / "ok.csv", ["a", "b", "y"], [[1, 2, 0], [3, 4, 1], [5, 6, 0]])
    write_csv(tmp_path / "wide.csv", [*"abcd", "y"], [[1, 2, 3, 4, 0], [5, 6, 7, 8, 1]])
    (tmp_path / "foreign.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    (tmp_path / "bad.toml").write_text("[training]\nlrr = 0.1\n")
    (tmp_path / "exists.csv").write_text("x\n")
    return tmp_path


BAD_INPUTS = [
    (["train", "--bogus"], "fcnn train: error: unrecognized arguments: --bogus"),
    (["bogus"], "fcnn: error: argument COMMAND: invalid choice: 'bogus'"),
    ([], "fcnn: error: the following arguments are required: COMMAND"),
    (["train", "--epochs", "abc"], "argument --epochs: invalid int value: 'abc'"),
    (["train", "--layers", "2,x,2"], "is not a list of widths"),
    (["train", "--data", "{d}/missing.csv"], "fcnn: error: no such file: {d}/missing.csv"),
    (["train", "--data", "{d}/text.csv"], "column 'b': 'abc'"),
    (["train", "--data", "{d}/ok.csv", "--target", "label"], "has no target column 'label'"),
    (["train", "--data", "{d}/one.csv"], "classification needs at least two classes"),
    (["train", "--data", "{d}/na.csv"], "row 3: 'NA' marks a missing label"),
    (["train", "--target", "y"], "names a column of a data file, but there is no data.file"),
    (["train", "--data", "{d}/wide.csv"], "the data have 4 features"),
    (["train", "--lr", "-1"], "training.lr = -1.0 is out of range"),
    (["train", "--activation", "tahn"], "did you mean 'tanh'?"),
    (["train", "--output", "identity", "--loss", "cross_entropy"], "probability output"),
    (["train", "--config", "{d}/missing.toml"], "no such config file"),
    (["train", "--config", "{d}/bad.toml"], "unknown key 'lrr' in [training]"),
    (["train", "--resume", "{d}", "--layers", "2,3,2"], "drop --layers"),
    (["evaluate", "{d}/foreign.safetensors", "--dataset", "xor"], "not an fcnn model file"),
    (["evaluate", "{d}/missing.safetensors", "--dataset", "xor"], "no such model file"),
    (["evaluate", "{d}", "--dataset", "xor"], "has no model.safetensors"),
    (["predict", "{d}/x.safetensors", "--data", "{d}/ok.csv"], "required: --out"),
    (["gradcheck", "--eps", "0"], "a step > 0"),
    (["gradcheck", "--dtype", "float16"], "network.dtype = 'float16' is unknown"),
    (["gradcheck", "--layers", "3,4,2"], "starts with 3 inputs but the data have 2 features"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_INPUTS)
def test_bad_input_gives_one_line_and_exit_code_2(argv, message, bad_files, capsys):
    d = str(bad_files)
    code, _, err = run(capsys, *[a.format(d=d) for a in argv])
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert message.format(d=d) in err
    assert err.startswith("fcnn") and "Traceback" not in err


def test_usage_error_names_the_command_and_its_help(capsys):
    code, _, err = run(capsys, "train", "--bogus")
    assert err == "fcnn train: error: unrecognized arguments: --bogus (see fcnn train --help)\n"


def test_predict_refuses_a_file_with_other_features(default_run, bad_files, capsys):
    model, _, _ = default_run
    data, out = bad_files / "wide.csv", bad_files / "p.csv"
    code, _, err = run(capsys, "predict", model, "--data", data, "--out", out)
    assert code == 2 and len(err.splitlines()) == 1
    assert "has 5 columns but the model takes 2 features" in err


def test_predict_never_overwrites_without_force(default_run, bad_files, capsys):
    model, _, _ = default_run
    data, out = bad_files / "ok.csv", bad_files / "exists.csv"
    code, _, err = run(capsys, "predict", model, "--data", data, "--out", out)
    assert code == 2 and "exists; pass --force" in err and out.read_text() == "x\n"
    assert run(capsys, "predict", model, "--data", data, "--out", out, "--force")[0] == 0
    assert read_csv(out)[0].keys() == {"prediction", "p_0", "p_1"}


def test_predict_never_writes_over_the_model_or_the_data_it_reads(default_run, tmp_path, capsys):
    model_dir, _, _ = default_run
    model = tmp_path / "m.safetensors"
    model.write_bytes((Path(model_dir) / "model.safetensors").read_bytes())
    data = write_csv(tmp_path / "d.csv", ["a", "b", "y"], [[1, 2, 0], [3, 4, 1]])
    before = model.read_bytes(), data.read_bytes()
    for out, what in ((model, "the model"), (data, "the data")):
        code, _, err = run(capsys, "predict", model, "--data", data, "--out", out, "--force")
        assert code == 2 and f"is {what} this command reads" in err
        assert len(err.splitlines()) == 1
    code, _, err = run(
        capsys,
        "predict",
        model_dir,
        "--data",
        data,
        "--out",
        Path(model_dir) / "model.safetensors",
        "--force",
    )
    assert code == 2 and "is the model this command reads" in err
    assert (model.read_bytes(), data.read_bytes()) == before


def test_ctrl_c_while_the_outputs_are_written_says_how_to_resume(tmp_path, capsys, monkeypatch):
    from fcnn.runs import folder as run_folder

    write = run_folder.write_outputs

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_folder, "write_outputs", interrupted)
    out = tmp_path / "run"
    code, _, err = run(capsys, "train", "--out", out, "--epochs", 3, *FAST)
    assert code == 130 and err == f"interrupted; resume with: fcnn train --resume {out}\n"
    monkeypatch.setattr(run_folder, "write_outputs", write)
    code, stdout, _ = run(capsys, "train", "--resume", out, *FAST)
    assert code == 0 and (out / "model.safetensors").is_file() and "epochs" in stdout


def test_ctrl_c_before_a_forced_run_writes_anything_gives_no_resume_hint(
    default_run, tmp_path, capsys, monkeypatch
):
    from fcnn import runs

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    out = tmp_path / "run"
    assert run(capsys, "train", "--out", out, "--epochs", 3, *FAST)[0] == 0
    monkeypatch.setattr(runs.start, "prepare", interrupted)  # Ctrl-C while the data load
    code, _, err = run(capsys, "train", "--out", out, "--force", *FAST)
    assert code == 130 and err == "fcnn: interrupted\n"  # the checkpoint there is not this run's


@pytest.mark.slow
def test_output_piped_into_a_reader_that_quits_ends_quietly(default_run, tmp_path):
    model, _, _ = default_run
    cmd = f"{sys.executable} -m fcnn evaluate {model} | head -1"
    done = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("samples") and done.stderr == ""


def test_an_identity_output_on_integer_labels_is_a_regression_of_their_values(tmp_path, capsys):
    rows = [[x, 2 * x, 3 + 2 * (x % 3)] for x in range(12)]  # target values 3, 5, 7
    data = write_csv(tmp_path / "r.csv", ["a", "b", "t"], rows)
    flags = ["--data", data, "--output", "identity", "--loss", "mse", "--layers", "auto,4,auto"]
    code, _, _ = run(capsys, "train", *flags, "--out", tmp_path / "run", *FAST)
    assert code == 0
    net = fcnn.load(tmp_path / "run" / "model.safetensors")
    assert net.sizes[-1] == 1 and net.classes is None  # one output: the value, not one-hot
    code, stdout, err = run(capsys, "evaluate", tmp_path / "run")
    assert code == 0 and "r2" in stdout, err
    text = write_csv(tmp_path / "t.csv", ["a", "b", "t"], [[1, 2, "cat"], [3, 4, "dog"]])
    code, _, err = run(capsys, "train", "--data", text, *flags[2:], "--out", tmp_path / "t", *FAST)
    assert code == 2 and "an identity output is for regression" in err
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize(
    ("rows", "flags", "message"),
    [
        (
            [[1, 1e308, 0], [2, -1e308, 1], [3, 5, 0], [4, 5, 1]],
            ["--standardize"],
            "too large to standardise",
        ),
        (
            [[1, 1e308, 0], [2, -1e308, 1], [3, 5, 0], [4, 5, 1]],
            ["--dtype", "float32"],
            "too large for float32",
        ),
        (
            [[1, 2, 0], [3, 4, 1]],
            ["--val-split", "0.5"],
            "classification needs at least two classes to train on",
        ),
        ([[1, 2, 0], [3, 4, 1]], ["--layers", "2,1000000000,2"], "training them needs about"),
    ],
)
def test_data_and_layer_errors_leave_no_folder_and_no_warnings(
    tmp_path, capsys, rows, flags, message
):
    data = write_csv(tmp_path / "d.csv", ["a", "b", "y"], rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, _, err = run(
            capsys, "train", "--data", data, *flags, "--out", tmp_path / "run", *FAST
        )
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_several_regression_targets_from_an_npz_train_evaluate_and_predict(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    Y = np.column_stack([X @ [1.0, 2.0, 0.0], X @ [0.0, -1.0, 1.0]])
    np.savez(tmp_path / "reg2.npz", X=X, y=Y)
    flags = ["--output", "identity", "--loss", "mse", "--layers", "auto,8,auto", "--lr", "0.05"]
    out = tmp_path / "run"
    code, _, err = run(
        capsys, "train", "--data", tmp_path / "reg2.npz", *flags, "--out", out, *FAST
    )
    assert code == 0, err
    assert fcnn.load(out / "model.safetensors").sizes == (3, 8, 2)
    code, stdout, _ = run(capsys, "evaluate", out)
    assert code == 0 and "r2" in stdout
    pred = tmp_path / "p.csv"
    assert run(capsys, "predict", out, "--data", tmp_path / "reg2.npz", "--out", pred)[0] == 0
    assert read_csv(pred)[0].keys() == {"prediction_0", "prediction_1"}
    np.savez(tmp_path / "short.npz", X=X, y=Y[:10])
    code, _, err = run(
        capsys, "train", "--data", tmp_path / "short.npz", *flags, "--out", out / "x", *FAST
    )
    assert code == 2 and "has shape (10, 2) but 'X' has 60 rows" in err and "(60, k)" in err


def test_evaluate_on_features_without_a_target_points_to_predict(labelled_csv, default_run, capsys):
    _, features_only, _ = labelled_csv
    model, _, _ = default_run
    code, _, err = run(capsys, "evaluate", model, "--data", features_only)
    assert code == 2 and "evaluate needs the features and a target column" in err
    assert "fcnn predict" in err


def test_evaluate_with_labels_the_model_does_not_know(labelled_csv, default_run, capsys):
    with_target, _, _ = labelled_csv
    model, _, _ = default_run
    code, _, err = run(capsys, "evaluate", model, "--data", with_target)
    assert code == 2 and "labels ['cat', 'dog'] that the model does not know" in err


def test_divergence_exits_1_with_one_line(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = np.column_stack([rng.normal(size=(40, 2)) * 10, rng.normal(size=40) * 100])
    data = write_csv(tmp_path / "r.csv", ["a", "b", "t"], rows.tolist())
    flags = ["--layers", "2,8,1", "--output", "identity", "--loss", "mse", "--lr", "10"]
    code, _, err = run(capsys, "train", "--data", data, *flags, "--out", tmp_path / "run", *FAST)
    assert code == 1 and len(err.splitlines()) == 1 and "diverged" in err
    # advice in the CLI's own terms: there is no clip option
    assert "Lower --lr (now 10) or standardise the inputs (--standardize)" in err
    assert "clip" not in err


def test_internal_error_is_one_line_unless_fcnn_debug(monkeypatch, tmp_path, capsys):
    from fcnn import runs

    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(runs, "start_run", broken)
    code, _, err = run(capsys, "train", "--out", tmp_path / "run")
    assert code == 1
    assert err == "fcnn: internal error: RuntimeError: boom second line " + (
        "(set FCNN_DEBUG=1 for the traceback)\n"
    )
    monkeypatch.setenv("FCNN_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["train", "--out", str(tmp_path / "run")])


# ------------------------------------------------------------------------------------- help


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


@pytest.mark.parametrize("command", ["train", "evaluate", "predict", "gradcheck"])
def test_help_exits_0_and_documents_every_option_with_its_default(command, capsys):
    code, stdout, _ = run(capsys, command, "--help")
    assert code == 0
    for action in _subparsers()[command]._actions:
        if action.dest == "help":
            continue
        for option in action.option_strings or [action.metavar]:
            assert option in stdout
        if action.option_strings:
            assert "(default" in action.help or "(required)" in action.help, action.dest


def test_train_help_lists_every_option_of_the_issue(capsys):
    _, stdout, _ = run(capsys, "train", "--help")
    for flag in [*FLAGS.values(), "--config", "--out", "--force", "--resume"]:
        assert flag in stdout
    assert "--no-progress" in stdout and "--standardize" in stdout


def test_top_level_help_has_a_description_and_examples(capsys):
    code, stdout, _ = run(capsys, "--help")
    assert code == 0
    assert "backpropagation" in stdout and "examples:" in stdout
    assert all(c in stdout for c in ("train", "evaluate", "predict", "gradcheck"))


def test_version(capsys):
    code, stdout, _ = run(capsys, "--version")
    assert code == 0 and stdout.strip() == f"fcnn {fcnn.__version__}"


# ------------------------------------------------------------------------------- subprocess


@pytest.mark.slow
def test_python_m_fcnn_trains_with_a_progress_bar(tmp_path):
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "fcnn", "train", "--epochs", "20", "--no-figures", "--progress"]
    proc = subprocess.run([*argv, "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "epochs        20 in" in proc.stdout
    assert "/20 [" in proc.stderr and "epoch" in proc.stderr  # the tqdm bar, on stderr
    assert (out / "model.safetensors").is_file()


@pytest.mark.slow
def test_the_progress_bar_stays_out_of_a_log_unless_asked_for(tmp_path):
    """stderr is a pipe here, as in a log file or CI: no bar frames unless --progress."""
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "fcnn", "train", "--epochs", "20", "--no-figures"]
    proc = subprocess.run([*argv, "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "epochs        20 in" in proc.stdout
    assert proc.stderr == ""


@pytest.mark.slow
def test_subprocess_usage_error_is_one_line_without_traceback():
    argv = [sys.executable, "-m", "fcnn", "train", "--bogus"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "fcnn train: error: unrecognized arguments: --bogus (see fcnn train --help)"
    ]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("fcnn") is None, reason="console script not installed")
def test_console_script_prints_the_version():
    proc = subprocess.run(["fcnn", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"fcnn {fcnn.__version__}"


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_saves_a_checkpoint_exits_130_and_prints_the_resume_command(tmp_path):
    import signal
    import time

    out = tmp_path / "run"
    argv = [sys.executable, "-m", "fcnn", "train", "--epochs", "1000000", "--no-figures"]
    proc = subprocess.Popen(
        [*argv, "--no-progress", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (out / "checkpoint.safetensors").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the first checkpoint is written just before the loop starts
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr.splitlines()[-1] == f"interrupted; resume with: fcnn train --resume {out}"
    assert f"run folder    {out}" in stdout
    assert (out / "checkpoint.safetensors").is_file()
    assert not (out / "model.safetensors").exists()
