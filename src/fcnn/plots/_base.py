"""What the figures share: colours and markers, axes set-up, label handling, input checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure

from ..history import History

Array = np.ndarray
COLORS = [tuple(c) for c in matplotlib.colormaps["tab10"].colors]
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")
_POINT = {"s": 22, "linewidths": 0.5, "zorder": 3}


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


#: the most classes a figure draws (a legend entry and a colour each)
MAX_CLASSES = 1000


def _labels(y: Array) -> Array:
    """Integer class labels from labels ``(n,)``, one-hot/probabilities ``(n, k)`` or ``(n, 1)``."""
    y = np.asarray(y)
    if y.ndim not in (1, 2) or y.dtype.kind not in "biuf":
        raise ValueError(
            f"y must be numeric class labels (n_samples,) or one-hot rows (n_samples, k); got "
            f"{type(y).__name__} of dtype {y.dtype} and shape {y.shape}"
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(
            f"y contains NaN or inf (first at row {int(np.argwhere(~np.isfinite(y))[0][0])})"
        )
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
    """The legend names of labels 0..k-1, drawn as written (a ``$`` is not mathtext)."""
    if classes is None:
        return [f"class {c}" for c in range(k)]
    if len(classes) < k:
        raise ValueError(f"classes has {len(classes)} names but y has labels 0..{k - 1}")
    return [str(c).replace("$", r"\$") for c in classes]


def _xy(X: Array, y: Array) -> tuple[Array, Array]:
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"X must be numbers (n_samples, 2): {exc}") from None
    if X.ndim != 2 or X.shape[1] != 2 or not len(X):
        raise ValueError(
            f"X must have shape (n_samples, 2), n_samples >= 1, to be drawn in the plane; got "
            f"{X.shape}"
        )
    if not np.isfinite(X).all():
        r, c = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(f"X contains NaN or inf (first at row {r}, column {c}); drop that row")
    labels = _labels(y)
    if len(labels) != len(X):
        raise ValueError(f"y has {len(labels)} rows but X has {len(X)}")
    if labels.min() < 0 or labels.max() >= MAX_CLASSES:
        raise ValueError(
            f"class labels must be 0..{MAX_CLASSES - 1} to be drawn, got {labels.min()}.."
            f"{labels.max()}; encode them as 0..k-1 (fcnn.datasets.encode_labels)"
        )
    return X, labels


def _points(ax: Axes, X: Array, labels: Array, names: list[str], edge: str = "white") -> None:
    for c in np.unique(labels):
        x1, x2 = X[labels == c].T
        m = MARKERS[c % len(MARKERS)]
        ax.scatter(x1, x2, color=_color(c), marker=m, edgecolors=edge, label=names[c], **_POINT)


def _need_history(history: History) -> None:
    if not isinstance(history, History):
        raise ValueError(f"history must be an fcnn.History, got {type(history).__name__}")
    if not history.epoch:
        raise ValueError("history is empty; train the network first (net.fit returns a History)")


#: above this many epochs (or iterations), curves get a log x-axis: the early dynamics show
LOG_X_ABOVE = 2000


def _plain_ticks(ax: Axes) -> None:
    """Tick labels written out in full on every linear axis of ``ax``: never matplotlib's
    offset text (``1e-6+1.10333``) beside the axis, which a reader misses or misreads."""
    from matplotlib.ticker import ScalarFormatter

    for axis in (ax.xaxis, ax.yaxis):
        if isinstance(axis.get_major_formatter(), ScalarFormatter):
            formatter = ScalarFormatter(useOffset=False)
            formatter.set_scientific(False)
            axis.set_major_formatter(formatter)


def _legend_outside(ax: Axes, **kwargs: Any) -> None:
    """The legend of ``ax`` beside it, right of the axes, where it covers no data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)


def _log_y(ax: Axes, values: Array) -> None:
    """A log y axis for ``values``, its limits the usual 5% margin in decades, well within
    float range: a diverged run's 1e300 would overflow matplotlib's autoscaling and tick
    placement (which reaches decades beyond the limits); higher values leave the top of the
    panel, as a diverging curve does."""
    values = np.asarray(values, np.float64)
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size:
        lo, hi = np.log10(positive.min()), np.log10(positive.max())
        margin = 0.05 * (hi - lo)
        ax.set_ylim(10 ** max(lo - margin, -250.0), 10 ** min(hi + margin, 250.0))
    ax.set_yscale("log")


def _epoch_axis(ax: Axes, last: int) -> bool:
    """A log x-axis for curves over more than :data:`LOG_X_ABOVE` epochs; whether it is."""
    from matplotlib.ticker import MaxNLocator

    if last > LOG_X_ABOVE:
        ax.set_xscale("log")
        return True
    if last <= 1:  # one epoch: MaxNLocator finds too few integers there and ticks 0.945..
        ax.set_xticks([1])
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return False
