"""L-BFGS: the limited-memory BFGS direction (Nocedal & Wright, *Numerical Optimization*, 2nd
ed., Alg. 7.4 and 7.5), its curvature memory as plain arrays.

L-BFGS keeps the last ``m`` steps and gradient changes

.. math::

    s_k = θ_{k+1} - θ_k, \\qquad y_k = ∇J(θ_{k+1}) - ∇J(θ_k), \\qquad ρ_k = 1 / (y_kᵀ s_k)
    \\tag{7.17}

and applies the inverse-Hessian approximation ``H_k`` to the gradient by the two-loop
recursion (Alg. 7.4), starting from ``H_k^0 = γ_k I`` with

.. math::

    γ_k = s_{k-1}ᵀ y_{k-1} / y_{k-1}ᵀ y_{k-1}   \\tag{7.20}

The step ``θ ← θ + α d`` with ``d = -H_k ∇J`` needs a line search for ``α`` (Alg. 7.5 step 3:
the strong Wolfe conditions, eq. 3.7); an optimiser's ``step(params, grads, lr)`` cannot
evaluate ``J`` elsewhere, so the line search lives in the training loop's step driver
(``fcnn._fast.lbfgs``), which asks this class for the direction and hands back each pair
``(s, y)``. The memory is ``S, Yk: (m, n)`` and ``rho: (m,)`` in a ring, so a checkpoint holds
it and a resumed run goes on with the same curvature.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .optim import Optimizer
from .validation import check_number

Array = np.ndarray


class LBFGS(Optimizer):
    """The L-BFGS direction and memory; ``m`` is the number of pairs kept (scipy's default 10).

    ``lr`` is not used: the line search picks each step length. Train with
    ``fit(optimizer="lbfgs")``, which needs the full batch.
    """

    name = "lbfgs"

    def __init__(self, m: int = 10) -> None:
        super().__init__()
        check_number("m", m, 1, integer=True, what="an int >= 1")
        self.m = int(m)

    def hyperparams(self) -> dict[str, float]:
        return {"m": self.m}

    def step(self, params: Array, grads: Array, lr: float) -> None:
        raise TypeError(
            "LBFGS takes its steps by a line search on the loss, not from a gradient alone: "
            "train with fit(optimizer='lbfgs') (the full batch), which drives it"
        )

    def _memory(self, n: int, dtype: np.dtype) -> None:
        if "S" not in self.state or self.state["S"].shape != (self.m, n):
            self.state.update(
                S=np.zeros((self.m, n), dtype),
                Yk=np.zeros((self.m, n), dtype),
                rho=np.zeros(self.m, np.float64),
                count=0,
                head=0,
            )

    @property
    def pairs(self) -> int:
        """How many ``(s, y)`` pairs the memory holds."""
        return int(self.state.get("count", 0))

    def direction(self, g: Array, out: Array) -> Array:
        """``d = -H_k g`` into ``out`` by the two-loop recursion (Alg. 7.4); ``-g`` when the
        memory is empty."""
        self._memory(len(g), g.dtype)
        S, Yk, rho, count = self.state["S"], self.state["Yk"], self.state["rho"], self.pairs
        q = out
        np.copyto(q, g)
        order = [(self.state["head"] - 1 - i) % self.m for i in range(count)]  # newest first
        alpha = np.zeros(count)
        for i, j in enumerate(order):  # first loop: newest to oldest
            alpha[i] = rho[j] * float(np.vdot(S[j], q))  # α_i = ρ_i s_iᵀ q
            q -= alpha[i] * Yk[j]  # q ← q - α_i y_i
        if count:
            j = order[0]  # r = H_k^0 q, γ_k of eq. 7.20
            q *= 1.0 / (rho[j] * float(np.vdot(Yk[j], Yk[j])))
        for i, j in reversed(list(enumerate(order))):  # second loop: oldest to newest
            beta = rho[j] * float(np.vdot(Yk[j], q))  # β = ρ_i y_iᵀ r
            q += (alpha[i] - beta) * S[j]  # r ← r + s_i (α_i - β)
        np.negative(q, out=q)
        return q

    def remember(self, s: Array, y: Array) -> bool:
        """Add the pair ``(s, y)`` (eq. 7.17), dropping the oldest beyond ``m``. A pair without
        positive curvature (``yᵀs <= ε ||y||²``, which a Wolfe step rules out but rounding
        may not) is skipped, so that ``H_k`` stays positive definite; returns whether it was
        kept."""
        self._memory(len(s), s.dtype)
        sy, yy = float(np.vdot(s, y)), float(np.vdot(y, y))
        if not sy > np.finfo(np.float64).eps * yy:
            return False
        j = self.state["head"]
        self.state["S"][j], self.state["Yk"][j], self.state["rho"][j] = s, y, 1.0 / sy
        self.state["head"] = (j + 1) % self.m
        self.state["count"] = min(self.pairs + 1, self.m)
        self.state["t"] += 1
        return True

    def forget(self) -> None:
        """Empty the curvature memory (the next direction is ``-g``)."""
        if "count" in self.state:
            self.state["count"] = self.state["head"] = 0

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` output: the memory as saved (or none yet)."""
        if "t" not in state:
            raise ValueError("lbfgs state lacks ['t']")
        self.state = {
            k: (np.array(v) if isinstance(v, np.ndarray) else v) for k, v in state.items()
        }
        for key in ("t", "count", "head"):
            if key in self.state:
                self.state[key] = int(self.state[key])
