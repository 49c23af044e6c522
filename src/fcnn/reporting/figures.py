"""The report's static figures, as plotly figure dicts: the data, the loss and each of its
parts, the accuracy, every weight and bias per iteration, predicted against true values and
the diagnostics panel."""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import PALETTE, is_classifier, parameter_names, points
from .frames import Plane, outputs
from .source import Run

#: above this many parameters, trajectories are per-layer norms and a sample of weights
MAX_CURVES = 500
SAMPLE = 24
#: values drawn over all the trajectory curves, at most (snapshots are thinned beyond)
MAX_VALUES = 200_000


def _xaxis(run: Run) -> dict[str, Any]:
    long = len(run.columns.get("epoch", ())) > 2000
    return {
        "title": {"text": "epoch" + (" (log scale)" if long else "")},
        "type": "log" if long else "linear",
    }


def _line(x: Any, y: Any, name: str, color: str, dash: str = "solid", **axes: str) -> dict:
    return {
        "type": "scatter",
        "mode": "lines",
        "x": x,
        "y": y,
        "name": name,
        **axes,
        "line": {"color": color, "dash": dash, "width": 1.8},
        "hovertemplate": f"{name}<br>epoch %{{x}}: %{{y:.6g}}<extra></extra>",
    }


def data_figure(run: Run, plane: Plane | None) -> dict | None:
    """The data, classes coloured, held-out rows as open markers; regression: target over
    the first input (one input) or over the plane, coloured by target."""
    if plane is None and is_classifier(run):
        return None
    layout = {"height": 460, "title": {"text": "Data (open markers: held-out validation rows)"}}
    if is_classifier(run):
        assert plane is not None
        layout |= {
            "xaxis": {"title": {"text": plane.titles[0]}},
            "yaxis": {"title": {"text": plane.titles[1]}},
        }
        return {"data": points(run, plane, "x", "y", legend=True), "layout": layout}
    y = np.asarray(run.ds.y, np.float64).reshape(len(run.ds.X), -1)[:, 0]
    held = run.held_out
    if plane is None:
        x, xt = run.ds.X[:, 0], run.ds.feature_names[0]
        traces = [
            {
                "type": "scatter",
                "mode": "markers",
                "x": x[held == h],
                "y": y[held == h],
                "name": name,
                "marker": {"symbol": sym, "color": PALETTE[0]},
            }
            for h, name, sym in ((False, "training", "circle"), (True, "held out", "circle-open"))
            if (held == h).any()
        ]
        layout |= {
            "xaxis": {"title": {"text": xt}},
            "yaxis": {"title": {"text": run.ds.target_name}},
        }
        return {"data": traces, "layout": layout}
    traces = [
        {
            "type": "scatter",
            "mode": "markers",
            "x": plane.coords[:, 0],
            "y": plane.coords[:, 1],
            "marker": {
                "color": y,
                "colorscale": "Viridis",
                "showscale": True,
                "symbol": np.where(held, "circle-open", "circle").tolist(),
                "colorbar": {"title": {"text": run.ds.target_name}},
            },
            "hovertemplate": "%{x:.4g}, %{y:.4g}: %{marker.color:.4g}<extra></extra>",
            "showlegend": False,
        }
    ]
    layout |= {
        "xaxis": {"title": {"text": plane.titles[0]}},
        "yaxis": {"title": {"text": plane.titles[1]}},
    }
    return {"data": traces, "layout": layout}


def curves_figure(run: Run) -> dict:
    """The loss and each part (one panel each, training solid, validation dashed), and the
    accuracy, per epoch: every column of history.csv but the epoch and the rate."""
    cols = run.columns
    x = cols["epoch"]
    keys = [k for k in cols if k not in ("epoch", "lr") and not k.startswith("val_")]
    keys = [k for k in keys if k != "accuracy"] + (["accuracy"] if "accuracy" in keys else [])
    n = len(keys)
    gap = 0.08 if n > 1 else 0
    height = (1 - gap * (n - 1)) / n
    data, layout = (
        [],
        {
            "height": 260 * n + 80,
            "title": {"text": "Loss, its parts and accuracy per epoch (validation dashed)"},
        },
    )
    for r, key in enumerate(keys):
        top = 1 - r * (height + gap)
        ax = "" if r == 0 else str(r + 1)
        color = PALETTE[r % 10]
        data.append(_line(x, cols[key], key, color, xaxis=f"x{ax}", yaxis=f"y{ax}"))
        if f"val_{key}" in cols:
            data.append(
                _line(
                    x,
                    cols[f"val_{key}"],
                    f"val_{key}",
                    color,
                    "dash",
                    xaxis=f"x{ax}",
                    yaxis=f"y{ax}",
                )
            )
        positive = bool(np.all(cols[key][np.isfinite(cols[key])] > 0)) and key != "accuracy"
        layout[f"xaxis{ax}"] = _xaxis(run) | {"anchor": f"y{ax}", "matches": "x" if r else None}
        layout[f"yaxis{ax}"] = {
            "domain": [top - height, top],
            "anchor": f"x{ax}",
            "title": {"text": key},
            "type": "log" if positive else "linear",
        }
    return {"data": data, "layout": layout}


