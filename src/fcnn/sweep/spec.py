"""A sweep file: an ordinary run config (every key ``fcnn train --config`` takes) plus a
``[sweep]`` table that says which keys vary, how, and what to compare::

    [sweep]
    metric = "val_accuracy"        # a History column: loss, accuracy, val_loss, val_accuracy, ...
    mode = "max"                   # or "min"; default: max for accuracies, min otherwise
    seed = 0                       # the sweep's own seed (random points, training seeds)
    seeds = 5                      # each point with 5 values of training.seed (or a list)
    checkpoint_seconds = 30        # how often a running trial sends its checkpoint home

    [sweep.grid]                   # every combination, in file order ...
    "training.lr" = [1e-3, 1e-2, 1e-1]
    "network.layers" = [[2, 8, 3], [2, 32, 3]]

    [sweep.random]                 # ... or n_trials random points
    n_trials = 20
    "training.lr" = {log_uniform = [1e-4, 1e-1]}
    "training.l2" = {uniform = [0.0, 1e-3]}
    "training.batch_size" = {int = [8, 64]}
    "network.activation" = {choice = ["tanh", "relu"]}

Everything is checked here, before any trial runs; each error names the key
(``sweep.grid."training.lr"``) and the fix. A value that is bad only in combination with
another (layers that do not fit the data) fails its trial, which the sweep records.
"""

from __future__ import annotations

import copy
import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..runs.config import DEFAULTS, load_toml, merge, validate

DISTRIBUTIONS = ("log_uniform", "uniform", "choice", "int")
METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")
_PARTS = ("mse", "ce", "l2")
_SWEEP_KEYS = ("grid", "random", "metric", "mode", "seed", "seeds", "checkpoint_seconds")
MAX_TRIALS = 100_000  # trials (points x seeds) one sweep may hold


@dataclass
class SweepSpec:
    """A parsed, checked sweep file.

    ``base``: the run config every trial starts from (validated, defaults filled);
    ``grid``: key -> values, or ``random``: key -> (distribution, arguments) with
    ``n_trials``; ``seeds``: the number of training seeds per point, or their list;
    ``source``: the parsed TOML, which a resumed sweep compares with the saved file.
    """

    base: dict[str, Any]
    grid: dict[str, list[Any]] = field(default_factory=dict)
    random: dict[str, tuple[str, Any]] = field(default_factory=dict)
    n_trials: int = 0
    seed: int = 0
    seeds: int | list[int] = 1
    metric: str = "loss"
    mode: str = "min"
    checkpoint_seconds: float = 30.0
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        """The swept keys, in file order."""
        return list(self.grid or self.random)


def load(path: str | Path) -> SweepSpec:
    """Read and check the sweep file at ``path`` (``ValueError`` naming the problem)."""
    return parse(load_toml(path), str(path))


def parse(doc: dict[str, Any], where: str = "the sweep file") -> SweepSpec:
    """Check a parsed sweep file ``doc`` (a run config plus ``[sweep]``); return its spec."""
    doc = copy.deepcopy(doc)
    table = doc.pop("sweep", None)
    if not isinstance(table, dict):
        raise ValueError(
            f"{where} has no [sweep] table; add one with [sweep.grid] or [sweep.random] "
            "(docs/sweeps.md)"
        )
    try:
        base = validate(merge(DEFAULTS, doc))
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    _unknown_key(table, _SWEEP_KEYS, "[sweep]")
    grid, random = table.get("grid"), table.get("random")
    if (grid is None) == (random is None):
        raise ValueError(
            "[sweep] needs exactly one of [sweep.grid] (every combination) and [sweep.random] "
            f"(n_trials random points); {where} has {'both' if grid is not None else 'neither'}"
        )
    spec = SweepSpec(base=base, source=copy.deepcopy({**doc, "sweep": table}))
    if grid is not None:
        spec.grid = _grid(grid, base)
    else:
        spec.n_trials, spec.random = _random(random, base)
    spec.seed = _int(table.get("seed", 0), "sweep.seed", 0)
    spec.seeds = _seeds(table.get("seeds", 1), spec.keys)
    _check_size(spec)
    spec.metric, spec.mode = _metric(table, base, spec)
    seconds = table.get("checkpoint_seconds", 30.0)
    if type(seconds) not in (int, float) or not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(
            f"sweep.checkpoint_seconds = {seconds!r}; give a number of seconds >= 0 (0: a "
            "running trial sends no checkpoint home until it ends)"
        )
    spec.checkpoint_seconds = float(seconds)
    return spec


