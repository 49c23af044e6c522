"""The network diagram of the slider figure, as plotly trace dicts: links whose width is
|w| and colour its sign, units coloured by their bias with their mean activation, at every
frame. A layer of more than 64 units is drawn as 16 groups of consecutive units (the mean
weight, bias and activation of each group)."""

from __future__ import annotations

import numpy as np

from ..network import Network
from .frames import split_params

MAX_UNITS, GROUPS = 64, 16
#: links drawn one trace each (exact widths, hover on each) up to this many
EACH_LINK = 60
#: above EACH_LINK, the strongest links per frame drawn in width bins
STRONGEST, BINS = 150, 6
HALO = "0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff"  # keeps a label readable on a link
POSITIVE, NEGATIVE = "#2166ac", "#b2182b"


def _groups(n: int) -> list[np.ndarray]:
    idx = np.arange(n)
    return [idx[i : i + 1] for i in idx] if n <= MAX_UNITS else np.array_split(idx, GROUPS)


class Diagram:
    """Geometry and per-frame values of the diagram of ``net`` (axes ``x2``/``y2``)."""

    def __init__(self, net: Network, names: list[str]) -> None:
        self.net = net
        self.groups = [_groups(n) for n in net.sizes]
        shown = [len(g) for g in self.groups]
        gap = 2.0 / max(max(shown), 2)
        self.xy = [
            np.column_stack([np.full(m, k, float), ((m - 1) / 2 - np.arange(m)) * gap])
            for k, m in enumerate(shown)
        ]
        self.links = [
            (k, i, j)
            for k in range(1, len(shown))
            for i in range(shown[k])
            for j in range(shown[k - 1])
        ]
        self.aggregated = [len(g) != n for g, n in zip(self.groups, net.sizes, strict=True)]
        self.labels = [
            self._unit_label(k, g, names) for k, gs in enumerate(self.groups) for g in gs
        ]
        self.small = max(shown) <= 6

    def _unit_label(self, k: int, g: np.ndarray, names: list[str]) -> str:
        if k == 0:
            return names[g[0]] if len(g) == 1 else f"inputs {g[0]}-{g[-1]}"
        what = "output" if k == len(self.net.sizes) - 1 else f"layer {k}"
        return f"{what} unit {g[0]}" if len(g) == 1 else f"{what} units {g[0]}-{g[-1]}"

    def link_values(self, p: np.ndarray) -> np.ndarray:
        """``(n_links,)`` weights (group means where aggregated) at parameters ``p``."""
        Ws, _ = split_params(self.net, p)
        out = []
        for k, W in enumerate(Ws, 1):
            if not (self.aggregated[k] or self.aggregated[k - 1]):
                out.append(W.ravel())
                continue
            M = np.array(
                [[W[np.ix_(a, b)].mean() for b in self.groups[k - 1]] for a in self.groups[k]]
            )
            out.append(M.ravel())
        return np.concatenate(out)

    def unit_values(self, p: np.ndarray, means: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``(bias, mean activation)`` per shown unit (inputs: bias NaN), from the layers'
        mean activations ``means[k]: (n_k,)``."""
        _, bs = split_params(self.net, p)
        bias, act = [], []
        for k, gs in enumerate(self.groups):
            for g in gs:
                bias.append(np.nan if k == 0 else float(bs[k - 1][g].mean()))
                act.append(float(means[k][g].mean()))
        return np.array(bias), np.array(act)

    # ------------------------------------------------------------------ traces
    def segment(self, link: tuple[int, int, int]) -> tuple[list[float], list[float]]:
        k, i, j = link
        (x0, y0), (x1, y1) = self.xy[k - 1][j], self.xy[k][i]
        return [x0, x1], [y0, y1]

    def link_traces(self, w: np.ndarray, wmax: float) -> list[dict]:
        """The link traces at weights ``w`` (one per link, or the width bins)."""
        width = 0.6 + 9.0 * np.abs(w) / wmax
        if len(self.links) <= EACH_LINK:
            return [
                {"line": {"width": float(width[n]), "color": POSITIVE if w[n] >= 0 else NEGATIVE}}
                for n in range(len(self.links))
            ]
        keep = np.argsort(-np.abs(w))[:STRONGEST]
        level = np.minimum((np.abs(w[keep]) / wmax * BINS).astype(int), BINS - 1)
        traces = []
        for sign in (1, -1):
            for b in range(BINS):
                xs: list[float | None] = []
                ys: list[float | None] = []
                for n in keep[(level == b) & (np.sign(w[keep] + 1e-300) == sign)]:
                    x, y = self.segment(self.links[n])
                    xs += [*x, None]
                    ys += [*y, None]
                traces.append({"x": xs, "y": ys})
        return traces

    def link_base(self) -> list[dict]:
        """The link traces' constant part (frame 0 fills what changes)."""
        common = {"type": "scatter", "mode": "lines", "xaxis": "x2", "yaxis": "y2"}
        common |= {"hoverinfo": "skip", "showlegend": False}
        if len(self.links) <= EACH_LINK:
            return [
                dict(common, x=self.segment(link)[0], y=self.segment(link)[1])
                for link in self.links
            ]
        return [
            dict(common, line={"width": 0.6 + 9.0 * (b + 0.5) / BINS, "color": c}, opacity=0.75)
            for c in (POSITIVE, NEGATIVE)
            for b in range(BINS)
        ]

    def label_trace(self, w: np.ndarray) -> dict:
        """Hover on each link (and, for a small network, its printed value); none where the
        links are drawn in bins (too many to name one by one)."""
        if len(self.links) > EACH_LINK:
            return {}
        names = [self._link_name(link) for link in self.links]
        trace = {"hovertext": [f"{n} = {v:.6g}" for n, v in zip(names, w, strict=True)]}
        if len(self.links) <= 12:
            trace["text"] = [f"{v:.3g}" for v in w]
        return trace

    def _link_name(self, link: tuple[int, int, int]) -> str:
        k, i, j = link
        if self.aggregated[k] or self.aggregated[k - 1]:
            return f"mean W{k} group {i}<-{j}"
        return f"W{k}[{i},{j}]"

    def label_base(self) -> dict:
        """The labels' places: 28% of the way from the receiving unit, so that the labels
        of crossing links stay apart and clear of the units' own labels."""
        mode = "markers+text" if len(self.links) <= 12 else "markers"
        trace = {
            "type": "scatter",
            "mode": mode,
            "xaxis": "x2",
            "yaxis": "y2",
            "showlegend": False,
            "marker": {"size": 6, "color": "rgba(60,60,60,0.35)"},
            "hoverinfo": "text",
            "textfont": {"size": 12, "color": "#111", "shadow": HALO, "weight": "bold"},
            "textposition": "top center",
            "x": [],
            "y": [],
        }
        if len(self.links) <= EACH_LINK:
            ends = np.array(
                [[*self.segment(link)[0], *self.segment(link)[1]] for link in self.links]
            )
            trace["x"] = ends[:, 1] - 0.28 * (ends[:, 1] - ends[:, 0])
            trace["y"] = ends[:, 3] - 0.28 * (ends[:, 3] - ends[:, 2])
        return trace

    def node_trace(self, bias: np.ndarray, act: np.ndarray) -> dict:
        """The units at one frame: colour = bias, hover (and, small, printed) values."""
        b6 = [None if np.isnan(b) else float(f"{b:.6g}") for b in bias]
        data = [[b, float(f"{a:.4g}")] for b, a in zip(b6, act, strict=True)]
        trace = {"marker": {"color": [round(b or 0.0, 4) for b in b6]}, "customdata": data}
        if self.small:
            trace["text"] = [
                (f"h̄ {a:.2f}" if np.isnan(b) else f"b {b:.3f}<br>h̄ {a:.2f}")
                for b, a in zip(bias, act, strict=True)
            ]
        return trace

    def layer_titles(self) -> dict:
        """A title above each layer: its role, width and activation (not animated)."""
        net, last = self.net, len(self.net.sizes) - 1
        names = ["inputs"] + [f"layer {k}: {a}" for k, a in enumerate(net.activations, 1)]
        names += [f"output: {net.output}"]
        text = [f"{name} ({n})" for name, n in zip(names, net.sizes, strict=True)]
        top = max(float(xy[:, 1].max()) for xy in self.xy) + 0.22
        return {
            "type": "scatter",
            "mode": "text",
            "x": list(range(last + 1)),
            "y": [top] * (last + 1),
            "text": text,
            "xaxis": "x2",
            "yaxis": "y2",
            "showlegend": False,
            "hoverinfo": "skip",
            "textfont": {"size": 12, "color": "#444"},
        }

    def node_base(self, bmax: float) -> dict:
        xy = np.vstack(self.xy)
        return {
            "type": "scatter",
            "mode": "markers+text" if self.small else "markers",
            "x": xy[:, 0],
            "y": xy[:, 1],
            "xaxis": "x2",
            "yaxis": "y2",
            "showlegend": False,
            "hovertext": self.labels,
            "hovertemplate": "%{hovertext}<br>bias %{customdata[0]}<br>"
            "mean activation %{customdata[1]}<extra></extra>",
            "textposition": "bottom center",
            "textfont": {"size": 11, "shadow": HALO},
            "marker": {
                "size": 30 if self.small else 12,
                "colorscale": "RdBu",
                "reversescale": True,
                "cmin": -bmax,
                "cmax": bmax,
                "line": {"width": 1.5, "color": "#333"},
                "colorbar": {
                    "title": {"text": "bias"},
                    "x": 1.0,
                    "y": 0.78,
                    "len": 0.4,
                    "thickness": 12,
                },
            },
        }
