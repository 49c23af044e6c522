"""Figures of a classification in the plane: the data by class (seed 000, Figure 1), the
decision boundary of a 2-input classifier, and a confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .._checks import in_range
from ..network import Network
from ._base import (
    MARKERS,
    Array,
    _axes,
    _class_names,
    _color,
    _plain_ticks,
    _points,
    _tidy,
    _xy,
)


def scatter(
    X: Array,
    y: Array,
    classes: Sequence[Any] | None = None,
    *,
    ax: Axes | None = None,
    title: str = "Data",
    feature_names: Sequence[str] | None = None,
    held_out: Array | None = None,
) -> Figure:
    """The 2-D data coloured by class (seed 000, Figure 1).

    ``X: (n_samples, 2)``; ``y``: labels ``(n_samples,)`` or one-hot ``(n_samples, k)``;
    ``classes``: names for the labels 0..k-1 (legend); ``feature_names``: the axis labels (a
    file's column names; default x₁, x₂); ``held_out``: indices of rows held out for
    validation, drawn hollow.
    """
    X, labels = _xy(X, y)
    fig, ax = _axes(ax, (6.5, 4.5))
    names = _class_names(classes, int(labels.max(initial=0)) + 1)
    mask = np.zeros(len(X), bool)
    if held_out is not None and len(held_out):
        mask[np.asarray(held_out, np.int64)] = True
    _points(ax, X[~mask], labels[~mask], names)
    if mask.any():
        _hollow(ax, X[mask], labels[mask])
    _tidy(ax, title, *_axis_names(feature_names))
    ax.set_aspect("equal", adjustable="datalim")
    _plain_ticks(ax)
    _legend(ax, len(ax.get_legend_handles_labels()[0]), title="class")
    return fig


def _hollow(ax: Axes, X: Array, labels: Array) -> None:
    """Held-out rows: each class's marker, unfilled, with one legend entry for them all."""
    for c in np.unique(labels):
        x1, x2 = X[labels == c].T
        m = MARKERS[c % len(MARKERS)]
        ax.scatter(
            x1, x2, facecolors="none", edgecolors=_color(c), marker=m, s=26, lw=1.1, zorder=3
        )
    ax.scatter([], [], facecolors="none", edgecolors="0.3", marker="o", s=26, label="held out")


def _axis_names(feature_names: Sequence[str] | None) -> tuple[str, str]:
    """The x and y labels: the columns' names, or x₁ and x₂ (seed notation) for unnamed ones."""
    if feature_names is None or list(feature_names) == ["x0", "x1"]:
        return "$x_1$", "$x_2$"
    return tuple(str(n).replace("$", r"\$") for n in feature_names)  # type: ignore[return-value]


#: more classes than this get no legend: it would cover the data or squeeze the axes away
MAX_LEGEND = 30


def _legend(ax: Axes, entries: int, **kwargs: Any) -> None:
    """A legend beside the axes (where it covers no data) for up to ``MAX_LEGEND`` entries,
    and none beyond (the colours still tell the classes apart)."""
    if entries > MAX_LEGEND:
        return
    size = "small" if entries <= 12 else "x-small"  # beside the axes: over no data point
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=size, **kwargs)


