"""End-of-run verdicts: plain-language warnings, and only when something is wrong.

One mechanism: each verdict is a function of the :class:`fcnn.History` (and the activation
names of the network, where it words its message by them) that returns its messages, and
:func:`verdicts` runs them all in the order of :data:`VERDICTS`. ``fcnn train`` prints what it
returns at the end of a run; a healthy run gets an empty list. The thresholds are named
constants here; ``docs/seeing-inside.md`` says what each verdict means.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .history import History

#: a hidden layer with at least this share of saturated units (or of dead ReLU units) is
#: reported when learning also stalled: the final loss above STALLED × the first epoch's
SATURATED, DEAD, STALLED = 0.5, 0.5, 0.5
#: the median update:weight ratio log10(‖Δθ‖/‖θ‖) above HIGH (any layer) or below LOW (every
#: layer); the healthy band of large networks is around -3, small ones run nearer -2
RATIO_HIGH, RATIO_LOW = -1.0, -6.0
#: an initial loss above INITIAL × the expected one (plus 0.1) means too large initial weights
INITIAL = 1.5

Verdict = Callable[[History, Sequence[str]], list[str]]


def loss_rose(history: History, names: Sequence[str]) -> list[str]:
    """The final epoch's loss is above the first epoch's: training made the model worse."""
    if len(history.loss) < 2 or not history.loss[-1] > history.loss[0]:
        return []
    return [
        f"the final loss {history.loss[-1]:.4g} is above the first epoch's "
        f"{history.loss[0]:.4g}: training made the model worse; lower the learning rate"
    ]


def initial_loss(history: History, names: Sequence[str]) -> list[str]:
    """The first loss is far above the loss of uniform predictions (``ln K`` for K classes)."""
    c = history.checks
    if "initial_loss" not in c or "expected_initial_loss" not in c:
        return []
    got, want = c["initial_loss"], c["expected_initial_loss"]
    if not got > INITIAL * want + 0.1:
        return []
    return [
        f"the initial loss {got:.4g} is far above {want:.4g}, the loss of uniform predictions: "
        "the initial weights are too large; use a scaled initialisation (xavier or he)"
    ]


def saturation(history: History, names: Sequence[str]) -> list[str]:
    """A hidden layer whose tanh/sigmoid units stayed saturated while learning stalled."""
    out = []
    for k, values in _layers(history, "saturated"):
        start = _since(values, SATURATED)
        if start is None or not _stalled(history):
            continue
        what = f"{_name(names, k)} units" if _name(names, k) else "units"
        out.append(
            f"layer {k}: {values[-1]:.0%} of {what} saturated from epoch {history.epoch[start]}; "
            "lower the learning rate or standardise the inputs"
        )
    return out


def dead_units(history: History, names: Sequence[str]) -> list[str]:
    """A ReLU layer most of whose units were never active on an epoch's data."""
    out = []
    for k, values in _layers(history, "dead"):
        start = _since(values, DEAD)
        if start is None:
            continue
        out.append(
            f"layer {k}: {values[-1]:.0%} of ReLU units dead (never active on an epoch's data) "
            f"from epoch {history.epoch[start]}; lower the learning rate, start the biases at "
            "0, or use leaky_relu"
        )
    return out


def update_ratio(history: History, names: Sequence[str]) -> list[str]:
    """Updates far too large for the weights (any layer), or far too small (every layer)."""
    medians = {k: float(np.nanmedian(v)) for k, v in _layers(history, "update_ratio_log10")}
    medians = {k: m for k, m in medians.items() if math.isfinite(m)}
    if not medians:
        return []
    k, high = max(medians.items(), key=lambda kv: kv[1])
    if high > RATIO_HIGH:
        return [
            f"updates are 10^{high:.1f} of the weights (layer {k}, median over the epochs; "
            "about 10^-3 is healthy): the learning rate is too high"
        ]
    if high < RATIO_LOW:
        return [
            f"updates are at most 10^{high:.1f} of the weights (about 10^-3 is healthy): the "
            "learning rate is too low, the weights barely move"
        ]
    return []


VERDICTS: tuple[Verdict, ...] = (loss_rose, initial_loss, saturation, dead_units, update_ratio)


def verdicts(history: History, net: Any = None) -> list[str]:
    """Every verdict's messages on ``history``, empty for a healthy run. ``net`` (the network
    trained, optional) lets messages name the activations (``"tanh units"``)."""
    names = tuple(getattr(net, "activations", ()))
    return [message for verdict in VERDICTS for message in verdict(history, names)]


def _layers(history: History, quantity: str) -> list[tuple[int, list[float]]]:
    """``(k, values)`` of the ``layer{k}_{quantity}`` diagnostics columns."""
    out = []
    for name, values in history.diagnostics.items():
        head, _, rest = name.partition("_")
        if rest == quantity and head.startswith("layer") and head[5:].isdigit() and values:
            out.append((int(head[5:]), values))
    return sorted(out)


def _since(values: Sequence[float], threshold: float) -> int | None:
    """The first index from which every value is at least ``threshold``, or None."""
    above = np.asarray(values, float) >= threshold
    if not above[-1]:
        return None
    below = np.flatnonzero(~above)
    return int(below[-1] + 1) if below.size else 0


def _stalled(history: History) -> bool:
    """Whether the final loss is above ``STALLED`` × the first epoch's."""
    return bool(history.loss) and history.loss[-1] > STALLED * history.loss[0]


def _name(names: Sequence[str], k: int) -> str:
    return names[k - 1] if 0 < k <= len(names) else ""
