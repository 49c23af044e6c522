"""The L-BFGS step driver: one iteration of Nocedal & Wright's Alg. 7.5 per update of the
training loop, on the full batch.

``step(ws, rate)`` evaluates ``J(θ_k)`` and ``g_k = ∇J(θ_k)`` (``Network._step``, so the
history records the loss at ``θ_k`` as for every optimiser); ``update(rate)`` takes

1. ``d_k = -H_k g_k`` by the two-loop recursion (:meth:`fcnn.lbfgs.LBFGS.direction`);
2. ``α_k`` satisfying the strong Wolfe conditions (N&W eq. 3.7, ``c1 = 1e-4``,
   ``c2 = 0.9``) by ``scipy.optimize.line_search`` (N&W Alg. 3.5 and 3.6), every trial point
   evaluated by ``Network._step`` on the same workspace; the first iteration tries
   ``α = 1/||g||`` (a unit step), later ones ``α = 1`` (N&W p. 178);
3. ``θ_{k+1} = θ_k + α_k d_k`` and the pair ``(s_k, y_k)`` into the memory.

Where no Wolfe step is found along ``d_k`` the memory is emptied and steepest descent tried;
where that fails too the parameters stay (the loss stops falling; early stopping ends the
run). ``lr`` is not used. The line search's last trial is normally ``θ_{k+1}``: then the next
``step`` reuses its loss and gradient instead of computing them again.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import line_search

from ..lbfgs import LBFGS

if TYPE_CHECKING:
    from ..network import Network
    from .batch import Batch
    from .step import Plan

Array = np.ndarray


def plan(net: Network, optimizer: LBFGS, *, l2: float, clip: float | None) -> Plan:
    """The :class:`~fcnn._fast.step.Plan` of kind ``"lbfgs"`` for ``net`` (full batch)."""
    from .step import Plan

    if clip is not None:
        raise ValueError(
            "clip does not apply to optimizer='lbfgs': the line search bounds each step; "
            "leave clip=None"
        )
    params, grad = net.params, net._grad
    n = len(params)
    g_k, d, x_k = np.empty(n, net.dtype), np.empty(n, net.dtype), np.empty(n, net.dtype)
    g_new = np.empty(n, net.dtype)
    # the last point evaluated: its parameters, loss parts and gradient (g_new)
    last: dict[str, object] = {"x": None, "parts": None}
    current: dict[str, object] = {"ws": None, "f": math.nan}

    def evaluate(ws: Batch, x: Array) -> tuple[float, ...]:
        if last["x"] is not None and np.array_equal(last["x"], x):
            return last["parts"]  # type: ignore[return-value]
        np.copyto(params, x)
        parts = net._step(ws, ws.Y, l2, ws.w)
        np.copyto(g_new, grad)
        last["x"], last["parts"] = params.copy(), parts
        return parts

    def step(ws: Batch, rate: float) -> tuple[float, ...]:
        current["ws"] = ws
        if last["x"] is not None and np.array_equal(last["x"], params):
            parts = last["parts"]  # the line search's accepted trial: P and g_new hold it
            np.copyto(grad, g_new)
        else:
            parts = net._step(ws, ws.Y, l2, ws.w)
            last["x"] = None
        current["f"] = sum(parts)  # type: ignore[arg-type]
        return parts  # type: ignore[return-value]

    def f(x: Array) -> float:
        return float(sum(evaluate(current["ws"], x)))  # type: ignore[arg-type]

    def fprime(x: Array) -> Array:
        evaluate(current["ws"], x)  # type: ignore[arg-type]
        return g_new

    def update(rate: float) -> None:
        np.copyto(g_k, grad)
        np.copyto(x_k, params)
        f_k = float(current["f"])  # type: ignore[arg-type]
        alpha = _search(optimizer, f, fprime, x_k, g_k, d, f_k)
        if alpha is None:  # no Wolfe step, even downhill: stay
            np.copyto(params, x_k)
            return
        np.multiply(d, alpha, out=d)  # s_k = α d_k
        np.add(x_k, d, out=params)
        evaluate(current["ws"], params)
        optimizer.remember(d, g_new - g_k)  # y_k = g_{k+1} - g_k
        np.copyto(grad, g_k)  # observers see ∇J(θ_k), as after every optimiser's step

    return Plan("lbfgs", step, update)


def _search(opt: LBFGS, f, fprime, x: Array, g: Array, d: Array, f_x: float) -> float | None:
    """A strong-Wolfe step length along ``d = -H g`` (into ``d``), or along ``-g`` after
    emptying the memory where that fails; None where neither gives one."""
    for _ in range(2):
        fresh = opt.pairs == 0
        opt.direction(g, out=d)
        if float(np.vdot(g, d)) >= 0:  # not downhill (rounding): start afresh
            opt.forget()
            opt.direction(g, out=d)
        # no memory: scale the first trial to a unit step, α = 1/||g|| (old_old_fval as
        # scipy's BFGS sets it); otherwise the quasi-Newton step α = 1
        old_old = f_x + math.sqrt(float(np.vdot(g, g))) / 2 if fresh else None
        with warnings.catch_warnings():  # a failed search is handled here
            warnings.simplefilter("ignore", RuntimeWarning)  # LineSearchWarning
            alpha = line_search(f, fprime, x, d, gfk=g, old_fval=f_x, old_old_fval=old_old)[0]
        if alpha is not None and alpha > 0:
            return float(alpha)
        if fresh:
            return None
        opt.forget()
    return None