def with_value(cfg: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of ``cfg`` with the dotted ``key`` (``training.lr``, ``data.options.noise``)
    set to ``value``."""
    out = copy.deepcopy(cfg)
    *path, name = key.split(".")
    table = out
    for part in path:
        table = table.setdefault(part, {})
    table[name] = copy.deepcopy(value)
    return out


# ------------------------------------------------------------------------------ helpers


def _unknown_key(table: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    for name in table:
        if name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(f"unknown key {name!r} in {where}; {hint}valid: {', '.join(known)}")


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted keys of a table (``training.lr = [...]`` written unquoted nests in TOML): a
    path stops at a full config key, or at a value that is not a table."""
    out: dict[str, Any] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and not _is_key(key):
            out.update(_flatten(value, key + "."))
        else:
            out[key] = value
    return out


def _is_key(key: str) -> bool:
    """Whether ``key`` names a run config key: ``section.name`` or ``data.options.<name>``."""
    parts = key.split(".")
    if len(parts) == 3 and parts[:2] == ["data", "options"]:
        return True
    return len(parts) == 2 and parts[1] in DEFAULTS.get(parts[0], {}) and key != "data.options"


def _check_key(key: str, where: str) -> None:
    """``key`` must name a run config key (:func:`_is_key`)."""
    if _is_key(key):
        return
    known = [f"{s}.{k}" for s, keys in DEFAULTS.items() for k in keys if k != "options"]
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ValueError(
        f"{where}: {key!r} is not a run config key; {hint}sweep keys are written "
        "'section.key' (e.g. 'training.lr') or 'data.options.NAME'"
    )


def _check_point(base: dict[str, Any], key: str, value: Any, where: str) -> None:
    try:
        validate(with_value(base, key, value))
    except ValueError as exc:
        raise ValueError(f"{where}: the value {value!r} does not work: {exc}") from None


def _grid(table: Any, base: dict[str, Any]) -> dict[str, list[Any]]:
    if not isinstance(table, dict) or not table:
        raise ValueError('[sweep.grid] must list values per key, e.g. "training.lr" = [1e-3, 1e-2]')
    grid = _flatten(table)
    for key, values in grid.items():
        where = f'sweep.grid."{key}"'
        _check_key(key, where)
        if not isinstance(values, list) or not values:
            raise ValueError(f"{where} = {values!r}; give a non-empty list of values to try")
        for value in values:
            _check_point(base, key, value, where)
    return grid


def _random(table: Any, base: dict[str, Any]) -> tuple[int, dict[str, tuple[str, Any]]]:
    if not isinstance(table, dict):
        raise ValueError("[sweep.random] must be a table: n_trials and one distribution per key")
    table = dict(table)
    n_trials = _int(table.pop("n_trials", None), "sweep.random.n_trials", 1)
    dists = _flatten(table)
    if not dists:
        raise ValueError(
            '[sweep.random] has no keys to draw; add one, e.g. "training.lr" = '
            "{log_uniform = [1e-4, 1e-1]}"
        )
    out = {}
    for key, dist in dists.items():
        where = f'sweep.random."{key}"'
        _check_key(key, where)
        out[key] = _distribution(dist, where)
        kind, args = out[key]
        for value in args if kind == "choice" else args:
            _check_point(base, key, value, where)
    return n_trials, out


def _distribution(dist: Any, where: str) -> tuple[str, Any]:
    forms = "{log_uniform = [a, b]}, {uniform = [a, b]}, {int = [lo, hi]} or {choice = [...]}"
    if not isinstance(dist, dict) or len(dist) != 1 or next(iter(dist)) not in DISTRIBUTIONS:
        raise ValueError(f"{where} = {dist!r} is not a distribution; give {forms}")
    kind, args = next(iter(dist.items()))
    if kind == "choice":
        if not isinstance(args, list) or not args:
            raise ValueError(f"{where}: choice needs a non-empty list of values, got {args!r}")
        return kind, args
    number = (int,) if kind == "int" else (int, float)
    pair = isinstance(args, list) and len(args) == 2
    if not pair or not all(type(a) in number and math.isfinite(a) for a in args):
        what = "integers" if kind == "int" else "finite numbers"
        raise ValueError(f"{where}: {kind} needs two {what} [low, high], got {args!r}")
    low, high = args
    if low > high:
        raise ValueError(f"{where}: {kind} = [{low!r}, {high!r}] has low > high; swap them")
    if kind == "log_uniform" and low <= 0:
        raise ValueError(f"{where}: log_uniform needs 0 < low <= high, got [{low!r}, {high!r}]")
    return kind, [float(low), float(high)] if kind != "int" else [low, high]


def _check_size(spec: SweepSpec) -> None:
    """Refuse a sweep of more than :data:`MAX_TRIALS` trials before any is made: each is a run
    folder, and the list of their configs alone would take minutes and gigabytes."""
    n = spec.n_trials if not spec.grid else math.prod(len(v) for v in spec.grid.values())
    seeds = len(spec.seeds) if isinstance(spec.seeds, list) else spec.seeds
    if n * seeds > MAX_TRIALS:
        raise ValueError(
            f"the sweep has {n:,} points x {seeds:,} seed{'s' * (seeds != 1)} = {n * seeds:,} "
            f"trials, more than the {MAX_TRIALS:,} a sweep folder takes (a run folder each); "
            "narrow the grid or the seeds, or split the search into several sweeps"
        )


def _int(value: Any, key: str, least: int) -> int:
    if type(value) is not int or value < least:
        raise ValueError(f"{key} = {value!r}; give an integer >= {least}")
    return value


def _seeds(value: Any, keys: list[str]) -> int | list[int]:
    if isinstance(value, list):
        if not value or not all(type(s) is int and s >= 0 for s in value):
            raise ValueError(f"sweep.seeds = {value!r}; give a list of integers >= 0, or a count")
        seeds: int | list[int] = list(value)
    else:
        seeds = _int(value, "sweep.seeds", 1)
    if "training.seed" in keys and seeds != 1:
        raise ValueError(
            "training.seed is swept and sweep.seeds is given; drop one (sweep.seeds repeats "
            "each point with several training seeds)"
        )
    return seeds


def _metric(table: dict[str, Any], base: dict[str, Any], spec: SweepSpec) -> tuple[str, str]:
    held_out = base["data"]["val_split"] > 0 or "data.val_split" in spec.keys
    metric = table.get("metric", "val_loss" if held_out else "loss")
    known = [*METRICS, *_PARTS, "val_mse", "val_ce"]  # no val_l2: the penalty is not validated
    if metric not in known:
        close = difflib.get_close_matches(str(metric), known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"sweep.metric = {metric!r} is unknown; {hint}choose one of {known}")
    if metric.startswith("val_") and not held_out:
        raise ValueError(
            f"sweep.metric = {metric!r} needs validation data: set data.val_split > 0, or "
            f"compare on {metric[4:]!r}"
        )
    part = metric.removeprefix("val_")
    if (
        part in ("mse", "ce")
        and base["network"]["loss"] != "mse+ce"
        and ("network.loss" not in spec.keys)
    ):
        raise ValueError(
            f"sweep.metric = {metric!r} is a part of the loss 'mse+ce', but network.loss is "
            f"{base['network']['loss']!r}; compare on 'loss' instead"
        )
    if part == "l2" and base["training"]["l2"] == 0 and "training.l2" not in spec.keys:
        raise ValueError(
            "sweep.metric = 'l2' is the L2 penalty, but training.l2 = 0: set it, or compare on "
            "'loss'"
        )
    mode = table.get("mode", "max" if metric.endswith("accuracy") else "min")
    if mode not in ("max", "min"):
        raise ValueError(f"sweep.mode = {mode!r}; give 'max' or 'min'")
    return metric, mode
