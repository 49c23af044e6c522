"""Build a run's report.html: read the run back, take the frames' parameters, draw every
panel and write the page atomically (``fcnn.atomic``)."""

from __future__ import annotations

from pathlib import Path

from ..storage.atomic import atomic_write_text
from . import REPORT
from .animated import slider_figure
from .common import is_classifier
from .figures import (
    curves_figure,
    data_figure,
    diagnostics_figure,
    regression_figure,
    trajectories_figure,
)
from .frames import Plane, plane
from .page import page
from .snapshots import EpochSnapshots
from .source import DIAGNOSTICS, Run, attach_frames, load_run


def check_features(features: object, n_features: int) -> tuple[int, int] | None:
    """``features`` as two distinct 0-based column indices below ``n_features``, or None."""
    if features is None:
        return None
    try:
        i, j = (int(v) for v in features)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"features must be two column indices (i, j), got {features!r}") from None
    if i == j or not (0 <= i < n_features and 0 <= j < n_features):
        raise ValueError(
            f"features={features!r}: give two different column indices from 0 to "
            f"{n_features - 1} (the data have {n_features} features)"
        )
    return i, j


def _plane(run: Run, features: tuple[int, int] | None) -> Plane | None:
    if run.ds.X.shape[1] < 2:
        return None
    return plane(run.net, run.ds.X, run.ds.feature_names, features)


def build_report(
    folder: Path,
    features: tuple[int, int] | None,
    snapshots: EpochSnapshots | None,
    retrain: bool,
) -> Path:
    """See :func:`fcnn.reporting.build`."""
    run = load_run(folder)
    features = check_features(features, run.ds.X.shape[1])
    attach_frames(run, snapshots, retrain)
    view = _plane(run, features)
    n = len(run.epochs)
    slider_note = (
        f"{n} frames, epochs {int(run.epochs[0])} to {int(run.epochs[-1])}"
        + (" (a long run, thinned evenly)" if n > 1 and run.epochs[1] - run.epochs[0] > 1 else "")
        + f". The parameters of each frame come from {run.source}. "
        + (view.note if view is not None and is_classifier(run) else "")
    )
    held = int(run.held_out.sum())
    sections = [
        ("slider", "Step through training", slider_figure(run, view), slider_note),
        (
            "data",
            "Data",
            data_figure(run, view),
            (
                f"{held} of {len(run.ds.X)} rows held out for validation (open markers). "
                if held
                else "No rows held out (val_split = 0): every row was trained on. "
            )
            + (view.note if view is not None else ""),
        ),
        ("curves", "Loss and accuracy", curves_figure(run), _curves_note(run)),
        ("parameters", "Weights and biases", trajectories_figure(run), _trajectory_note(run)),
    ]
    if not is_classifier(run):
        sections.append(("regression", "Predicted against true", regression_figure(run), ""))
    diag = diagnostics_figure(run)
    sections.append(
        (
            "diagnostics",
            "Diagnostics",
            diag,
            f"Training-health diagnostics per epoch, from {DIAGNOSTICS}."
            if diag
            else f"Diagnostics were not recorded for this run (no {DIAGNOSTICS} in the folder).",
        )
    )
    if sections[1][2] is None:
        sections.pop(1)
    path = folder / REPORT
    atomic_write_text(path, page(run, sections))
    return path


def _curves_note(run: Run) -> str:
    note = "Columns of history.csv per epoch; training solid, validation dashed."
    if run.cfg["network"]["reduction"] == "sum":
        note += (
            " With reduction = 'sum' the training loss is the mean of per-batch sums and the "
            "validation loss a sum over the held-out rows: compare their shapes, not heights."
        )
    return note


def _trajectory_note(run: Run) -> str:
    if run.history.params:
        return "Iteration 0 is the initial value; iteration t follows the t-th update."
    return (
        "The run recorded no parameters per update; these curves join the slider's frames "
        f"({run.source})."
    )
