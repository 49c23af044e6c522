"""Figures of a regression: the predictions against the true values, and for one input the
fitted function over x with the data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..network import Network
from ._base import Array, _color, _legend_outside, _plain_ticks, _tidy


def _values(net: Network, X: Array, Y: Array) -> tuple[Array, Array, Array]:
    """(X, Y (n, n_l), predictions (n, n_l)) for a network with raw-unit inputs ``X``."""
    X = np.asarray(X, np.float64)
    Y = np.asarray(Y, np.float64).reshape(len(X), -1)
    if X.ndim != 2 or X.shape[1] != net.n_inputs or Y.shape[1] != net.n_outputs:
        raise ValueError(
            f"X must be (n_samples, {net.n_inputs}) and Y (n_samples, {net.n_outputs}) for this "
            f"network; got {X.shape} and {Y.shape}"
        )
    return X, Y, np.asarray(net.forward(net.standardize(X)), np.float64)


def _split_mask(n: int, held_out: Array | None) -> Array:
    mask = np.zeros(n, bool)
    if held_out is not None and len(held_out):
        mask[np.asarray(held_out, np.int64)] = True
    return mask


def _scatter_split(ax: Axes, x: Array, y: Array, mask: Array) -> None:
    """The points ``(x, y)``: training rows in the first colour, ``mask`` (validation) rows in
    the second."""
    for part, name, color in ((~mask, "training", 0), (mask, "validation", 1)):
        if part.any():
            ax.scatter(x[part], y[part], s=14, color=_color(color), label=name, zorder=3)


def predicted_vs_true(
    net: Network,
    X: Array,
    Y: Array,
    *,
    held_out: Array | None = None,
    target_names: Sequence[str] | None = None,
    title: str = "Predicted against true values",
) -> Figure:
    """One panel per output: each sample's prediction against its true value, with the line
    ``predicted = true``; ``held_out`` rows (validation) drawn in a second colour.
    ``X: (n_samples, n_0)`` in raw units, ``Y: (n_samples, n_l)``."""
    X, Y, P = _values(net, X, Y)
    mask = _split_mask(len(X), held_out)
    k = Y.shape[1]
    fig = Figure(figsize=(4.6 * min(k, 3) + 1.6, 4.2 * -(-k // 3)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(-(-k // 3), min(k, 3), squeeze=False)).ravel()
    for j, ax in enumerate(axes[:k]):
        lo, hi = min(Y[:, j].min(), P[:, j].min()), max(Y[:, j].max(), P[:, j].max())
        ax.plot([lo, hi], [lo, hi], color="0.4", lw=1.0, ls=":", label="predicted = true")
        _scatter_split(ax, Y[:, j], P[:, j], mask)
        name = target_names[j] if target_names is not None and j < len(target_names) else None
        label = name or (f"output {j + 1}" if k > 1 else "target")
        _tidy(ax, label if k > 1 else title, f"true {label}", f"predicted {label}")
        ax.set_aspect("equal", adjustable="datalim")
        _plain_ticks(ax)
    _legend_outside(axes[min(k, 3) - 1], fontsize="small")
    for ax in axes[k:]:
        ax.set_visible(False)
    if k > 1:
        fig.suptitle(title)
    return fig


def fit_curve(
    net: Network,
    X: Array,
    Y: Array,
    *,
    held_out: Array | None = None,
    feature_name: str | None = None,
    target_name: str | None = None,
    title: str = "Fit",
) -> Figure:
    """For one input and one output: the data and the network's function over x, from the
    smallest x to the largest (and 5% beyond). ``X: (n_samples, 1)``, ``Y: (n_samples, 1)``."""
    if net.n_inputs != 1 or net.n_outputs != 1:
        raise ValueError(
            f"fit_curve draws networks of 1 input and 1 output; this one has {net.n_inputs} and "
            f"{net.n_outputs}: use predicted_vs_true"
        )
    X, Y, _ = _values(net, X, Y)
    mask = _split_mask(len(X), held_out)
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    _scatter_split(ax, X[:, 0], Y[:, 0], mask)
    lo, hi = X[:, 0].min(), X[:, 0].max()
    pad = 0.05 * max(hi - lo, 1e-9)
    grid = np.linspace(lo - pad, hi + pad, 400)[:, None]
    fx = net.forward(net.standardize(grid))[:, 0]
    ax.plot(grid[:, 0], fx, color="black", lw=1.8, label="network", zorder=4)
    _tidy(ax, title, feature_name or "$x$", target_name or "$y$")
    _plain_ticks(ax)
    _legend_outside(ax, fontsize="small")
    return fig
