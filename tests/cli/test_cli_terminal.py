"""The terminal during ``fcnn train``: a progress bar readable at 80 columns, and word of the
figures being drawn after it (issue 15, "Messages and terminal")."""

from __future__ import annotations

import io

import pytest
from cli_helpers import run

from fcnn import Network
from fcnn.data.datasets import spirals
from fcnn.progress import postfix, progress_bar
from fcnn.train import Trainer


def test_the_progress_bar_line_fits_80_columns_with_validation_and_keeps_its_bar():
    X, y = spirals(n_samples=90, seed=0)
    net = Network([2, 8, 3], reduction="sum", seed=0)
    trainer = Trainer(net, X, y, epochs=3, lr=1e-4, val_split=0.2)
    trainer.run()
    shown = postfix(trainer.history)
    assert "val" in shown
    for total in (300, 100_000):
        out = io.StringIO()
        bar = progress_bar(total, 0, file=out, ncols=80)
        bar.update(total // 7)
        bar.set_postfix_str("loss 1.23e+05 val 2.35e+05")  # the widest numbers
        bar.refresh()
        line = out.getvalue().split("\r")[-1].rstrip("\n")
        assert len(line) <= 80
        assert "val 2.35e+05" in line  # the end is not cut off
        inner = line.split("|")[1]
        assert len(inner) >= 10  # the bar itself stays readable


def test_the_bar_shows_losses_per_sample_on_one_scale():
    X, y = spirals(n_samples=90, seed=0)
    net = Network([2, 8, 3], reduction="sum", seed=0)
    trainer = Trainer(net, X, y, epochs=2, lr=1e-4, val_split=0.2, batch_size=16)
    h = trainer.run()
    assert postfix(trainer.history) == (
        f"loss {h.loss_per_sample[-1]:.3g} val {h.val_loss_per_sample[-1]:.3g}"
    )


@pytest.mark.slow
def test_train_says_writing_figures_after_the_bar(tmp_path, capsys):
    code, _, err = run(capsys, "train", "--out", tmp_path / "r", "--epochs", 3, "--progress")
    assert code == 0
    assert "writing figures ..." in err
    code, _, err = run(
        capsys, "train", "--out", tmp_path / "q", "--epochs", 3, "--progress", "--no-figures"
    )
    assert code == 0 and "writing figures" not in err
