"""Figures to files: one written atomically, or the standard set of a run folder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from ..history import History
from ..network import Network
from ..storage.atomic import atomic_path
from ._base import Array
from .animation import boundary_gif
from .classification import decision_boundary, scatter
from .curves import accuracy_curve, loss_curve
from .diagnostics import diagnostics_panel
from .parameters import parameter_trajectories
from .regression import fit_curve, predicted_vs_true


def save(fig: Figure, path: str | os.PathLike[str], dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` atomically (a temporary file beside it, then a rename).

    The format follows the suffix of ``path`` (PNG when it has none). Returns the path.
    """
    path = Path(path)
    fmt = path.suffix[1:].lower() or "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=fmt)
    return path


def save_all(
    run_dir: str | os.PathLike[str],
    history: History,
    net: Network,
    X: Array,
    y: Array,
    classes: Sequence[Any] | None = None,
    *,
    dpi: int = 120,
    feature_names: Sequence[str] | None = None,
    target_name: str | None = None,
    held_out: Array | None = None,
) -> list[Path]:
    """Write the standard figures of a run into ``run_dir`` and return their paths.

    ``loss.png`` always; ``accuracy.png`` when the history has accuracies (a classifier);
    ``parameters.png`` when parameters were recorded; ``data.png`` and ``decision_boundary.png``
    for a classifier with 2 inputs, and ``boundary.gif`` when it also recorded its parameters;
    ``predictions.png`` (predicted against true) for a regression, and ``fit.png`` when it has
    one input and one output; ``diagnostics.png`` when the history has diagnostics.
    ``X: (n_samples, n_0)`` in raw units; ``classes`` defaults to ``net.classes``;
    ``feature_names`` and ``target_name`` label the axes (a file's column names);
    ``held_out``: the indices of the rows held out for validation, marked in the data figures.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    classes = classes if classes is not None else net.classes
    plane = net.n_inputs == 2 and net.is_classifier
    regression = not net.is_classifier
    names = {"feature_names": feature_names}
    targets = [target_name] if target_name and net.n_outputs == 1 else None
    jobs = [
        ("data.png", plane, lambda: scatter(X, y, classes, held_out=held_out, **names)),
        ("loss.png", True, lambda: loss_curve(history)),
        ("accuracy.png", bool(history.accuracy), lambda: accuracy_curve(history)),
        ("parameters.png", bool(history.params), lambda: parameter_trajectories(history, net)),
        ("decision_boundary.png", plane, lambda: decision_boundary(net, X, y, classes, **names)),
        (
            "predictions.png",
            regression,
            lambda: predicted_vs_true(net, X, y, held_out=held_out, target_names=targets),
        ),
        (
            "fit.png",
            regression and net.n_inputs == 1 and net.n_outputs == 1,
            lambda: fit_curve(
                net,
                X,
                y,
                held_out=held_out,
                feature_name=(feature_names or [None])[0],
                target_name=target_name,
            ),
        ),
        ("diagnostics.png", bool(history.diagnostics), lambda: diagnostics_panel(history)),
    ]
    paths = [save(draw(), run_dir / name, dpi) for name, wanted, draw in jobs if wanted]
    if plane and history.params:
        gif = boundary_gif(run_dir / "boundary.gif", history, net, X, y, classes)
        paths.append(gif)
    return paths
