"""Every figure fcnn draws; the only module that imports matplotlib.

The figures follow the seed course report (seed 000, sections 2 and 5): the data coloured by
class (Figure 1), the loss per iteration (Figure 2) and every weight and bias per iteration.

Only matplotlib's object-oriented API is used: each function builds a
:class:`matplotlib.figure.Figure` (or draws into the ``ax`` it is given) and returns it. Nothing
touches pyplot's global state, so the module is headless and safe to call from threads; a
figure is freed when it is no longer referenced. :func:`save` writes a figure atomically and
:func:`save_all` writes the standard set for a run folder.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, ListedColormap
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter

from .history import History
from .io import atomic_path
from .network import Network

Array = np.ndarray
COLORS = [tuple(c) for c in matplotlib.colormaps["tab10"].colors]
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")
_POINT = {"s": 22, "linewidths": 0.5, "zorder": 3}
_DASHES = ((5, 2), (1.5, 1.5), (6, 2, 1.5, 2))  # dashed, dotted, dash-dot: one per loss part
_PARAM = re.compile(r"^([Wb])(\d+)(?:\[(\d+)(?:,\s*(\d+))?\])?$")


# ------------------------------------------------------------------------ helpers
def _color(i: int) -> tuple[float, ...]:
    return COLORS[i % len(COLORS)]


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """The root figure of ``ax``, or a new constrained-layout figure with one axes."""
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        return fig, fig.add_subplot()
    fig = ax.get_figure()
    return (fig.figure if isinstance(fig, SubFigure) else fig), ax


def _tidy(ax: Axes, title: str, xlabel: str, ylabel: str, grid: bool = True) -> None:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if grid:
        ax.grid(True, alpha=0.3, linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)


def _labels(y: Array) -> Array:
    """Integer class labels from labels ``(n,)``, one-hot/probabilities ``(n, k)`` or ``(n, 1)``."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    y = y.reshape(len(y))
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            return (y > 0.5).astype(np.int64)
    elif y.dtype.kind not in "biu":
        raise ValueError(f"y must be numeric class labels, got dtype {y.dtype}")
    return y.astype(np.int64)


def _class_names(classes: Sequence[Any] | None, k: int) -> list[str]:
    if classes is None:
        return [f"class {c}" for c in range(k)]
    if len(classes) < k:
        raise ValueError(f"classes has {len(classes)} names but y has labels 0..{k - 1}")
    return [str(c) for c in classes]


def _xy(X: Array, y: Array) -> tuple[Array, Array]:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"X must have shape (n_samples, 2) to be drawn in the plane; got {X.shape}"
        )
    labels = _labels(y)
    if len(labels) != len(X):
        raise ValueError(f"y has {len(labels)} rows but X has {len(X)}")
    if labels.size and labels.min() < 0:
        raise ValueError(f"class labels must be >= 0, got {labels.min()}")
    return X, labels


def _points(ax: Axes, X: Array, labels: Array, names: list[str], edge: str = "white") -> None:
    for c in np.unique(labels):
        x1, x2 = X[labels == c].T
        m = MARKERS[c % len(MARKERS)]
        ax.scatter(x1, x2, color=_color(c), marker=m, edgecolors=edge, label=names[c], **_POINT)


def _is_classifier(net: Network) -> bool:
    return net.output == "softmax" or (net.output == "sigmoid" and net.n_outputs == 1)


def _need_history(history: History) -> None:
    if not isinstance(history, History):
        raise ValueError(f"history must be an fcnn.History, got {type(history).__name__}")
    if not history.epoch:
        raise ValueError("history is empty; train the network first (net.fit returns a History)")


