"""Diagnostics across a stop and a resume of a run folder (fcnn.runs)."""

import csv

import numpy as np
from conftest import StopAt

from fcnn import runs
from fcnn.diagnostics import Diagnostics

CONFIG = {
    "data": {"options": {"n_samples": 60}},
    "network": {"layers": [2, 5, 2]},
    "training": {"optimizer": "sgd", "batch_size": 16, "lr": 0.2, "epochs": 5},
}  # 60 samples in batches of 16: 4 steps an epoch


def rows(out):
    with open(out / "diagnostics.csv") as f:
        return list(csv.DictReader(f))


def test_a_run_stopped_at_an_epoch_end_and_resumed_records_the_same_diagnostics(tmp_path):
    kw = {"progress": False, "figures": False}
    runs.start_run(CONFIG, tmp_path / "whole", callbacks=[Diagnostics()], **kw)
    part = runs.start_run(CONFIG, tmp_path / "part", callbacks=[Diagnostics(), StopAt(8)], **kw)
    assert part.interrupted
    runs.resume_run(tmp_path / "part", callbacks=[Diagnostics()], **kw)
    whole, resumed = (
        (tmp_path / "whole" / "diagnostics.csv"),
        (tmp_path / "part" / "diagnostics.csv"),
    )
    assert resumed.read_bytes() == whole.read_bytes()


def test_a_run_stopped_mid_epoch_keeps_one_row_an_epoch(tmp_path):
    kw = {"progress": False, "figures": False}
    runs.start_run(CONFIG, tmp_path / "run", callbacks=[Diagnostics(), StopAt(6)], **kw)
    result = runs.resume_run(tmp_path / "run", callbacks=[Diagnostics()], **kw)
    table = rows(tmp_path / "run")
    assert [int(r["epoch"]) for r in table] == [1, 2, 3, 4, 5]
    assert len(result.history.diagnostics["layer1_saturated"]) == 5


def test_a_resume_without_diagnostics_leaves_its_epochs_blank(tmp_path):
    kw = {"progress": False, "figures": False}
    runs.start_run(CONFIG, tmp_path / "run", callbacks=[Diagnostics(), StopAt(8)], **kw)
    runs.resume_run(tmp_path / "run", **kw)
    table = rows(tmp_path / "run")
    values = [float(r["layer1_grad_norm"]) for r in table]
    assert len(values) == 5 and np.isfinite(values[:2]).all() and np.isnan(values[2:]).all()
