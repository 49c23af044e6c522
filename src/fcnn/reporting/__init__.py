"""The run report: one self-contained ``report.html`` per run folder (issue 16, section 1).

``build(run_folder)`` reads a finished run's files back (config.toml, model.safetensors,
history.csv, the checkpoint's parameter trajectory, diagnostics.csv if any, and the data
re-loaded with the run's own config) and writes ``RUN/report.html`` atomically: plotly's
offline HTML with plotly.js inlined, so it opens from ``file://`` with no server and no CDN.
``fcnn.report`` and ``fcnn report RUN`` call it; ``fcnn train`` writes it by default.

plotly is imported only when a page is built (``builder``, ``page``, ``figures``):
``snapshots`` and ``source`` are plain NumPy, and ``import fcnn`` imports none of this.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..runs.folder import REPORT
from .snapshots import MAX_FRAMES, EpochSnapshots, frame_epochs

if TYPE_CHECKING:
    import os

__all__ = ["MAX_FRAMES", "REPORT", "EpochSnapshots", "build", "frame_epochs", "redraw_figures"]


def build(
    run_folder: str | os.PathLike[str],
    *,
    features: tuple[int, int] | None = None,
    snapshots: EpochSnapshots | None = None,
    retrain: bool = True,
) -> Path:
    """(Re)build ``run_folder/report.html`` from the folder's files; returns its path.

    ``features=(i, j)``: show data of more than two features on those two (0-based) instead
    of their first two principal components. ``snapshots``: the parameters an
    :class:`EpochSnapshots` kept while the run trained, used when the run recorded no
    trajectory; without either, the frames come from a deterministic retraining
    (``retrain=False``: the saved model alone), checked against the saved model.
    """
    try:
        from .builder import build_report
    except ModuleNotFoundError as exc:
        if exc.name != "plotly" and not str(exc.name).startswith("plotly."):
            raise
        raise ModuleNotFoundError(
            "report.html needs plotly, which is not installed: pip install plotly (a run "
            "folder is complete without its page; fcnn train --no-report skips it)",
            name=exc.name,
        ) from exc
    return build_report(Path(run_folder), features, snapshots, retrain)


def redraw_figures(run_folder: str | os.PathLike[str]) -> list[Path]:
    """Draw the run's PNG figures again (``fcnn.plots.save_all``) from the folder's files:
    a run whose figures were lost (a full disk, ``--no-figures``) gets them back without
    training. Returns the paths written."""
    from .. import plots  # matplotlib only here
    from ..runs.folder import figure_labels
    from .source import load_run

    run, out = load_run(run_folder), Path(run_folder)
    ds = run.ds
    labels = figure_labels(out, ds)  # the columns' names, the held-out rows: as fcnn train
    return plots.save_all(out, run.history, run.net, ds.X, ds.y, ds.classes, **labels)
