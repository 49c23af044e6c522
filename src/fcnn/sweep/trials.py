"""The trials of a sweep: every point of the grid, or ``n_trials`` random points, each
repeated with ``seeds`` values of ``training.seed``.

Everything random comes from ``numpy.random.SeedSequence(spec.seed)``: its first child draws
the random points, its second the training seeds. The same sweep file therefore gives the same
trials, in the same order, with the same names, every time it is read: what lets
``fcnn sweep --resume`` match the trial folders it finds to the trials it owes.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .spec import SweepSpec, with_value


@dataclass(frozen=True)
class Trial:
    """One run of a sweep: ``name`` (its folder, ``trial-0007``), the swept values ``point``
    (key -> value), the point's index, the seed's index and ``config``, the run config."""

    index: int
    name: str
    point: dict[str, Any]
    point_index: int
    seed_index: int
    config: dict[str, Any]

    @property
    def seed(self) -> int:
        """The trial's ``training.seed``."""
        return int(self.config["training"]["seed"])


def points(spec: SweepSpec) -> list[dict[str, Any]]:
    """The swept values of every point: the grid's combinations (the last key varying
    fastest), or ``spec.n_trials`` draws of the random distributions."""
    if spec.grid:
        keys = list(spec.grid)
        return [
            dict(zip(keys, combo, strict=True)) for combo in itertools.product(*spec.grid.values())
        ]
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed).spawn(2)[0])
    return [{k: _draw(rng, *d) for k, d in spec.random.items()} for _ in range(spec.n_trials)]


def training_seeds(spec: SweepSpec) -> list[int]:
    """The ``training.seed`` values every point is run with: the base config's own seed when
    ``seeds = 1``, the list ``seeds`` when given, else ``seeds`` draws (32-bit integers)."""
    if isinstance(spec.seeds, list):
        return list(spec.seeds)
    if spec.seeds == 1:
        return [int(spec.base["training"]["seed"])]
    child = np.random.SeedSequence(spec.seed).spawn(2)[1]
    return [int(s) for s in child.generate_state(spec.seeds, dtype=np.uint32)]


def trials(spec: SweepSpec) -> list[Trial]:
    """Every trial of the sweep, in order: each point with each training seed in turn."""
    seeds = training_seeds(spec)
    out = []
    for p, point in enumerate(points(spec)):
        cfg = spec.base
        for key, value in point.items():
            cfg = with_value(cfg, key, value)
        for s, seed in enumerate(seeds):
            seeded = with_value(cfg, "training.seed", seed) if spec.seeds != 1 else cfg
            i = len(out)
            out.append(Trial(i, f"trial-{i:04d}", point, p, s, seeded))
    return out


def _draw(rng: np.random.Generator, kind: str, args: Any) -> Any:
    if kind == "log_uniform":
        return float(math.exp(rng.uniform(math.log(args[0]), math.log(args[1]))))
    if kind == "uniform":
        return float(rng.uniform(args[0], args[1]))
    if kind == "int":
        return int(rng.integers(args[0], args[1], endpoint=True))
    return args[int(rng.integers(len(args)))]  # choice