# ------------------------------------------------------------------------- figures
def scatter(
    X: Array,
    y: Array,
    classes: Sequence[Any] | None = None,
    *,
    ax: Axes | None = None,
    title: str = "Data",
) -> Figure:
    """The 2-D data coloured by class (seed 000, Figure 1).

    ``X: (n_samples, 2)``; ``y``: labels ``(n_samples,)`` or one-hot ``(n_samples, k)``;
    ``classes``: names for the labels 0..k-1 (legend).
    """
    X, labels = _xy(X, y)
    fig, ax = _axes(ax, (5.5, 4.5))
    _points(ax, X, labels, _class_names(classes, int(labels.max(initial=0)) + 1))
    _tidy(ax, title, "$x_1$", "$x_2$")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(title="class", loc="best", framealpha=0.85)
    return fig


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
    if not history.params:
        raise ValueError(
            "no parameter trajectories: train with record_params=True to record them "
            "(net.fit(X, y, record_params=True))"
        )
    if len(history.params[0]) != net.n_params:
        raise ValueError(
            f"the history holds {len(history.params[0])} parameters per snapshot but the network "
            f"has {net.n_params}; pass the network that produced this history"
        )
    Ws, bs = history.trajectory(net)
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
    n = len(chosen)
    nrows = -(-n // ncols)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, squeeze=False)).ravel()
    steps = np.arange(len(chosen[0][2]))
    for ax, (name, tensor, values) in zip(axes, chosen, strict=False):
        ax.plot(steps, values, color=_color(tensor), lw=1.4 if len(steps) <= 500 else 0.8)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.grid(True, alpha=0.3, linewidth=0.5)
        ax.spines[["top", "right"]].set_visible(False)
    for i, ax in enumerate(axes):
        if i >= n:
            ax.set_visible(False)
        elif i + ncols >= n:  # the lowest panel of its column
            ax.set_xlabel("iteration", fontsize=8)
            ax.tick_params(labelbottom=True)
        if i % ncols == 0 and i < n:
            ax.set_ylabel("value", fontsize=8)


def _norm_panels(fig: Figure | SubFigure, Ws: list[Array], bs: list[Array]) -> None:
    axW, axb = fig.subplots(1, 2, sharex=True)
    steps = np.arange(len(Ws[0]))
    for k, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        shape = "x".join(map(str, W.shape[1:]))
        W_norm, b_norm = np.linalg.norm(W, axis=(1, 2)), np.linalg.norm(b, axis=1)
        axW.plot(steps, W_norm, color=_color(k), lw=1.5, label=f"layer {k + 1} ({shape})")
        axb.plot(steps, b_norm, color=_color(k), lw=1.5, label=f"layer {k + 1} ({W.shape[1]})")
    _tidy(axW, "Weights: $\\|W^{(k)}\\|_F$", "iteration", "Frobenius norm")
    _tidy(axb, "Biases: $\\|b^{(k)}\\|_2$", "iteration", "Euclidean norm")
    axW.legend(title="W", loc="best", framealpha=0.85, fontsize=8)
    axb.legend(title="b", loc="best", framealpha=0.85, fontsize=8)


def decision_boundary(
    net: Network,
    X: Array,
    y: Array,
    classes: Sequence[Any] | None = None,
    *,
    resolution: int = 200,
    ax: Axes | None = None,
    title: str = "Decision boundary",
) -> Figure:
    """The predicted class over the plane, with the data on top, for a 2-input classifier.

    ``X: (n_samples, 2)`` in raw units; grid points go through ``net.standardize`` when the
    network carries standardisation statistics. With two classes (softmax over 2 units, or one
    sigmoid unit) the background is ``P(class 1)`` and a black line marks ``P = 0.5``; with
    more classes it is the argmax class.
    """
    if net.n_inputs != 2:
        raise ValueError(
            f"decision_boundary draws networks with 2 inputs; this one has {net.n_inputs}"
        )
    if not _is_classifier(net):
        raise ValueError(
            f"decision_boundary needs a classifier (softmax output, or one sigmoid unit); this "
            f"network has output={net.output!r} with {net.n_outputs} units"
        )
    if resolution < 2:
        raise ValueError(f"resolution must be >= 2, got {resolution}")
    X, labels = _xy(X, y)
    k = 2 if net.n_outputs == 1 else net.n_outputs
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
        Z = P.argmax(axis=1).reshape(G1.shape)
        cmap = ListedColormap([_color(c) for c in range(k)])
        ax.contourf(G1, G2, Z, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.3)
        for c in range(k):  # each region's outline; shared edges coincide, so lines stay thin
            ax.contour(G1, G2, (Z == c).astype(float), levels=[0.5], colors="black", linewidths=0.8)
        boundary = Line2D([], [], color="black", lw=0.8, label="boundary")
    _points(ax, X, labels, names, edge="0.15")
    ax.set_xlim(g1[0], g1[-1])
    ax.set_ylim(g2[0], g2[-1])
    _tidy(ax, title, "$x_1$", "$x_2$", grid=False)
    handles = ax.get_legend_handles_labels()[0] + [boundary]
    ax.legend(handles=handles, loc="best", framealpha=0.85)
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


# --------------------------------------------------------------------------- files
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
) -> list[Path]:
    """Write the standard figures of a run into ``run_dir`` and return their paths.

    ``loss.png`` always; ``accuracy.png`` when the history has accuracies (a classifier);
    ``parameters.png`` when parameters were recorded; ``data.png`` and ``decision_boundary.png``
    for a classifier with 2 inputs. ``X: (n_samples, n_0)`` in raw units; ``classes`` defaults
    to ``net.classes``.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    classes = classes if classes is not None else net.classes
    plane = net.n_inputs == 2 and _is_classifier(net)
    jobs = [
        ("data.png", plane, lambda: scatter(X, y, classes)),
        ("loss.png", True, lambda: loss_curve(history)),
        ("accuracy.png", bool(history.accuracy), lambda: accuracy_curve(history)),
        ("parameters.png", bool(history.params), lambda: parameter_trajectories(history, net)),
        ("decision_boundary.png", plane, lambda: decision_boundary(net, X, y, classes)),
    ]
    return [save(draw(), run_dir / name, dpi) for name, wanted, draw in jobs if wanted]
