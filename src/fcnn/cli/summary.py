"""The summary ``fcnn train`` prints: the saved model's numbers, each named for what it is.

Losses are compared as means over samples (``loss per sample``), whatever the reduction; the
training objective as configured is shown beside them only where it differs (``reduction =
"sum"``: ``loss (objective, sum over batch)``). When early stopping handed back the best
epoch's parameters, the numbers are that epoch's, and the summary says which epoch it is. A
regression adds MSE, RMSE and R² on the training and validation rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _parts(parts: dict[str, float] | None) -> str:
    return f" ({', '.join(f'{k} {v:.4g}' for k, v in parts.items())})" if parts else ""


def _model_row(h: Any, epoch: int) -> tuple[str, str]:
    """Which epoch's parameters the saved model holds, and why."""
    if h.stopped_early and h.restored_best:
        why = f"early stopping fired at epoch {h.epoch[-1]}"
        return "saved model", f"epoch {epoch}, the best (monitored) epoch ({why})"
    if h.restored_best:
        return "saved model", f"epoch {epoch}, the best (monitored) epoch, not the last"
    if h.stopped_early:
        return "saved model", f"epoch {epoch}, the last (early stopping fired)"
    return "saved model", f"epoch {epoch}, the last"


def _loss_rows(saved: dict[str, Any], reduction: str) -> list[tuple[str, str]]:
    rows = []
    for prefix, label in (("", "loss per sample"), ("val_", "val loss per sample")):
        value = saved.get(f"{prefix}loss_per_sample")
        if value is None:
            continue
        rows.append((label, f"{value:.4g}{_parts(saved.get(f'{prefix}parts_per_sample'))}"))
        objective = saved.get(f"{prefix}loss")
        if reduction == "sum" and objective is not None:
            label = "loss (objective, sum over batch)" if not prefix else "val loss (sum over rows)"
            rows.append((label, f"{objective:.4g}"))
    return rows


def summary_text(result: Any) -> str:
    """The lines ``fcnn train`` prints for a ``fcnn.runs.RunResult``."""
    s, h = result.summary, result.history
    rows = [("epochs", f"{s.get('epochs', len(h))} in {s.get('seconds', 0.0):.2f} s")]
    saved = s.get("saved") or {}
    if saved:
        rows.append(_model_row(h, saved["epoch"]))
        rows += _loss_rows(saved, getattr(result.net, "reduction", "mean"))
        for key, label in (("accuracy", "accuracy"), ("val_accuracy", "val accuracy")):
            if key in saved:
                rows.append((label, f"{saved[key]:.4f}"))
    for key in ("mse", "rmse", "r2"):
        if key in s:
            val = f", validation {s['val_' + key]:.4g}" if f"val_{key}" in s else ""
            rows.append((key if key != "r2" else "R²", f"training {s[key]:.4g}{val}"))
    if s.get("removed_views"):
        note = "views of the run before this resume; fcnn report RUN redraws them"
        rows.append(("removed", f"{', '.join(s['removed_views'])} ({note})"))
    rows.append(("run folder", str(result.out)))
    names = sorted(str(Path(f).relative_to(result.out)) for f in result.files)
    rows.append(("files", ", ".join(names)))
    width = max(len(k) for k, _ in rows) + 2
    return "\n".join(f"{key:<{width}}{value}" for key, value in rows)
