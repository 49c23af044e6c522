"""A run folder never shows views that disagree with its model (issue 15, "Stale figures",
"Divergence")."""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import read_csv, run, write_csv


@pytest.mark.slow
def test_resume_without_figures_removes_the_earlier_views_and_says_so(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(capsys, "train", "--out", out, "--epochs", 5, "--no-progress")[0] == 0
    before = {p.name for p in out.glob("*.png")}
    assert {"loss.png", "data.png"} <= before
    code, stdout, _ = run(
        capsys, "train", "--resume", out, "--epochs", 8, "--no-figures", "--no-progress"
    )
    assert code == 0
    assert not list(out.glob("*.png"))
    removed = next(line for line in stdout.splitlines() if line.startswith("removed"))
    assert all(name in removed for name in before)


def test_a_diverged_run_writes_its_history_and_loss_figure_up_to_the_divergence(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, 100)
    data = write_csv(tmp_path / "sine.csv", ["x", "y"], [[a, np.sin(a)] for a in x])
    out = tmp_path / "run"
    argv = ["--layers", "1,16,1", "--output", "identity", "--loss", "mse", "--lr", "5"]
    code, _, err = run(
        capsys, "train", "--data", data, *argv, "--activation", "relu", "--out", out,
        "--no-progress",
    )  # fmt: skip
    assert code == 1 and "diverged" in err
    assert "history.csv and loss.png show the" in err
    rows = read_csv(out / "history.csv")
    assert len(rows) >= 2 and float(rows[-1]["loss"]) > 100 * float(rows[0]["loss"])
    assert (out / "loss.png").stat().st_size > 0
    assert not (out / "model.safetensors").exists()
