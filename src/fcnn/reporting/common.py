"""What the report's figures share: the colours, the parameters' names, the data points."""

from __future__ import annotations

import numpy as np

from .frames import Plane
from .source import Run

PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]


#: weight bars shown per frame at most (a seeded sample of the parameters beyond)
MAX_BARS = 64


def bar_indices(n_params: int) -> np.ndarray:
    """The parameters the per-frame bar chart shows: all, or a seeded sample of MAX_BARS."""
    if n_params <= MAX_BARS:
        return np.arange(n_params)
    return np.sort(np.random.default_rng(0).choice(n_params, MAX_BARS, replace=False))


def parameter_names(sizes: tuple[int, ...]) -> list[str]:
    """``W1[i,j]`` (from unit j of layer 0 to unit i of layer 1) and ``b1[i]``, in the flat
    parameter layout (each layer's rows, the bias last in each row)."""
    names = []
    for k in range(1, len(sizes)):
        for i in range(sizes[k]):
            names += [f"W{k}[{i},{j}]" for j in range(sizes[k - 1])] + [f"b{k}[{i}]"]
    return names


def is_classifier(run: Run) -> bool:
    return run.ds.classes is not None and run.net.output != "identity"


def points(run: Run, plane: Plane, xaxis: str, yaxis: str, legend: bool) -> list[dict]:
    """The data by class on ``plane``; held-out (validation) rows as open markers."""
    y, held = np.asarray(run.ds.y), run.held_out
    labels = y.argmax(axis=1) if y.ndim == 2 else y
    traces = []
    for c, name in enumerate(run.ds.classes or []):
        for out, tag, symbol in ((False, "", "circle"), (True, " (held out)", "circle-open")):
            rows = (labels == c) & (held == out)
            if not rows.any():
                continue
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": plane.coords[rows, 0],
                    "y": plane.coords[rows, 1],
                    "xaxis": xaxis,
                    "yaxis": yaxis,
                    "name": f"{name}{tag}",
                    "showlegend": legend,
                    "marker": {
                        "color": PALETTE[c % 10],
                        "symbol": symbol,
                        "size": 7 if out else 6,
                        "line": {
                            "width": 1.5 if out else 0.5,
                            "color": PALETTE[c % 10] if out else "#222",
                        },
                    },
                    "hovertemplate": f"class {name}{tag}<br>%{{x:.4g}}, %{{y:.4g}}<extra></extra>",
                }
            )
    return traces
