"""Issue 14, item 12: a full disk while the figures are written leaves a finished run (its
model saved) without figures; resuming it says the run is finished and how to draw the
figures again (``fcnn report RUN``), rather than only "already finished"."""

from __future__ import annotations

import errno

import pytest

from fcnn import plots, runs
from fcnn.runs import config


def test_resume_after_a_full_disk_during_figures_points_to_fcnn_report(tmp_path, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(plots, "save_all", full_disk)
    cfg = config.resolve(None, {"data": {"dataset": "xor"}, "training": {"epochs": 3}})
    out = tmp_path / "run"
    with pytest.raises(OSError, match="No space left"):
        runs.start_run(cfg, out, progress=False, figures=True)
    assert (out / runs.MODEL).is_file() and not list(out.glob("*.png"))
    with pytest.raises(ValueError, match=f"finished.*fcnn report {out}"):
        runs.resume_run(out, progress=False)
