"""The summary of ``fcnn train`` prints the saved model's numbers, named for what they are
(issue 15, "Numbers that can't be compared")."""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import EXAMPLES, FAST, read_csv, run, write_csv


def _rows(stdout: str) -> dict[str, str]:
    """The summary's lines as {label: value} (labels and values are 2+ spaces apart)."""
    out = {}
    for line in stdout.splitlines():
        key, _, value = line.partition("  ")
        out[key.strip()] = value.strip()
    return out


def test_sum_reduction_summary_names_the_objective_and_the_per_sample_loss(tmp_path, capsys):
    out = tmp_path / "run"
    config = EXAMPLES / "seed002.toml"
    code, stdout, _ = run(capsys, "train", "--config", config, "--out", out, "--epochs", 20, *FAST)
    assert code == 0
    rows, last = _rows(stdout), read_csv(out / "history.csv")[-1]
    assert float(rows["loss per sample"].split()[0]) == pytest.approx(
        float(last["loss_per_sample"]), rel=1e-3
    )
    assert float(rows["loss (objective, sum over batch)"]) == pytest.approx(
        float(last["loss"]), rel=1e-3
    )
    assert float(rows["val loss per sample"].split()[0]) == pytest.approx(
        float(last["val_loss_per_sample"]), rel=1e-3
    )
    # the two scales differ by about the batch size: naming them is the point
    assert float(last["loss"]) > 10 * float(last["loss_per_sample"])


def test_regression_summary_prints_mse_rmse_and_r2_for_training_and_validation(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, 120)
    rows = [[f"{a:.6f}", f"{np.sin(a) + 0.05 * rng.normal():.6f}"] for a in x]
    data = write_csv(tmp_path / "sine.csv", ["x", "y"], rows)
    argv = ["--layers", "1,8,1", "--output", "identity", "--loss", "mse", "--val-split", "0.25"]
    code, stdout, _ = run(
        capsys, "train", "--data", data, *argv, "--epochs", 200, "--out", tmp_path / "r", *FAST
    )
    assert code == 0
    summary = _rows(stdout)
    for key in ("mse", "rmse", "R²"):
        assert summary[key].startswith("training ") and ", validation " in summary[key]
    mse = float(summary["mse"].split()[1].rstrip(","))
    rmse = float(summary["rmse"].split()[1].rstrip(","))
    assert rmse == pytest.approx(np.sqrt(mse), rel=1e-3)


def test_early_stopping_summary_prints_the_saved_epochs_numbers(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["--dataset", "moons", "--layers", "2,16,16,2", "--lr", "2", "--val-split", "0.3"]
    argv += ["--early-stopping", "--patience", "3", "--epochs", "3000"]
    code, stdout, _ = run(capsys, "train", *argv, "--out", out, *FAST)
    assert code == 0
    history = read_csv(out / "history.csv")
    best = min(history, key=lambda r: float(r["val_loss"]))
    assert best is not history[-1]  # early stopping fired after the best epoch
    summary = _rows(stdout)
    assert summary["saved model"].startswith(f"epoch {best['epoch']}, the best")
    assert f"fired at epoch {history[-1]['epoch']}" in summary["saved model"]
    assert float(summary["val loss per sample"].split()[0]) == pytest.approx(
        float(best["val_loss_per_sample"]), rel=1e-3
    )
    assert float(summary["val accuracy"]) == pytest.approx(float(best["val_accuracy"]), abs=1e-4)
