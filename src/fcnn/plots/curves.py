"""Training curves: the loss per epoch or per update (seed 000, Figure 2) and the accuracy."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ..history import History
from ._base import _axes, _color, _need_history, _tidy

_DASHES = ((5, 2), (1.5, 1.5), (6, 2, 1.5, 2))  # dashed, dotted, dash-dot: one per loss part


def loss_curve(
    history: History,
    *,
    per_step: bool = False,
    log: bool | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """The loss per epoch with its parts and the validation loss (seed 000, Figure 2).

    Training curves are blue and validation curves orange (as in :func:`accuracy_curve`); the
    total loss is a thick solid line and each part (e.g. ``mse``, ``ce``) a thinner dashed or
    dotted one. ``per_step=True`` draws ``history.step_loss`` (one value per update,
    "iteration") instead, with the validation loss at the end of each epoch. ``log``: log-scale
    y axis; ``None`` picks it when the plotted values span more than two decades. A dotted
    vertical line marks ``history.best_epoch`` when it is not the last epoch.
    """
    _need_history(history)
    fig, ax = _axes(ax, (6.5, 4.2))
    epochs = np.asarray(history.epoch)
    if per_step:
        n_steps = len(history.step_loss)
        per_epoch = n_steps // len(epochs) if n_steps % len(epochs) == 0 else 0
        series = [("loss", history.step_loss, np.arange(1, n_steps + 1), 0, 0)]
        if per_epoch and history.val_loss:
            series.append(("val loss", history.val_loss, epochs * per_epoch, 1, 0))
    else:
        series = [("loss", history.loss, epochs, 0, 0)]
        parts = history.parts if len(history.parts) > 1 else {}
        series += [(k, v, epochs, 0, i + 1) for i, (k, v) in enumerate(parts.items())]
        if history.val_loss:
            series.append(("val loss", history.val_loss, epochs, 1, 0))
            parts = history.val_parts if len(history.val_parts) > 1 else {}
            series += [(f"val {k}", v, epochs, 1, i + 1) for i, (k, v) in enumerate(parts.items())]
    marker = "o" if len(series[0][1]) <= 30 else None
    for name, values, xs, color, part in series:
        style, lw = ("-", 2.0) if part == 0 else ((0, _DASHES[(part - 1) % len(_DASHES)]), 1.3)
        ax.plot(xs, values, ls=style, color=_color(color), lw=lw, marker=marker, ms=3, label=name)
    best = history.best_epoch
    if best is not None and best != history.epoch[-1] and not per_step:
        ax.axvline(best, color="0.35", lw=0.9, ls=":", label=f"best epoch ({best})")
    values = np.concatenate([np.asarray(v, np.float64) for _, v, *_ in series])
    values = values[np.isfinite(values)]
    if log is None:
        log = bool(values.size and values.min() > 0 and values.max() / values.min() > 100)
    if log:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    what, xlabel = ("iteration", "iteration (update)") if per_step else ("epoch", "epoch")
    _tidy(ax, title or f"Loss per {what}", xlabel, "loss" + (" (log scale)" if log else ""))
    if len(ax.get_lines()) > 1:
        ax.legend(loc="best", framealpha=0.85, ncols=2 if len(series) > 4 else 1)
    return fig


def accuracy_curve(
    history: History, *, ax: Axes | None = None, title: str = "Accuracy per epoch"
) -> Figure:
    """Training accuracy (running, over each epoch's batches) and validation accuracy."""
    _need_history(history)
    if not history.accuracy:
        raise ValueError("history has no accuracy: the targets were not classes (a regression)")
    fig, ax = _axes(ax, (6.5, 4.2))
    x = np.asarray(history.epoch)
    marker = "o" if len(x) <= 30 else None
    curves = [
        ("train", history.accuracy, "-", 2.0),
        ("validation", history.val_accuracy, "--", 1.6),
    ]
    for i, (name, values, style, lw) in enumerate(c for c in curves if c[1]):
        ax.plot(x, values, style, color=_color(i), lw=lw, marker=marker, ms=3, label=name)
    if history.val_accuracy:
        ax.legend(loc="lower right", framealpha=0.85)
    low = min(min(history.accuracy), min(history.val_accuracy or [1.0]))
    ax.set_ylim(max(0.0, math.floor(low * 10) / 10 - 0.02), 1.01)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _tidy(ax, title, "epoch", "accuracy")
    return fig
