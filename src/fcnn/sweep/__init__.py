"""Sweeps: many runs of one config, over a grid or random points and several training seeds,
on a Dask cluster or in one process, resumable, with a results table and figures.

``fcnn sweep SWEEP.toml`` (``fcnn.sweep.command``) is the way in; the pieces:
``spec`` (the sweep file), ``trials`` (its trials, the same every time), ``worker`` (one trial,
wherever it runs), ``backends`` (Dask or this process), ``folder`` (the sweep folder),
``runner`` (the sweep from start or from where it stopped) and ``results`` (results.csv, the
summary, the figures). How to use it: ``docs/sweeps.md``.
"""

from .backends import DaskBackend, SerialBackend, have_dask, local_cluster
from .runner import SweepResult, run_sweep
from .spec import SweepSpec, load, parse
from .trials import Trial, trials

__all__ = [
    "DaskBackend",
    "SerialBackend",
    "SweepResult",
    "SweepSpec",
    "Trial",
    "have_dask",
    "load",
    "local_cluster",
    "parse",
    "run_sweep",
    "trials",
]
