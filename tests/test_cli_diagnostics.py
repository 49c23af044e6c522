"""``fcnn train`` writes the diagnostics views and prints verdicts only when something is wrong."""

import csv

import pytest

from fcnn import cli


def train(capsys, *argv):
    code = cli.main(["train", "--no-progress", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_default_train_writes_diagnostics_and_the_boundary_gif_and_no_verdict(tmp_path, capsys):
    code, out, _ = train(capsys, "--out", tmp_path / "run")
    assert code == 0 and "warning:" not in out
    names = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"diagnostics.csv", "diagnostics.png", "boundary.gif"} <= names
    with open(tmp_path / "run" / "diagnostics.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:2] == ["epoch", "layer1_saturated"]
    assert "layer2_update_ratio_log10" in rows[0] and rows[-1]["epoch"] == str(len(rows))


@pytest.mark.slow
def test_no_diagnostics_leaves_out_the_csv_and_the_panel(tmp_path, capsys):
    code, out, _ = train(capsys, "--out", tmp_path / "run", "--no-diagnostics", "--epochs", "5")
    names = {p.name for p in (tmp_path / "run").iterdir()}
    assert code == 0 and "diagnostics.csv" not in names and "diagnostics.png" not in names


@pytest.mark.slow
def test_a_huge_learning_rate_ends_with_plain_language_warnings(tmp_path, capsys):
    code, out, _ = train(
        capsys,
        *("--out", tmp_path / "run", "--dataset", "moons", "--layers", "2,16,16,2"),
        *("--loss", "cross_entropy", "--lr", "10", "--batch-size", "32", "--epochs", "20"),
    )
    assert code == 0
    warnings = [line for line in out.splitlines() if line.startswith("warning: ")]
    assert any("learning rate is too high" in w for w in warnings), out


@pytest.mark.slow
def test_a_final_loss_above_the_first_epochs_gets_a_warning(tmp_path, capsys):
    # issue 15: --lr 1e6 --init normal ended with loss 1081, accuracy 0.995 and no word
    code, out, _ = train(capsys, "--out", tmp_path / "run", "--lr", "1e6", "--init", "normal")
    assert code == 0
    assert "is above the first epoch's" in out and "lower the learning rate" in out
