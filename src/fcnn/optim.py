"""Optimisers and learning-rate schedules.

An optimiser receives the flat parameter vector ``θ`` and its gradient ``g`` (both 1-D, the
layout of ``Network.params``) and updates ``θ`` in place; it never owns the network. Its state
is a dict of plain arrays and numbers (``state_dict`` / ``load_state_dict``), so a checkpoint
can hold it and resume exactly. Update equations (``docs/math.md``, "Optimisers"):

- GD / SGD:  θ ← θ - α g
- momentum:  v ← μ v - α g;  θ ← θ + v
- Nesterov:  v ← μ v - α g;  θ ← θ + μ v - α g   (Sutskever et al., 2013; as scikit-learn)
- Adam:      m ← β1 m + (1-β1) g;  s ← β2 s + (1-β2) g²;
             θ ← θ - α m̂ / (√ŝ + ε), m̂ = m/(1-β1^t), ŝ = s/(1-β2^t)  (Kingma & Ba,
             arXiv:1412.6980, Algorithm 1)
- RMSprop:   s ← ρ s + (1-ρ) g²;  θ ← θ - α g / (√s + ε)  (Tieleman & Hinton, 2012)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._checks import check_number, in_range

Array = np.ndarray


class Optimizer:
    """Base class: subclasses implement ``_update`` on preallocated state arrays."""

    name = "base"
    _slots: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.state: dict[str, Any] = {"t": 0}

    def hyperparams(self) -> dict[str, float]:
        """The constructor arguments, for configs and reprs."""
        return {}

    def step(self, params: Array, grads: Array, lr: float) -> None:
        """Apply one update to ``params`` in place, from ``grads`` (same shape) at rate ``lr``."""
        if "tmp" not in self.state or self.state["tmp"].shape != params.shape:
            for slot in (*self._slots, "tmp"):
                self.state[slot] = np.zeros_like(params)
        self.state["t"] += 1
        self._update(params, grads, lr)

    def _update(self, params: Array, grads: Array, lr: float) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """The state as plain arrays and numbers (the scratch buffer is left out)."""
        return {
            k: (v.copy() if isinstance(v, np.ndarray) else v)
            for k, v in self.state.items()
            if k != "tmp"
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict` (before the first step, only ``t``:
        the slots are allocated by the first :meth:`step`)."""
        slots = self._slots if state.get("t") else ()
        missing = {"t", *slots} - set(state)
        if missing:
            raise ValueError(f"{self.name} state lacks {sorted(missing)}")
        self.state = {
            k: (np.array(v) if isinstance(v, np.ndarray) else v) for k, v in state.items()
        }
        self.state["t"] = int(self.state["t"])
        if slots:
            self.state["tmp"] = np.zeros_like(self.state[slots[0]])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.hyperparams().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum.

    ``"gd"`` is this with the full batch; ``"sgd"`` with mini-batches.
    """

    name = "sgd"

    def __init__(self, momentum: float = 0.0, nesterov: bool = False) -> None:
        super().__init__()
        check_number("momentum", momentum, 0, 1, high_open=True, what="in [0, 1)")
        if nesterov and momentum == 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self._slots = ("v",) if momentum else ()
        self._rate = np.zeros(())

    def hyperparams(self) -> dict[str, float]:
        return {"momentum": self.momentum, "nesterov": self.nesterov}

    def _update(self, params: Array, grads: Array, lr: float) -> None:
        tmp, rate = self.state["tmp"], self._rate
        if rate.dtype != params.dtype:
            rate = self._rate = np.zeros((), params.dtype)
        rate[()] = lr  # a 0-d array operand: NumPy converts a Python float on every call
        np.multiply(grads, rate, out=tmp)  # α g
        if not self.momentum:
            params -= tmp
            return
        v = self.state["v"]
        v *= self.momentum
        v -= tmp  # v ← μ v - α g
        if self.nesterov:
            params -= tmp
            np.multiply(v, self.momentum, out=tmp)
        else:
            tmp = v
        params += tmp


class Adam(Optimizer):
    """Adam (Kingma & Ba, arXiv:1412.6980), with bias correction as in the paper."""

    name = "adam"
    _slots = ("m", "s")

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__()
        for label, b in (("beta1", beta1), ("beta2", beta2)):
            check_number(label, b, 0, 1, high_open=True, what="in [0, 1)")
        check_number("eps", eps, 0, low_open=True, what="> 0 and finite")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def hyperparams(self) -> dict[str, float]:
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def _update(self, params: Array, grads: Array, lr: float) -> None:
        m, s, tmp, t = self.state["m"], self.state["s"], self.state["tmp"], self.state["t"]
        m *= self.beta1
        np.multiply(grads, 1 - self.beta1, out=tmp)
        m += tmp
        s *= self.beta2
        np.square(grads, out=tmp)
        tmp *= 1 - self.beta2
        s += tmp
        # θ ← θ - α m̂/(√ŝ + ε) with m̂ = m/(1-β1^t), ŝ = s/(1-β2^t)
        np.divide(s, 1 - self.beta2**t, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= lr / (1 - self.beta1**t)
        params -= tmp


class RMSprop(Optimizer):
    """RMSprop (Tieleman & Hinton, 2012, Coursera lecture 6.5)."""

    name = "rmsprop"
    _slots = ("s",)

    def __init__(self, rho: float = 0.9, eps: float = 1e-8) -> None:
        super().__init__()
        check_number("rho", rho, 0, 1, high_open=True, what="in [0, 1)")
        check_number("eps", eps, 0, low_open=True, what="> 0 and finite")
        self.rho, self.eps = float(rho), float(eps)

    def hyperparams(self) -> dict[str, float]:
        return {"rho": self.rho, "eps": self.eps}

    def _update(self, params: Array, grads: Array, lr: float) -> None:
        s, tmp = self.state["s"], self.state["tmp"]
        s *= self.rho
        np.square(grads, out=tmp)
        tmp *= 1 - self.rho
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += self.eps
        np.divide(grads, tmp, out=tmp)
        tmp *= lr
        params -= tmp


OPTIMIZERS = {
    "gd": lambda **kw: SGD(**kw),
    "sgd": lambda **kw: SGD(**kw),
    "momentum": lambda momentum=0.9, **kw: SGD(momentum=momentum, **kw),
    "nesterov": lambda momentum=0.9, **kw: SGD(momentum=momentum, nesterov=True, **kw),
    "adam": lambda **kw: Adam(**kw),
    "rmsprop": lambda **kw: RMSprop(**kw),
    "lbfgs": lambda **kw: _lbfgs(**kw),
}


def _lbfgs(**kw: Any) -> Optimizer:
    from .lbfgs import LBFGS  # fcnn.lbfgs builds on Optimizer

    return LBFGS(**kw)


def get_optimizer(spec: str | Optimizer, **kwargs: Any) -> Optimizer:
    """An optimiser from a name (``gd``, ``sgd``, ``momentum``, ``nesterov``, ``adam``,
    ``rmsprop``, ``lbfgs``) and its keyword arguments, or an :class:`Optimizer` object as it is."""
    if isinstance(spec, Optimizer):
        return spec
    if spec not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {spec!r}; choose one of {', '.join(OPTIMIZERS)}")
    try:
        return OPTIMIZERS[spec](**kwargs)
    except TypeError as exc:
        raise ValueError(f"bad options for optimizer {spec!r}: {exc}") from None


# ----------------------------------------------------------------------------- schedules
class Schedule:
    """A learning rate as a function of the epoch and the update count ``t``.

    ``lr(epoch, t)`` is called before every update; ``on_epoch_end(loss)`` after every epoch.
    State is plain numbers (``state_dict``/``load_state_dict``).
    """

    name = "constant"

    def __init__(self, lr: float) -> None:
        self.lr0 = check_number("learning rate", lr, 0, low_open=True, what="a positive number")

    def lr(self, epoch: int, t: int) -> float:
        """The rate for the update that follows ``t`` earlier updates, in ``epoch`` (0-based)."""
        return self.lr0

    def on_epoch_end(self, loss: float) -> None:
        """Called with the epoch's loss; adaptive schedules react to it."""

    def state_dict(self) -> dict[str, float]:
        """State as plain numbers."""
        return {}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """Restore :meth:`state_dict` output."""


