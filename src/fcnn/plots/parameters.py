"""Every weight and bias per iteration (seed 000, section 5), one small panel each; the
selection of panels by name, and the per-layer norms that summarise a large network."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from .._checks import in_range
from ..history import History
from ..network import Network
from ._base import (
    LOG_X_ABOVE,
    Array,
    _color,
    _legend_outside,
    _need_history,
    _plain_ticks,
    _tidy,
)

_PARAM = re.compile(r"^([Wb])(\d+)(?:\[(\d+)(?:,\s*(\d+))?\])?$")


def parameter_trajectories(
    history: History,
    net: Network,
    *,
    max_panels: int = 64,
    select: str | Sequence[str] | None = None,
    fig: Figure | SubFigure | None = None,
    title: str | None = None,
) -> Figure:
    """Every weight and bias against iteration, one small panel each (seed 000, section 5).

    Iteration 0 is the initial value; iteration t follows the t-th update. Panels are titled
    ``W1[i,j]`` (weight from input unit j to unit i of layer 1, ``W^(1): (n_1, n_0)``) and
    ``b1[i]``, layers counted from 1 as in the seeds. ``select`` picks panels by name
    (``["W1[0,1]", "b2[0]"]``) or whole tensors (``"W2"``). Without ``select``, a network with
    more than ``max_panels`` parameters gets a summary instead: per-layer norms ``‖W^(k)‖_F``
    and ``‖b^(k)‖₂``. ``fig``: a figure (or subfigure) to draw into. Needs a history trained
    with ``record_params=True``.
    """
    _need_history(history)
    if not isinstance(net, Network):
        raise ValueError(f"net must be an fcnn.Network, got {type(net).__name__}")
    if not in_range(max_panels, 1, integer=True):
        raise ValueError(f"max_panels must be a positive integer, got {max_panels!r}")
    if select is not None and not (
        isinstance(select, str) or all(isinstance(s, str) for s in _iterable(select))
    ):
        raise ValueError(
            f"select must be a name such as 'W1' or 'b2[0]', or a list of them, got {select!r}"
        )
    if not history.params:
        raise ValueError(
            "no parameter trajectories: train with record_params=True to record them "
            "(net.fit(X, y, record_params=True))"
        )
    Ws, bs = history.trajectory(net)  # refuses a network of other sizes
    if select is None and net.n_params > max_panels:
        root = Figure(figsize=(11, 4.2), layout="constrained") if fig is None else fig
        _norm_panels(root, Ws, bs)
        title = title or f"Parameter norms per iteration ({net.n_params} parameters)"
    else:
        chosen = _select(Ws, bs, select)
        if len(chosen) > max_panels:
            raise ValueError(
                f"{len(chosen)} panels selected but max_panels={max_panels}; select fewer "
                "parameters or raise max_panels"
            )
        n = len(chosen)
        ncols = n if n <= 4 else 4 if n <= 16 else 6 if n <= 36 else 8
        size = (2.3 * ncols + 0.6, 1.75 * -(-n // ncols) + 0.8)
        root = Figure(figsize=size, layout="constrained") if fig is None else fig
        _value_panels(root, chosen, ncols)
    root.suptitle(title or "Weights and biases per iteration")
    return root if isinstance(root, Figure) else root.figure


def _iterable(value: object) -> list:
    """``value`` as a list when it can be iterated, else ``[value]``."""
    try:
        return list(value)  # type: ignore[call-overload]
    except TypeError:
        return [value]


def _select(Ws: list[Array], bs: list[Array], select: str | Sequence[str] | None) -> list:
    """``[(name, tensor index, trajectory (n_snapshots,))]`` for the selected parameters."""
    names = [select] if isinstance(select, str) else select
    if names is None:
        names = [f"{t}{k + 1}" for k in range(len(Ws)) for t in "Wb"]
    chosen = []
    for name in names:
        m = _PARAM.match(str(name).replace(" ", ""))
        if m is None or not 1 <= int(m[2]) <= len(Ws):
            raise ValueError(
                f"cannot select {name!r}: use 'W<k>[i,j]', 'b<k>[i]' or a tensor 'W<k>'/'b<k>' "
                f"with layer k in 1..{len(Ws)}"
            )
        kind, k = m[1], int(m[2]) - 1
        T = Ws[k] if kind == "W" else bs[k]
        idx = tuple(int(i) for i in m.groups()[2:] if i is not None)
        if not idx:  # the whole tensor
            chosen += [_entry(kind, k, i, T) for i in np.ndindex(T.shape[1:])]
        elif len(idx) != T.ndim - 1 or any(i >= n for i, n in zip(idx, T.shape[1:], strict=True)):
            shape = "x".join(map(str, T.shape[1:]))
            raise ValueError(f"{name!r} is outside {kind}{k + 1}, which has shape ({shape})")
        else:
            chosen.append(_entry(kind, k, idx, T))
    if not chosen:
        raise ValueError("select is empty; name at least one parameter, e.g. ['W1[0,0]']")
    return chosen


def _entry(kind: str, k: int, idx: tuple[int, ...], T: Array) -> tuple[str, int, Array]:
    """(panel title, colour index: one per tensor, trajectory) of ``T[:, *idx]``."""
    name = f"{kind}{k + 1}[{','.join(map(str, idx))}]"
    return name, 2 * k + (kind == "b"), T[(slice(None), *idx)]


def _value_panels(fig: Figure | SubFigure, chosen: list, ncols: int) -> None:
    """One panel per chosen trajectory, ``ncols`` to a row, iterations along x.

    Every trajectory spans the same iterations, so the panels have one x range without sharing
    the axis (``sharex`` makes matplotlib visit every sibling panel each time one reads its
    limits: quadratic in the panel count); tick labels are drawn on the lowest panel of each
    column only.
    """
    n = len(chosen)
    nrows = -(-n // ncols)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    steps = np.arange(len(chosen[0][2]))
    lines = []
    for ax, (_, tensor, values) in zip(axes, chosen, strict=False):
        lw = 1.4 if len(steps) <= 500 else 0.8
        lines.append(ax.plot(steps, values, color=_color(tensor), lw=lw)[0])
        ax.yaxis.set_major_locator(MaxNLocator(4))
    # where one panel barely moves (its ticks would need an offset text), every panel shows the
    # change from its initial value, each with its scale in the label: one reading for all
    change = any(_has_offset_text(ax.yaxis) for ax in axes[:n])
    for i, (ax, line, (name, _, values)) in enumerate(zip(axes, lines, chosen, strict=False)):
        lowest = i + ncols >= n  # the lowest panel of its column
        ylabel = "value" if i % ncols == 0 else ""
        if change:
            name, ylabel = _as_change(line, name, values)
        ax.tick_params(labelsize=7, labelbottom=lowest)
        _plain_ticks(ax)
        ax.set_title(name, fontsize=9, y=1.0)
        ax.grid(True, alpha=0.3, linewidth=0.5)
        ax.spines[["top", "right"]].set_visible(False)
        if lowest:
            ax.set_xlabel(_iteration_axis(ax, len(steps) - 1), fontsize=8)
        else:
            _iteration_axis(ax, len(steps) - 1)
        if ylabel:
            ax.set_ylabel(ylabel, fontsize=8)
    for ax in axes[n:]:
        ax.set_visible(False)


def _iteration_axis(ax: Axes, last: int) -> str:
    """Over more than ``LOG_X_ABOVE`` iterations, a symmetric-log x axis (linear from 0 to 1,
    then logarithmic: iteration 0, the initial value, stays on it), so that the early moves
    are not squashed against the y axis; the x label that says which."""
    if last <= LOG_X_ABOVE:
        return "iteration"
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(0, last)  # the margins would reach into negative iterations
    return "iteration (log scale)"


def _as_change(line: Line2D, name: str, values: Array) -> tuple[str, str]:
    """Redraw ``line`` as the change from its initial value in units of a power of ten, so
    that a weight that moves by 1e-6 reads plainly (seed 000 at lr 1e-6); the panel's new
    title (the initial value) and y label (the scale)."""
    change = np.asarray(values, np.float64) - float(values[0])
    span = float(np.abs(change).max())
    power = int(np.floor(np.log10(span))) if span > 0 else 0
    line.set_ydata(change / 10.0**power)
    line.axes.relim()
    line.axes.autoscale_view()
    scale = f" (×1e{power})" if power else ""
    return f"{name} from {float(values[0]):.6g}".replace("-", "−"), f"change{scale}"


def _has_offset_text(axis: Axis) -> bool:
    """Whether the tick labels of ``axis`` need an offset or a power of ten written above them
    (``1e-6+1.103``), as those of a parameter that barely moves do.

    Only such a text can rise into a panel's title: the x ticks sit below. Where there is none,
    the title gets its place, ``y=1.0``, up front, which spares matplotlib a search of the tick
    labels for it on every draw: a fifth of the time to save the figure. The y ticks (at most 4
    bins) depend on the data alone, not on the panel's size, so they are known here.
    """
    formatter = axis.get_major_formatter()
    formatter.set_locs(axis.get_majorticklocs())
    return bool(formatter.get_offset())


def _norm_panels(fig: Figure | SubFigure, Ws: list[Array], bs: list[Array]) -> None:
    axW, axb = fig.subplots(1, 2, sharex=True)
    steps = np.arange(len(Ws[0]))
    for k, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        shape = "x".join(map(str, W.shape[1:]))
        W_norm, b_norm = np.linalg.norm(W, axis=(1, 2)), np.linalg.norm(b, axis=1)
        axW.plot(steps, W_norm, color=_color(k), lw=1.5, label=f"layer {k + 1} ({shape})")
        axb.plot(steps, b_norm, color=_color(k), lw=1.5, label=f"layer {k + 1} ({W.shape[1]})")
    xlabel = [_iteration_axis(ax, len(steps) - 1) for ax in (axW, axb)][0]
    _tidy(axW, "Weights: $\\|W^{(k)}\\|_F$", xlabel, "Frobenius norm")
    _tidy(axb, "Biases: $\\|b^{(k)}\\|_2$", xlabel, "Euclidean norm")
    for ax, name in ((axW, "W"), (axb, "b")):  # beside the panels: over no curve
        _legend_outside(ax, title=name, fontsize=8)
        _plain_ticks(ax)
