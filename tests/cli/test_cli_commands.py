"""End-to-end tests of the ``fcnn`` commands (fcnn.cli.commands): train, evaluate, predict and
gradcheck.

Most tests call ``fcnn.cli.main`` in-process (fast). Expected metrics are recomputed from the
saved model with the library (``fcnn.load``, ``Network.predict``) and plain NumPy, not taken
from the CLI's code.
"""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest
from cli_helpers import (
    EXAMPLES,
    FAST,
    default_run,  # noqa: F401 - a fixture
    labelled_csv,  # noqa: F401 - a fixture
    read_csv,
    run,
    write_csv,
)

import fcnn
from fcnn.data.datasets import gaussians
from fcnn.runs import config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


# ------------------------------------------------------------------------------------ train


@pytest.mark.slow
def test_train_with_defaults_writes_the_run_folder_and_a_summary(default_run):
    out, code, stdout = default_run
    assert code == 0
    expected = {"config.toml", "model.safetensors", "history.csv", "checkpoint.safetensors"}
    expected |= {"data.png", "loss.png", "accuracy.png", "parameters.png"}
    assert expected <= {p.name for p in out.iterdir()}
    assert re.search(r"^epochs +300 in", stdout, re.MULTILINE)
    assert "loss per sample" in stdout and "(mse " in stdout and ", ce " in stdout
    assert re.search(rf"^run folder +{re.escape(str(out))}$", stdout, re.MULTILINE)
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
    assert code == 0 and re.search(r"^epochs +4 in", stdout, re.MULTILINE)
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
    assert code == 0 and re.search(r"^epochs +20 in", stdout, re.MULTILINE)
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
    assert code == 0 and "val accuracy" in stdout
    net = fcnn.load(out / "model.safetensors")
    assert net.sizes == (2, 32, 32, 3) and net.reduction == "sum"
    assert net.loss_name == "cross_entropy"


def test_resume_extends_a_finished_run(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(capsys, "train", "--out", out, "--epochs", 3, *FAST)[0] == 0
    code, stdout, _ = run(capsys, "train", "--resume", out, "--epochs", 6, *FAST)
    assert code == 0 and re.search(r"^epochs +6 in", stdout, re.MULTILINE)
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


@pytest.mark.slow
def test_gradcheck_with_the_seed002_config(capsys):
    code, stdout, _ = run(capsys, "gradcheck", "--config", EXAMPLES / "seed002.toml")
    assert code == 0 and "PASS" in stdout and "W3" in stdout


def test_gradcheck_exits_1_when_it_fails(capsys):
    code, stdout, _ = run(capsys, "gradcheck", "--tolerance", 0)
    assert code == 1 and "FAIL" in stdout
