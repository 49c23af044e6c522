"""``fcnn evaluate`` names its loss (a mean per sample), scores the held-out rows alone
(``--split``) and warns when the data lack some of the model's classes (issue 15)."""

from __future__ import annotations

import pytest
from cli_helpers import EXAMPLES, FAST, read_csv, run


@pytest.fixture(scope="module")
def sum_run(tmp_path_factory):
    """examples/seed002.toml (reduction = "sum", val_split 0.2) for 30 epochs."""
    out = tmp_path_factory.mktemp("s2") / "run"
    argv = ["train", "--config", EXAMPLES / "seed002.toml", "--epochs", "30", "--out", out]
    from fcnn import cli

    assert cli.main([str(a) for a in [*argv, *FAST]]) == 0
    return out


def _value(stdout: str, label: str) -> float:
    line = next(x for x in stdout.splitlines() if x.startswith(label))
    return float(line[len(label) :].split()[0])


def test_evaluate_validation_split_gives_the_runs_last_val_loss_per_sample(sum_run, capsys):
    code, stdout, _ = run(capsys, "evaluate", sum_run, "--split", "validation")
    assert code == 0
    last = read_csv(sum_run / "history.csv")[-1]
    assert _value(stdout, "samples") == 60
    assert _value(stdout, "loss per sample") == pytest.approx(
        float(last["val_loss_per_sample"]), rel=1e-5
    )
    assert _value(stdout, "accuracy") == pytest.approx(float(last["val_accuracy"]), abs=1e-4)


def test_evaluate_splits_partition_the_rows(sum_run, capsys):
    counts = {}
    for split in ("all", "training", "validation"):
        code, stdout, _ = run(capsys, "evaluate", sum_run, "--split", split)
        assert code == 0
        counts[split] = _value(stdout, "samples")
    assert counts["training"] + counts["validation"] == counts["all"] == 300


def test_evaluate_loss_is_per_sample_under_sum_reduction(sum_run, capsys):
    code, stdout, _ = run(capsys, "evaluate", sum_run)
    assert code == 0
    # the sum over 300 rows would be about 300 times the per-sample loss of the history
    assert _value(stdout, "loss per sample") < 3 * float(
        read_csv(sum_run / "history.csv")[-1]["loss_per_sample"]
    )


def test_split_needs_the_run_folders_own_data(sum_run, capsys):
    code, _, err = run(capsys, "evaluate", sum_run, "--dataset", "spirals", "--split", "training")
    assert code == 2 and "--split training" in err


def test_split_of_a_run_without_validation_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(capsys, "train", "--out", out, "--epochs", 2, *FAST)[0] == 0
    code, _, err = run(capsys, "evaluate", out, "--split", "validation")
    assert code == 2 and "held no rows out" in err


def test_evaluate_warns_when_the_data_lack_some_of_the_models_classes(sum_run, capsys):
    code, _, err = run(capsys, "evaluate", sum_run, "--dataset", "moons")
    assert code == 0
    assert "warning: the data hold only 2 of the model's 3 classes" in err
