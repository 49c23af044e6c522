"""The figures of a sweep (``fcnn sweep``): the metric against each swept key, and the
spread of the metric over the training seeds of each point.

A trial is given by its point (swept key -> value) and its final metric; a failed trial has
NaN and is drawn as a red cross on the bottom edge of the axes, where it was tried.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from ._base import _color, _tidy

_FAILED = {"marker": "x", "color": "tab:red", "s": 30, "clip_on": False, "zorder": 4}


def metric_vs_params(
    points: Sequence[dict[str, Any]],
    values: Sequence[float],
    keys: Sequence[str],
    metric: str,
) -> Figure:
    """One panel per swept key: each trial's ``metric`` against the key's value, and the
    mean over the trials of each value (over the seeds, in a grid) as a line.

    Numeric keys get a numeric axis, logarithmic where the values are positive and span two
    decades or more; other values (names, layer lists) are categories in the order tried.
    ``points[i]`` and ``values[i]`` describe trial i; a NaN value is a failed trial.
    """
    if len(points) != len(values) or not len(points):
        raise ValueError(f"points ({len(points)}) and values ({len(values)}) must pair up, >= 1")
    if not keys:
        raise ValueError("keys is empty; give the swept keys to draw against")
    y = np.asarray(values, dtype=np.float64)
    n = len(keys)
    fig = Figure(figsize=(min(4.6 * n, 14), 3.8), layout="constrained")
    for i, (key, ax) in enumerate(zip(keys, np.atleast_1d(fig.subplots(1, n)), strict=True)):
        raw = [p[key] for p in points]
        x, labels, log = _positions(raw)
        ok = np.isfinite(y)
        ax.scatter(x[ok], y[ok], s=18, alpha=0.55, color=_color(0), label="trial", zorder=3)
        _means(ax, x, y)
        if (~ok).any():
            where = blended_transform_factory(ax.transData, ax.transAxes)
            ax.scatter(x[~ok], np.zeros((~ok).sum()), transform=where, label="failed", **_FAILED)
        if log:
            ax.set_xscale("log")
        if labels is not None:
            ax.set_xticks(range(len(labels)), labels, rotation=30 if len(labels) > 3 else 0)
        _tidy(ax, key if n > 1 else "", key, metric if i == 0 else "")
        if i == 0:
            ax.legend(fontsize=8, frameon=False)
    fig.suptitle(f"final {metric} of each trial against the swept values")
    return fig


def seed_spread(
    points: Sequence[dict[str, Any]],
    values: Sequence[float],
    groups: Sequence[int],
    keys: Sequence[str],
    metric: str,
) -> Figure:
    """The spread over training seeds: for each point (``groups[i]``, trial i's point index)
    every seed's ``metric`` as a dot, their range as a bar and their mean as a bar mark.
    A NaN value is a failed trial (a red cross at the bottom)."""
    if not (len(points) == len(values) == len(groups)) or not len(points):
        raise ValueError("points, values and groups must pair up, with one trial or more")
    y = np.asarray(values, dtype=np.float64)
    g = np.asarray(groups)
    order = list(dict.fromkeys(g.tolist()))
    fig = Figure(figsize=(max(5.0, min(0.55 * len(order) + 2.5, 16)), 4.4), layout="constrained")
    ax = fig.add_subplot()
    where = blended_transform_factory(ax.transData, ax.transAxes)
    labels = []
    for j, p in enumerate(order):
        mine = y[g == p]
        ok = mine[np.isfinite(mine)]
        labels.append(_label(points[int(np.argmax(g == p))], keys))
        if len(ok):
            ax.vlines(j, ok.min(), ok.max(), color="0.6", lw=3, zorder=2)
            ax.scatter(np.full(len(ok), j), ok, s=16, color=_color(0), zorder=3)
            ax.scatter([j], [ok.mean()], marker="_", s=260, color="black", zorder=4)
        if len(ok) < len(mine):
            ax.scatter(
                [j] * (len(mine) - len(ok)), [0] * (len(mine) - len(ok)), **_FAILED, transform=where
            )
    ax.set_xticks(
        range(len(order)),
        labels,
        rotation=45 if len(order) > 4 else 0,
        ha="right" if len(order) > 4 else "center",
        fontsize=8,
    )
    _tidy(
        ax,
        f"final {metric} over the training seeds of each point (bar: range, -: mean)",
        "point",
        metric,
    )
    return fig


def _positions(raw: list[Any]) -> tuple[np.ndarray, list[str] | None, bool]:
    """x positions of values ``raw``: (numbers, None, log axis?) or (indices, labels, False)."""
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw)
    if numeric:
        x = np.asarray(raw, dtype=np.float64)
        log = bool((x > 0).all() and x.max() / x.min() >= 100)
        return x, None, log
    names = [json.dumps(v) if not isinstance(v, str) else v for v in raw]
    labels = list(dict.fromkeys(names))
    return np.asarray([labels.index(s) for s in names], dtype=np.float64), labels, False


def _means(ax: Any, x: np.ndarray, y: np.ndarray) -> None:
    """The mean over the trials at each x, drawn when some x was tried more than once."""
    xs = np.unique(x)
    if len(xs) == len(x):
        return
    means = [np.nanmean(y[x == v]) if np.isfinite(y[x == v]).any() else math.nan for v in xs]
    ax.plot(xs, means, color="black", lw=1.4, marker="_", ms=10, label="mean", zorder=4)


def _label(point: dict[str, Any], keys: Sequence[str]) -> str:
    parts = []
    for key in keys:
        v = point[key]
        text = (
            f"{v:.3g}" if isinstance(v, float) else (json.dumps(v) if not isinstance(v, str) else v)
        )
        parts.append(text if len(keys) == 1 else f"{key.split('.')[-1]}={text}")
    return ", ".join(parts)