def decision_boundary(
    net: Network,
    X: Array,
    y: Array,
    classes: Sequence[Any] | None = None,
    *,
    resolution: int = 200,
    ax: Axes | None = None,
    title: str = "Decision boundary",
    feature_names: Sequence[str] | None = None,
) -> Figure:
    """The predicted class over the plane, with the data on top, for a 2-input classifier.

    ``X: (n_samples, 2)`` in raw units; grid points go through ``net.standardize`` when the
    network carries standardisation statistics. With two classes (softmax over 2 units, or one
    sigmoid unit) the background is ``P(class 1)`` and a black line marks ``P = 0.5``; with
    more classes it is the argmax class.
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be an fcnn.Network, got {type(net).__name__}")
    if net.n_inputs != 2:
        raise ValueError(
            f"decision_boundary draws networks with 2 inputs; this one has {net.n_inputs}"
        )
    if not net.is_classifier:
        raise ValueError(
            f"decision_boundary needs a classifier (softmax output, or one sigmoid unit); this "
            f"network has output={net.output!r} with {net.n_outputs} units"
        )
    if not in_range(resolution, 2, 2000, integer=True):
        raise ValueError(f"resolution must be an integer from 2 to 2000, got {resolution!r}")
    X, labels = _xy(X, y)
    k = 2 if net.n_outputs == 1 else net.n_outputs
    if labels.max() >= k:
        raise ValueError(
            f"y has label {labels.max()} but the network has {k} classes (0..{k - 1}); pass "
            "the labels the network was trained on"
        )
    names = _class_names(classes if classes is not None else net.classes, k)
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.08 * np.maximum(hi - lo, 1e-9) + 0.25
    g1, g2 = (np.linspace(lo[i] - pad[i], hi[i] + pad[i], resolution) for i in range(2))
    G1, G2 = np.meshgrid(g1, g2)
    grid = np.column_stack([G1.ravel(), G2.ravel()])
    P = net.forward(net.standardize(grid))
    fig, ax = _axes(ax, (6.4, 4.8))
    if k == 2:
        p1 = (P[:, 0] if net.n_outputs == 1 else P[:, 1]).reshape(G1.shape)
        cmap = LinearSegmentedColormap.from_list("fcnn2", [_color(0), "white", _color(1)])
        filled = ax.contourf(G1, G2, p1, levels=np.linspace(0, 1, 11), cmap=cmap, alpha=0.4)
        ax.contour(G1, G2, p1, levels=[0.5], colors="black", linewidths=1.4)
        fig.colorbar(filled, ax=ax, label=f"P({names[1]})", shrink=0.9)
        boundary = Line2D([], [], color="black", lw=1.4, label="P = 0.5")
    else:
        # each class's margin P_c - max_{j != c} P_j is smooth, and > 0 exactly where c wins:
        # its 0-contour is the boundary, interpolated between grid points as the two-class
        # P = 0.5 line is (an argmax image would show the grid's staircase)
        for c in range(k):
            margin = (P[:, c] - np.delete(P, c, axis=1).max(axis=1)).reshape(G1.shape)
            if margin.max() <= 0:
                continue
            ax.contourf(G1, G2, margin, levels=[0, 2], colors=[_color(c)], alpha=0.3)
            ax.contour(G1, G2, margin, levels=[0], colors="black", linewidths=0.8)
        boundary = Line2D([], [], color="black", lw=0.8, label="boundary")
    _points(ax, X, labels, names, edge="0.15")
    ax.set_xlim(g1[0], g1[-1])
    ax.set_ylim(g2[0], g2[-1])
    _tidy(ax, title, *_axis_names(feature_names), grid=False)
    _plain_ticks(ax)
    handles = ax.get_legend_handles_labels()[0] + [boundary]
    _legend(ax, len(handles), handles=handles)
    return fig


def confusion_matrix(
    cm: Array,
    classes: Sequence[Any] | None = None,
    *,
    ax: Axes | None = None,
    title: str = "Confusion matrix",
) -> Figure:
    """Heatmap of ``cm: (k, k)``, rows the true class and columns the predicted one, with counts."""
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise ValueError(f"cm must be a square (k, k) matrix of counts, got shape {cm.shape}")
    if cm.dtype.kind not in "biuf" or not np.isfinite(cm).all() or (cm < 0).any():
        raise ValueError("cm must hold finite counts >= 0 (fcnn.metrics.confusion_matrix)")
    k = cm.shape[0]
    names = _class_names(classes, k)[:k]
    fig, ax = _axes(ax, (1.0 + 0.6 * max(k, 4), 0.6 + 0.6 * max(k, 4)))
    image = ax.imshow(cm, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax, label="count", shrink=0.85)
    threshold = cm.max() / 2 if cm.size else 0
    fontsize = 10 if k <= 10 else 7
    for (i, j), v in np.ndenumerate(cm):
        color = "white" if v > threshold else "black"
        text = str(v) if cm.dtype.kind in "iu" else f"{v:.3g}"
        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=color)
    long = max(map(len, names)) > 3
    ax.set_xticks(range(k), names, rotation=45 if long else 0, ha="right" if long else "center")
    ax.set_yticks(range(k), names)
    _tidy(ax, title, "predicted class", "true class", grid=False)
    return fig
