"""Runs: ``fcnn train`` as library calls, and the folder a run writes.

:mod:`~fcnn.runs.config` resolves a run's configuration (defaults <- TOML file <- flags),
:mod:`~fcnn.runs.data` loads and checks the data it names, :mod:`~fcnn.runs.folder` writes the
run folder, :mod:`~fcnn.runs.checkpoint` saves and checks the training state, and
:mod:`~fcnn.runs.start` starts and resumes a run (:func:`start_run`, :func:`resume_run`).
"""

from .data import load_data, prepare, standardisation
from .folder import CHECKPOINT, CONFIG, MODEL
from .start import RECORD_PARAMS_AUTO_BYTES, RunResult, resume_run, start_run

__all__ = [
    "CHECKPOINT",
    "CONFIG",
    "MODEL",
    "RECORD_PARAMS_AUTO_BYTES",
    "RunResult",
    "load_data",
    "prepare",
    "resume_run",
    "standardisation",
    "start_run",
]
