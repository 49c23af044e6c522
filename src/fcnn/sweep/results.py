"""What a sweep found: ``results.csv`` (one row per trial), the best trial and point
(``summary.txt``) and the figures (``fcnn.plots.sweep``).

The final metric of a trial is its last epoch's value (the model it saved); ``best_`` is the
best epoch's. A point's score is the mean of its trials' final metrics over the seeds.
Numbers are written with ``repr``, so the CSV holds every bit of them.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from ..storage.atomic import atomic_write_text
from .folder import TRIALS
from .spec import SweepSpec
from .trials import Trial

RESULTS, SUMMARY = "results.csv", "summary.txt"
#: the columns that may differ between two runs of the same sweep
VARYING = ("wall_seconds", "worker")


def row(spec: SweepSpec, trial: Trial, rec: dict[str, Any] | None) -> dict[str, str]:
    """The results.csv row of ``trial`` (``rec``: its record, None while it is pending)."""
    rec = rec or {"status": "pending", "error": ""}
    final, best, best_epoch = (rec.get(k, math.nan) for k in ("final", "best", "best_epoch"))
    out = {"trial": trial.name, "status": rec["status"]}
    out.update({key: _cell(trial.point[key]) for key in spec.keys})
    out.update(
        {
            "training.seed": str(trial.seed),
            f"final_{spec.metric}": _cell(final),
            f"best_{spec.metric}": _cell(best),
            "best_epoch": str(best_epoch) if isinstance(best_epoch, int) and best_epoch else "",
            "epochs": str(rec.get("epochs", "")),
            "wall_seconds": f"{rec['wall_seconds']:.3f}" if "wall_seconds" in rec else "",
            "worker": str(rec.get("worker", "")),
            "error": rec.get("error", ""),
        }
    )
    return out


def final_metric(spec: SweepSpec, rec: dict[str, Any] | None) -> float:
    """A finished trial's final metric, NaN when it has none (failed, pending)."""
    if not rec or rec.get("status") != "ok":
        return math.nan
    return float(rec.get("final", math.nan))


def scores(values: list[float], mode: str) -> dict[str, float | int]:
    """A trial's ``final`` metric (its last epoch's), its ``best`` in ``mode`` and the
    1-based ``best_epoch``, from its ``metric`` per epoch (NaN and 0 when it has none)."""
    if not values:
        return {"final": math.nan, "best": math.nan, "best_epoch": 0}
    finite = [(v, i) for i, v in enumerate(values) if math.isfinite(v)]
    pick = max if mode == "max" else min
    best, i = pick(finite, key=lambda t: t[0]) if finite else (math.nan, -1)
    return {"final": values[-1], "best": best, "best_epoch": i + 1}


def write_csv(out: Path, rows: list[dict[str, str]]) -> Path:
    """``results.csv`` from ``rows`` (all with the same columns)."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out / RESULTS, text.getvalue())
    return out / RESULTS


def better(spec: SweepSpec, a: float, b: float) -> bool:
    """Whether metric ``a`` beats ``b`` in the sweep's mode (NaN never wins)."""
    if math.isnan(a):
        return False
    return math.isnan(b) or (a > b if spec.mode == "max" else a < b)


def best_trial(spec: SweepSpec, trials: list[Trial], records: dict[str, Any]) -> Trial | None:
    """The finished trial with the best final metric (the first, on a tie), or None."""
    best, best_value = None, math.nan
    for trial in trials:
        value = final_metric(spec, records.get(trial.name))
        if better(spec, value, best_value):
            best, best_value = trial, value
    return best


def point_scores(
    spec: SweepSpec, trials: list[Trial], records: dict[str, Any]
) -> dict[int, list[float]]:
    """point index -> the final metric of each of its trials (NaN for a failed one)."""
    scores: dict[int, list[float]] = {}
    for trial in trials:
        scores.setdefault(trial.point_index, []).append(final_metric(spec, records.get(trial.name)))
    return scores


def summary(
    spec: SweepSpec, trials: list[Trial], records: dict[str, Any], out: Path, seconds: float
) -> str:
    """The lines ``fcnn sweep`` prints and writes to ``summary.txt``."""
    done = [t for t in trials if t.name in records]
    failed = [t for t in done if records[t.name]["status"] != "ok"]
    lines = [
        f"trials        {len(done)} of {len(trials)} finished, {len(failed)} failed"
        f" ({seconds:.1f} s in this call)",
        f"metric        {spec.metric} ({spec.mode})",
    ]
    best = best_trial(spec, trials, records)
    if best is not None:
        value = final_metric(spec, records[best.name])
        lines.append(f"best trial    {best.name}: {spec.metric} {value:.6g}, {_point(best.point)}")
        lines.append(f"              seed {best.seed}, run folder {out / TRIALS / best.name}")
    scores = point_scores(spec, trials, records)
    means = {p: _mean(v) for p, v in scores.items()}
    ranked = [p for p in means if not math.isnan(means[p])]
    if ranked and len({t.seed_index for t in trials}) > 1:
        top = ranked[0]
        for p in ranked[1:]:
            top = p if better(spec, means[p], means[top]) else top
        point = next(t.point for t in trials if t.point_index == top)
        lines.append(
            f"best point    {_point(point)}: mean {spec.metric} {means[top]:.6g} over "
            f"{sum(not math.isnan(v) for v in scores[top])} seeds"
        )
    if failed:
        lines.append(
            f"failed        {', '.join(t.name for t in failed[:8])}"
            + (", ..." if len(failed) > 8 else "")
            + " (their errors: results.csv)"
        )
    return "\n".join(lines)


def write_figures(
    spec: SweepSpec, trials: list[Trial], records: dict[str, Any], out: Path
) -> list[Path]:
    """``metric.png`` (the metric against each swept key) and, with several seeds,
    ``seeds.png`` (the spread over seeds of each point)."""
    from ..plots import save
    from ..plots.sweep import metric_vs_params, seed_spread

    values = [final_metric(spec, records.get(t.name)) for t in trials]
    points = [t.point for t in trials]
    files = [save(metric_vs_params(points, values, spec.keys, spec.metric), out / "metric.png")]
    if len({t.seed_index for t in trials}) > 1:
        groups = [t.point_index for t in trials]
        fig = seed_spread(points, values, groups, spec.keys, spec.metric)
        files.append(save(fig, out / "seeds.png"))
    return files


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, (list, dict, bool)):
        return json.dumps(value)
    return str(value)


def _point(point: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {_cell(v)}" for k, v in point.items())


def _mean(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return math.fsum(finite) / len(finite) if finite else math.nan
