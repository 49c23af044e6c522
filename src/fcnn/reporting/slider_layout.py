"""The slider figure's layout: its three panels, the title of each frame, the slider and
its play button."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .common import MAX_BARS, bar_indices
from .diagram import EACH_LINK, STRONGEST, Diagram
from .frames import Plane
from .source import Run

if TYPE_CHECKING:
    from .animated import _Main


def _title(run: Run, epoch: int) -> str:
    if epoch == 0:
        return "epoch 0: the initial parameters"
    cols, i = run.columns, int(np.searchsorted(run.columns["epoch"], epoch))
    parts = [f"epoch {epoch} of {int(cols['epoch'][-1])}"]
    for key, fmt in (
        ("loss", ".4g"),
        ("accuracy", ".3f"),
        ("val_loss", ".4g"),
        ("val_accuracy", ".3f"),
    ):
        if key in cols and i < len(cols[key]):
            parts.append(f"{key.replace('_', ' ')} {format(cols[key][i], fmt)}")
    return " · ".join(parts)


def layout(
    run: Run, plane: Plane | None, epochs: np.ndarray, main: _Main, diagram: Diagram
) -> dict:
    xt, yt, title = main.axes()
    n_layers = len(run.net.sizes)
    step = {
        "mode": "immediate",
        "frame": {"duration": 0, "redraw": True},
        "transition": {"duration": 0},
    }
    play = {
        "frame": {"duration": 150, "redraw": True},
        "fromcurrent": True,
        "transition": {"duration": 0},
    }
    names = [f["name"] for f in [{"name": str(int(e))} for e in epochs]]
    return {
        "height": 980,
        "margin": {"t": 70, "b": 170, "l": 60, "r": 40},
        "hovermode": "closest",
        "title": {"text": _title(run, int(epochs[0])), "x": 0.02},
        "xaxis": {"domain": [0, 0.44], "title": {"text": xt}, "anchor": "y"},
        "yaxis": {
            "domain": [0.42, 1],
            "title": {"text": yt},
            "anchor": "x",
            "scaleanchor": "x"
            if main.classifier and plane is not None and plane.raw_axes is False
            else None,
        },
        "xaxis2": {
            "domain": [0.52, 0.95],
            "visible": False,
            "range": [-0.4, n_layers - 0.6],
            "anchor": "y2",
        },
        "yaxis2": {"domain": [0.42, 1], "visible": False, "range": [-1.25, 1.25], "anchor": "x2"},
        "xaxis3": {"domain": [0, 1], "anchor": "y3", "tickangle": -45, "automargin": True},
        "yaxis3": {
            "domain": [0, 0.26],
            "anchor": "x3",
            "title": {"text": "value"},
            "range": _bar_range(run, main),
        },
        "legend": _legend(main),
        "annotations": [
            {
                "text": title,
                "xref": "paper",
                "yref": "paper",
                "x": 0.0,
                "y": 1.0,
                "yshift": 22,
                "showarrow": False,
                "xanchor": "left",
            },
            {
                "text": "Network: link width = |w|, blue > 0, red < 0;<br>"
                "unit colour = bias, h̄ = mean activation"
                + (
                    "<br>layers of more than 64 units drawn as 16 groups"
                    if any(diagram.aggregated)
                    else ""
                )
                + (
                    f"<br>the {STRONGEST} strongest links of each frame"
                    if len(diagram.links) > EACH_LINK
                    else ""
                ),
                "xref": "paper",
                "yref": "paper",
                "x": 0.52,
                "y": 0.42,
                "yshift": -2,
                "yanchor": "top",
                "align": "left",
                "showarrow": False,
                "xanchor": "left",
            },
            {
                "text": "Weights (blue) and biases (green) at this epoch"
                + (
                    ""
                    if run.net.n_params <= MAX_BARS
                    else f": a sample of {MAX_BARS} of {run.net.n_params}"
                ),
                "xref": "paper",
                "yref": "paper",
                "x": 0.0,
                "y": 0.26,
                "yshift": 24,
                "showarrow": False,
                "xanchor": "left",
            },
        ],
        "sliders": [
            {
                "active": 0,
                "y": -0.1,
                "x": 0.14,
                "len": 0.86,
                "pad": {"t": 40},
                "currentvalue": {"prefix": "epoch ", "font": {"size": 14}},
                "steps": [{"method": "animate", "label": n, "args": [[n], step]} for n in names],
            }
        ],
        "updatemenus": [
            {
                "type": "buttons",
                "direction": "left",
                "x": 0.0,
                "y": -0.1,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"t": 48},
                "buttons": [
                    {"label": "▶ play", "method": "animate", "args": [None, play]},
                    {"label": "❚❚", "method": "animate", "args": [[None], step]},
                ],
            }
        ],
    }


def _bar_range(run: Run, main: _Main) -> list[float]:
    P = run.params[:, bar_indices(run.net.n_params)]  # type: ignore[index]
    lo, hi = min(float(P.min()), 0.0), max(float(P.max()), 0.0)
    pad = 0.15 * max(hi - lo, 1e-12)
    return [lo - pad, hi + pad]


def _legend(main: _Main) -> dict:
    """Inside the boundary panel for a few entries; beside it for more, where they hide no
    data (a classifier of more than two classes has no colour bar there)."""
    inside = main.k <= 2
    return {
        "x": 0.0 if inside else 0.45,
        "y": 1.0,
        "xanchor": "left",
        "bgcolor": "rgba(255,255,255,0.7)",
        "font": {"size": 12 if inside else 10},
    }
