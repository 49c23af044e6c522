"""Training curves: the loss per epoch or per update (seed 000, Figure 2) and the accuracy.

The losses drawn are means over samples (``History.loss_per_sample``, validation alike),
whatever the reduction: training and validation then share one scale. A history without them
(one of fcnn 0.1) falls back to ``loss``, and the axis label says which it is.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ..history import History
from ._base import (
    _axes,
    _color,
    _epoch_axis,
    _legend_outside,
    _log_y,
    _need_history,
    _plain_ticks,
    _tidy,
)


def _per_sample(history: History) -> tuple[list, dict, list, dict, str]:
    """(loss, parts, val loss, val parts, y label): the per-sample means when recorded."""
    h = history
    if h.loss_per_sample and len(h.loss_per_sample) == len(h.epoch):
        val_ok = len(h.val_loss_per_sample) == len(h.val_loss)
        return (
            h.loss_per_sample,
            h.parts_per_sample,
            h.val_loss_per_sample if val_ok else [],
            h.val_parts_per_sample if val_ok else {},
            "loss per sample (mean over samples)",
        )
    return h.loss, h.parts, h.val_loss, h.val_parts, "loss (objective as configured)"


def _draw(ax: Axes, xs, series, marker) -> list:
    """Plot ``series`` of (label, values, colour index, style, width) over ``xs`` (or a list
    of one x array a series); the values' arrays."""
    drawn = []
    for i, (name, values, color, style, lw) in enumerate(series):
        x = xs[i] if isinstance(xs, list) else xs
        ax.plot(x, values, ls=style, color=_color(color), lw=lw, marker=marker, ms=3, label=name)
        drawn.append(np.asarray(values, np.float64))
    return drawn


def _y_scale(ax: Axes, drawn: list, log: bool | None) -> bool:
    values = np.concatenate(drawn) if drawn else np.zeros(0)
    values = values[np.isfinite(values)]
    if log is None:
        log = bool(values.size and values.min() > 0 and values.max() / values.min() > 100)
    if log:
        _log_y(ax, values)
    return log