class StepDecay(Schedule):
    """α_e = α γ^⌊e / step_size⌋."""

    name = "step"

    def __init__(self, lr: float, step_size: int = 10, gamma: float = 0.5) -> None:
        super().__init__(lr)
        if not (in_range(step_size, 1, integer=True) and in_range(gamma, 0, 1, low_open=True)):
            raise ValueError(
                "step schedule needs step_size >= 1 and 0 < gamma <= 1, got "
                f"step_size={step_size!r}, gamma={gamma!r}"
            )
        self.step_size, self.gamma = int(step_size), float(gamma)

    def lr(self, epoch: int, t: int) -> float:
        return self.lr0 * self.gamma ** (epoch // self.step_size)


class Exponential(Schedule):
    """α_e = α γ^e."""

    name = "exponential"

    def __init__(self, lr: float, gamma: float = 0.99) -> None:
        super().__init__(lr)
        if not in_range(gamma, 0, 1, low_open=True):
            raise ValueError(f"exponential schedule needs 0 < gamma <= 1, got {gamma!r}")
        self.gamma = float(gamma)

    def lr(self, epoch: int, t: int) -> float:
        return self.lr0 * self.gamma**epoch


class InvScaling(Schedule):
    """α_t = α / (t + 1)^power_t, t the number of earlier updates."""

    name = "invscaling"

    def __init__(self, lr: float, power_t: float = 0.5) -> None:
        super().__init__(lr)
        check_number("power_t", power_t, 0, what=">= 0 and finite")
        self.power_t = float(power_t)

    def lr(self, epoch: int, t: int) -> float:
        return self.lr0 / (t + 1) ** self.power_t


class Adaptive(Schedule):
    """Keep α while the epoch loss improves; divide it by ``factor`` once it has failed to
    improve by ``tol`` for ``patience`` epochs in a row (scikit-learn's ``adaptive``)."""

    name = "adaptive"

    def __init__(
        self, lr: float, factor: float = 5.0, patience: int = 2, tol: float = 1e-4
    ) -> None:
        super().__init__(lr)
        if not (
            in_range(factor, 1, low_open=True)
            and in_range(patience, 1, integer=True)
            and in_range(tol, 0)
        ):
            raise ValueError(
                "adaptive schedule needs factor > 1, patience >= 1 and tol >= 0, got "
                f"factor={factor}, patience={patience}, tol={tol}"
            )
        self.factor, self.patience, self.tol = float(factor), int(patience), float(tol)
        self.current, self.best, self.bad = self.lr0, math.inf, 0

    def lr(self, epoch: int, t: int) -> float:
        return self.current

    def on_epoch_end(self, loss: float) -> None:
        if loss > self.best - self.tol:
            self.bad += 1
        else:
            self.bad = 0
        self.best = min(self.best, loss)
        if self.bad >= self.patience:
            self.current /= self.factor
            self.bad = 0

    def state_dict(self) -> dict[str, float]:
        return {"current": self.current, "best": self.best, "bad": self.bad}

    def load_state_dict(self, state: dict[str, float]) -> None:
        self.current, self.best = float(state["current"]), float(state["best"])
        self.bad = int(state["bad"])


SCHEDULES = {s.name: s for s in (Schedule, StepDecay, Exponential, InvScaling, Adaptive)}


def get_schedule(spec: str | Schedule, lr: float, **kwargs: Any) -> Schedule:
    """A schedule from a name (``constant``, ``step``, ``exponential``, ``invscaling``,
    ``adaptive``) with base rate ``lr``, or a :class:`Schedule` object as it is."""
    if isinstance(spec, Schedule):
        return spec
    if spec not in SCHEDULES:
        raise ValueError(f"unknown schedule {spec!r}; choose one of {', '.join(SCHEDULES)}")
    try:
        return SCHEDULES[spec](lr, **kwargs)
    except TypeError as exc:
        raise ValueError(f"bad options for schedule {spec!r}: {exc}") from None