def trajectories_figure(run: Run) -> dict:
    """Every weight and bias per iteration, hover on each curve (one panel a layer); above
    MAX_CURVES parameters, a first panel of per-layer norms, then a seeded sample of SAMPLE
    parameters in their layers' panels."""
    net, P = run.net, run.history.params
    per_update = bool(P)
    S = np.stack(P) if P else run.params
    x = np.arange(len(S)) if per_update else run.epochs
    what = "update" if per_update else "epoch"
    big = net.n_params > MAX_CURVES
    most = max(2, min(len(S), MAX_VALUES // min(net.n_params, MAX_CURVES)))
    keep = np.unique(np.linspace(0, len(S) - 1, most).astype(int))
    S, x = S[keep], x[keep]
    names = parameter_names(net.sizes)
    n_layers = len(net.sizes) - 1
    panels = [f"layer {k + 1}" for k in range(n_layers)]
    if big:
        panels.insert(0, "norms")
        sample = set(np.random.default_rng(0).choice(net.n_params, SAMPLE, replace=False).tolist())
    h = (1 - 0.06 * (len(panels) - 1)) / len(panels)
    layout: dict[str, Any] = {"height": 280 * len(panels) + 80, "hovermode": "closest"}
    for r, title in enumerate(panels):
        ax = "" if r == 0 else str(r + 1)
        top = 1 - r * (h + 0.06)
        last = r == len(panels) - 1
        layout[f"xaxis{ax}"] = {"anchor": f"y{ax}", "title": {"text": what if last else ""}}
        layout[f"xaxis{ax}"]["matches"] = "x" if r else None
        layout[f"yaxis{ax}"] = {"domain": [top - h, top], "anchor": f"x{ax}"}
        layout[f"yaxis{ax}"]["title"] = {"text": title}
    data = []
    offsets = np.cumsum([0] + [(c + 1) * r for r, c in (W.shape for W in net.weights)])
    for k in range(n_layers):
        axes = {"xaxis": f"x{k + 2}" if big else f"x{k + 1 if k else ''}"}
        axes["yaxis"] = "y" + axes["xaxis"][1:]
        if big:
            block = S[:, offsets[k] : offsets[k + 1]].reshape(len(S), net.sizes[k + 1], -1)
            norms = {"xaxis": "x", "yaxis": "y"}
            color = PALETTE[k % 10]
            W_norm, b_norm = (
                np.linalg.norm(block[:, :, :-1], axis=(1, 2)),
                np.linalg.norm(block[:, :, -1], axis=1),
            )
            data.append(_line(x, W_norm, f"‖W{k + 1}‖_F", color, **norms))
            data.append(_line(x, b_norm, f"‖b{k + 1}‖₂", color, "dash", **norms))
        for i in range(offsets[k], offsets[k + 1]):
            if big and i not in sample:
                continue
            dash = "dash" if names[i].startswith("b") else "solid"
            line = _line(x, S[:, i], names[i], PALETTE[(i - offsets[k]) % 10], dash, **axes)
            data.append(line | {"legendgroup": f"L{k + 1}", "showlegend": not big})
    title = (
        f"Per-layer norms, then {SAMPLE} sampled parameters of {net.n_params}, per {what}"
        if big
        else f"Every weight (solid) and bias (dashed) per {what}"
    )
    layout["title"] = {"text": title + " (hover a curve for its name and value)"}
    return {"data": data, "layout": layout}


def regression_figure(run: Run) -> dict | None:
    """The saved model's predictions against the true values, training and held-out rows."""
    if is_classifier(run):
        return None
    net = run.net
    pred = outputs(net, net.params, np.asarray(net.standardize(run.ds.X), np.float64))[1]
    true = np.asarray(run.ds.y, np.float64).reshape(len(run.ds.X), -1)
    data = []
    for j in range(true.shape[1]):
        for held, tag, sym in ((False, "training", "circle"), (True, "held out", "circle-open")):
            rows = run.held_out == held
            if rows.any():
                data.append(
                    {
                        "type": "scatter",
                        "mode": "markers",
                        "x": true[rows, j],
                        "y": pred[j, rows],
                        "name": f"output {j}: {tag}",
                        "marker": {"symbol": sym, "color": PALETTE[j % 10]},
                    }
                )
    lo, hi = float(true.min()), float(true.max())
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": [lo, hi],
            "y": [lo, hi],
            "name": "y = x",
            "line": {"dash": "dash", "color": "#555"},
        }
    )
    layout = {
        "height": 460,
        "title": {"text": "Predicted against true values (the saved model)"},
        "xaxis": {"title": {"text": "true"}},
        "yaxis": {"title": {"text": "predicted"}},
    }
    return {"data": data, "layout": layout}


def diagnostics_figure(run: Run) -> dict | None:
    """Every column of diagnostics.csv per epoch, one small panel each; None without it."""
    cols = run.diagnostics
    if not cols:
        return None
    x = cols.get("epoch", np.arange(1, len(next(iter(cols.values()))) + 1))
    keys = [k for k in cols if k != "epoch"]
    ncol, data, layout = 3, [], {}
    nrow = max(-(-len(keys) // ncol), 1)
    layout["height"], w, h = 230 * nrow + 60, 0.28, (1 - 0.1 * (nrow - 1)) / nrow
    for n, key in enumerate(keys):
        r, c = divmod(n, ncol)
        ax = "" if n == 0 else str(n + 1)
        data.append(
            _line(x, cols[key], key, PALETTE[n % 10], xaxis=f"x{ax}", yaxis=f"y{ax}")
            | {"showlegend": False}
        )
        layout[f"xaxis{ax}"] = {"domain": [c * (w + 0.06), c * (w + 0.06) + w], "anchor": f"y{ax}"}
        top = 1 - r * (h + 0.1)
        layout[f"yaxis{ax}"] = {"domain": [top - h, top], "anchor": f"x{ax}"}
        layout.setdefault("annotations", []).append(
            {
                "text": key,
                "xref": f"x{ax} domain",
                "yref": f"y{ax} domain",
                "x": 0,
                "y": 1.12,
                "showarrow": False,
                "xanchor": "left",
            }
        )
    return {"data": data, "layout": layout}