def loss_curve(
    history: History,
    *,
    per_step: bool = False,
    log: bool | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """The loss per sample per epoch, training and validation (seed 000, Figure 2), and, for a
    loss of several parts (``mse+ce``, an L2 penalty), each part in a panel of its own.

    Training is blue and solid, validation orange and dashed (as in :func:`accuracy_curve`).
    The parts get their own panel so that a part equal to the total (``ce`` when ``mse`` is
    tiny) cannot hide under it; with ``ax`` given, only the total is drawn there.
    ``per_step=True`` draws ``history.step_loss`` (one value per update, the objective as
    configured) instead. ``log``: log-scale y axis; ``None`` picks it when the values span
    more than two decades. Above 2,000 epochs the x axis is logarithmic. A dotted vertical line
    marks ``history.best_epoch`` only when the network holds that epoch's parameters
    (``restored_best``). Legends sit beside the axes, over no data.
    """
    _need_history(history)
    loss, parts, val_loss, val_parts, ylabel = _per_sample(history)
    with_parts = ax is None and not per_step and len(parts) > 1
    if ax is None:
        fig = Figure(figsize=(11.5, 4.2) if with_parts else (7.5, 4.2), layout="constrained")
        axes = fig.subplots(1, 2) if with_parts else [fig.add_subplot()]
        ax = axes[0]
    else:
        fig, ax = _axes(ax, (7.5, 4.2))
        axes = [ax]
    epochs = np.asarray(history.epoch)
    if per_step:
        n_steps = len(history.step_loss)
        xs, last = np.arange(1, n_steps + 1), n_steps
        series = [("training (per update)", history.step_loss, 0, "-", 1.2)]
        # the updates' losses are per sample only with reduction "mean" (loss equals its
        # per-sample mean): only then does the validation loss share their scale
        same_scale = history.loss == history.loss_per_sample
        ylabel = ylabel if same_scale else "loss (objective as configured)"
        if same_scale and val_loss and n_steps % len(epochs) == 0:
            series.append(("validation", val_loss, 1, "-", 1.4))
            xs = [xs, epochs * (n_steps // len(epochs))]
    else:
        xs, last = epochs, int(epochs[-1])
        series = [("training", loss, 0, "-", 2.0)]
        if val_loss:
            # dashes on a long, noisy curve read as a smear: solid and thinner there
            series.append(("validation", val_loss, 1, "--" if len(epochs) <= 100 else "-", 1.4))
    marker = "o" if len(series[0][1]) <= 30 else None
    drawn = _draw(ax, xs, series, marker)
    best = history.best_epoch
    if history.restored_best and best is not None and not per_step:
        ax.axvline(best, color="0.35", lw=0.9, ls=":", label=f"saved model (epoch {best})")
    log_x = _epoch_axis(ax, last)
    if with_parts and log is None:  # both panels on one kind of scale: log if either needs it
        every = [*drawn, *map(np.asarray, parts.values()), *map(np.asarray, val_parts.values())]
        log = _y_scale(ax, every, None)
    else:
        log = _y_scale(ax, drawn, log)
    what = "iteration" if per_step else "epoch"
    xlabel = ("iteration (update)" if per_step else "epoch") + (" (log scale)" if log_x else "")
    _tidy(ax, title or f"Loss per {what}", xlabel, ylabel + (", log scale" if log else ""))
    if with_parts:
        _parts_panel(axes[1], epochs, parts, val_parts, marker, last, ylabel, log)
    for a in axes:
        _plain_ticks(a)
        if len(a.get_lines()) > 1:
            _legend_outside(a, fontsize="small")
    return fig


def _parts_panel(
    ax: Axes, epochs, parts, val_parts, marker, last: int, ylabel: str, log: bool
) -> None:
    """Each loss part, one colour a part: training solid, validation dashed."""
    series = [(f"{k} (training)", v, i + 2, "-", 1.6) for i, (k, v) in enumerate(parts.items())]
    if len(val_parts) > 1:
        series += [
            (f"{k} (validation)", v, i + 2, "--", 1.4) for i, (k, v) in enumerate(val_parts.items())
        ]
    drawn = _draw(ax, epochs, series, marker)
    log_x = _epoch_axis(ax, last)
    log = _y_scale(ax, drawn, log)
    xlabel = "epoch" + (" (log scale)" if log_x else "")
    _tidy(
        ax, "Loss parts", xlabel, ylabel.replace("loss", "part", 1) + (", log scale" if log else "")
    )


def accuracy_curve(
    history: History, *, ax: Axes | None = None, title: str = "Accuracy per epoch"
) -> Figure:
    """Training accuracy (running, over each epoch's batches) and validation accuracy; above
    2,000 epochs on a log x axis; the legend beside the axes."""
    _need_history(history)
    if not history.accuracy:
        raise ValueError("history has no accuracy: the targets were not classes (a regression)")
    fig, ax = _axes(ax, (7.5, 4.2))
    x = np.asarray(history.epoch)
    marker = "o" if len(x) <= 30 else None
    curves = [
        ("training", history.accuracy, "-", 2.0),
        ("validation", history.val_accuracy, "--" if len(x) <= 100 else "-", 1.4),
    ]
    for i, (name, values, style, lw) in enumerate(c for c in curves if c[1]):
        ax.plot(x, values, style, color=_color(i), lw=lw, marker=marker, ms=3, label=name)
    low = min(min(history.accuracy), min(history.val_accuracy or [1.0]))
    ax.set_ylim(max(0.0, math.floor(low * 10) / 10 - 0.02), 1.01)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    log_x = _epoch_axis(ax, int(x[-1]))
    _tidy(ax, title, "epoch" + (" (log scale)" if log_x else ""), "accuracy")
    _plain_ticks(ax)
    if history.val_accuracy:
        _legend_outside(ax, fontsize="small")
    return fig
