"""The slider figure: one plotly figure whose iteration slider (with play) drives, at the
chosen epoch, the decision boundary with its probability shading (or, for a regression,
predicted against true values), the network diagram and the value of every weight."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from .common import PALETTE, bar_indices, is_classifier, parameter_names, points
from .diagram import Diagram
from .frames import Plane, class_probabilities, grid, outputs, sample_rows
from .slider_layout import _title, layout
from .source import Run

GRID = 60  # two classes: a smooth P = 0.5 line from a contour of P
GRID_CLASSES = 80  # more: the argmax class cell by cell, so finer
P_SCALE = 10_000


def typed(a: np.ndarray, dtype: str = "u1") -> dict[str, str]:
    """A plotly.js typed-array spec (base64): a fraction of the size of a JSON list."""
    a = np.ascontiguousarray(
        a, {"u1": np.uint8, "u2": np.uint16, "f4": np.float32, "f8": np.float64}[dtype]
    )
    return {
        "dtype": dtype,
        "bdata": base64.b64encode(a.tobytes()).decode(),
        "shape": ",".join(map(str, a.shape)),
    }


def slider_figure(run: Run, plane: Plane | None) -> dict[str, Any]:
    """The figure dict (data, layout, frames) of the slider panel."""
    net, P, epochs = run.net, run.params, run.epochs
    assert P is not None
    rows = sample_rows(len(run.ds.X))
    Z = np.asarray(net.standardize(run.ds.X[rows]), np.float64)
    diagram = Diagram(net, run.ds.feature_names)
    bars = bar_indices(net.n_params)
    names = [parameter_names(net.sizes)[i] for i in bars]
    frames, links, units = [], [], []
    main = _Main(run, plane, rows)
    for p in P:
        h, yhat = outputs(net, p, Z)
        means = [layer.mean(axis=1) for layer in h] + [yhat.mean(axis=1)]
        links.append(diagram.link_values(p))
        units.append(diagram.unit_values(p, means))
        frames.append(main.frame(p))
    wmax = max(float(np.max(np.abs(links))), 1e-12)
    bmax = max(float(np.nanmax(np.abs([u[0] for u in units]), initial=0.0)), 1e-12)
    data = [main.base(), *main.static(), diagram.layer_titles(), *diagram.link_base()]
    data.append(diagram.label_base())
    data += [diagram.node_base(bmax), _bar_base(names, P[:, bars])]
    animated = [0, *range(len(data) - len(diagram.link_base()) - 3, len(data))]
    fig_frames = []
    for e, p, f, w, (b, a) in zip(epochs, P, frames, links, units, strict=True):
        traces = [
            f,
            *diagram.link_traces(w, wmax),
            diagram.label_trace(w),
            diagram.node_trace(b, a),
        ]
        traces.append(
            {"y": p[bars], "text": [f"{v:.4g}" for v in p[bars]] if len(bars) <= 24 else None}
        )
        fig_frames.append(
            {
                "name": str(int(e)),
                "data": traces,
                "traces": animated,
                "layout": {"title": {"text": _title(run, int(e))}},
            }
        )
    for trace, update in zip(animated, fig_frames[0]["data"], strict=True):
        _merge(data[trace], update)
    return {
        "data": data,
        "layout": layout(run, plane, epochs, main, diagram),
        "frames": fig_frames,
    }


def _merge(base: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def _bar_base(names: list[str], values: np.ndarray) -> dict:
    return {
        "type": "bar",
        "x": names,
        "xaxis": "x3",
        "yaxis": "y3",
        "showlegend": False,
        "marker": {"color": [PALETTE[0] if n.startswith("W") else PALETTE[2] for n in names]},
        "textposition": "outside",
        "cliponaxis": False,
        "textfont": {"size": 11},
        "hovertemplate": "%{x} = %{y:.6g}<extra></extra>",
    }


class _Main:
    """The left panel: the output over the plane (classifier) or predicted against true."""

    def __init__(self, run: Run, plane: Plane | None, rows: np.ndarray) -> None:
        self.run, self.plane, self.rows = run, plane, rows
        self.classifier = is_classifier(run)
        self.k = 0
        if self.classifier and plane is not None:
            self.k = 2 if run.net.n_outputs == 1 else run.net.n_outputs
            self.n = GRID if self.k == 2 else GRID_CLASSES
            self.g1, self.g2, G = grid(plane.coords, self.n)
            self.inputs = plane.lift(G)
        elif not self.classifier:
            self.Z = np.asarray(run.net.standardize(run.ds.X[rows]), np.float64)
            self.true = np.asarray(run.ds.y, np.float64).reshape(len(run.ds.X), -1)[rows, 0]

    def frame(self, p: np.ndarray) -> dict:
        net = self.run.net
        if not self.classifier:
            return {"y": typed(outputs(net, p, self.Z)[1][0], "f8")}
        if self.plane is None:
            return {}
        prob = class_probabilities(net, outputs(net, p, self.inputs)[1])
        if self.k == 2:
            # P in units of 1/P_SCALE: fine enough for a smooth P = 0.5 line, 2 bytes a point
            return {"z": typed(np.round(P_SCALE * prob[1]).reshape(self.n, self.n), "u2")}
        seg = 250 // self.k
        c = prob.argmax(axis=0)
        conf = (prob.max(axis=0) - 1 / self.k) / (1 - 1 / self.k)
        return {"z": typed((c * seg + np.round(conf * (seg - 1))).reshape(self.n, self.n))}

    def base(self) -> dict:
        if not self.classifier:
            return {
                "type": "scatter",
                "mode": "markers",
                "x": self.true.tolist(),
                "name": "prediction",
                "marker": {"size": 5, "color": PALETTE[0], "opacity": 0.7},
                "hovertemplate": "true %{x:.4g}<br>predicted %{y:.4g}<extra></extra>",
            }
        if self.plane is None:
            return {"type": "scatter", "x": [], "y": [], "showlegend": False}
        names = [str(c) for c in (self.run.ds.classes or range(self.k))]
        common = {"x": self.g1, "y": self.g2, "showscale": False, "name": "output"}
        if self.k == 2:
            return common | {
                "type": "contour",
                "zmin": 0,
                "zmax": P_SCALE,
                "line": {"width": 2.5, "color": "#111"},
                "colorscale": [[0, "#8fbce0"], [0.5, "#ffffff"], [1, "#ffc28f"]],
                "contours": {
                    "coloring": "heatmap",
                    "start": P_SCALE / 2,
                    "end": P_SCALE / 2,
                    "size": 1,
                },
                "hoverinfo": "skip",
                "showscale": True,
                "colorbar": {
                    "title": {"text": f"P({names[1]})"},
                    "tickvals": [0, P_SCALE / 4, P_SCALE / 2, 3 * P_SCALE / 4, P_SCALE],
                    "ticktext": ["0", "0.25", "0.5", "0.75", "1"],
                    "x": 0.45,
                    "y": 0.72,
                    "len": 0.5,
                    "thickness": 10,
                },
            }
        seg, scale = 250 // self.k, []
        for c in range(self.k):
            scale += [
                [c * seg / (self.k * seg), "#ffffff"],
                [((c + 1) * seg - 1) / (self.k * seg), PALETTE[c % 10]],
            ]
        scale[-1][0] = 1.0
        return common | {
            "type": "heatmap",
            "zmin": 0,
            "zmax": self.k * seg - 1,
            "zsmooth": False,
            "opacity": 0.5,
            "colorscale": scale,
            "hoverinfo": "skip",
        }

    def static(self) -> list[dict]:
        """The data points (or the y = x line) on top: not animated."""
        run = self.run
        if not self.classifier:
            lo, hi = float(self.true.min()), float(self.true.max())
            return [
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": [lo, hi],
                    "y": [lo, hi],
                    "name": "y = x",
                    "line": {"dash": "dash", "color": "#555"},
                }
            ]
        if self.plane is None:
            return []
        return points(run, self.plane, "x", "y", legend=True)

    def axes(self) -> tuple[str, str, str]:
        if not self.classifier:
            return "true value", "predicted value", "Predicted against true (the first output)"
        if self.plane is None:
            return "", "", "No plane: the data have one input"
        what = (
            "P(class) shading, P = 0.5 line"
            if self.k == 2
            else "predicted class, shade = confidence"
        )
        return *self.plane.titles, f"Decision boundary ({what})"
