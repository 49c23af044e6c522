"""The training step, chosen once per run: which function computes a batch's loss and
gradient, and which applies the update. The readable path is ``Network._step`` followed by
``Optimizer.step``; the variants here compute the same numbers with less overhead:

- the compiled softmax/cross-entropy step: ``Network._forward``, the softmax and cross-entropy
  of ``fcnn.losses`` and ``Network._backward``, with every array and function bound once
  (bit-identical to the readable path, ``tests/_fast/test_step.py``);
- plain gradient descent with the learning rate folded into the output delta (backprop is
  linear in it), so the backward pass leaves ``α ∇J`` and the update is one subtraction;
- plain gradient descent inside the weight-gradient products: each layer's
  ``[W | b] -= r g [h; 1]ᵀ`` is one GEMM into the parameters (``fcnn._fast.blas``), equal to
  the gradient-then-update path up to rounding (``docs/math.md`` §7);
- any of these softmax/cross-entropy steps as one compiled call, with the accuracy count in
  it (``fcnn._fast.kernels``, where ``fcnn._fast.fused.chosen`` says it pays), equal to the
  NumPy step to rounding (``tests/_fast/test_fused.py``).

The optimisers know nothing of this: :func:`choose` recognises plain SGD by its type and, where
it takes the update over, counts the step in the optimiser's state as ``SGD.step`` would.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from operator import getitem
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .. import losses
from ..lbfgs import LBFGS
from ..optim import SGD, Optimizer
from . import blas
from . import fused as fused_kernel

if TYPE_CHECKING:
    from ..network import Network
    from .batch import Batch
    from .workspace import Workspace

Array = np.ndarray
StepFn = Callable[["Batch", float], tuple[float, ...]]
UpdateFn = Callable[[float], None]


class Plan(NamedTuple):
    """A run's step: ``step(ws, rate)`` returns the batch's reduced loss parts (plus the L2
    penalty last) and prepares the update, which ``update(rate)`` applies; ``kind`` names the
    path: ``"descend"``, ``"folded"``, ``"compiled"``, ``"readable"`` or ``"lbfgs"``.
    ``count()``, where the step counts the correct predictions itself (the fused kernel),
    returns the latest step's count; else the loop asks the batch (``Batch.correct``)."""

    kind: str
    step: StepFn
    update: UpdateFn
    count: Callable[[], int] | None = None


def choose(
    net: Network,
    optimizer: Optimizer,
    *,
    l2: float,
    clip: float | None,
    weighted: bool,
    gradient: bool | str = False,
    sparse: bool = False,
    steps: int = 0,
    batch: int = 0,
    kernel: bool | None = None,
) -> Plan:
    """The :class:`Plan` for a run; a step whose loss is not finite leaves the parameters as
    they were. ``gradient=True`` keeps a path that leaves ``∇J`` itself in the gradient buffer (for
    observers of the gradient); ``gradient="scaled"`` one that leaves ``∇J`` or, on the
    ``"folded"`` path, ``α ∇J`` (the observer divides by the rate). A ``sparse`` input takes
    the readable step (the compiled ones bind the dense ``H[0]``; plain SGD still folds the
    rate). An :class:`~fcnn.lbfgs.LBFGS` optimiser gets the L-BFGS step driver of
    :mod:`fcnn._fast.lbfgs` (kind ``"lbfgs"``; the full batch only). The fused kernel
    computes the step where ``kernel`` is True, or with ``kernel=None`` where
    :func:`fcnn._fast.fused.chosen` takes it for a run of ``steps`` steps on batches of
    ``batch`` samples with argmax labels (``steps=0``: none); ``Plan.count`` is set where it
    does."""
    if isinstance(optimizer, LBFGS):
        from . import lbfgs

        return lbfgs.plan(net, optimizer, l2=l2, clip=clip)
    plain = type(optimizer) is SGD and not optimizer.momentum and clip is None
    fused = _fused(net, l2, weighted) and not sparse
    if kernel is None:
        kernel = fused_kernel.chosen(net, steps)
    kernel = kernel and fused and fused_kernel.loads()
    if plain and not gradient and fused and (kernel or blas.available(net.dtype)):
        plan = descending(net, optimizer)
    elif plain and gradient is not True:
        plan = folded(net, optimizer, l2=l2, weighted=weighted, sparse=sparse)
    else:
        plan = readable(net, optimizer, l2=l2, clip=clip)
        if fused:
            plan = plan._replace(kind="compiled", step=_compiled(net))
    if kernel and plan.kind != "readable":  # the same step as one compiled call
        by_rate, descend = plan.kind != "compiled", plan.kind == "descend"
        if fused_kernel.applies(net, batch):
            step, count = _kernel(net, descend, by_rate)
        else:  # too wide for one call: fused kernels between BLAS's products
            step, count = _between(net, descend, by_rate)
        plan = plan._replace(step=step, count=count)
    return plan


def readable(net: Network, optimizer: Optimizer, *, l2: float, clip: float | None) -> Plan:
    """The readable path: ``Network._step`` for ``∇J``, then ``Optimizer.step`` (after
    scaling ``∇J`` to the norm ``clip`` where it is longer)."""
    params, grad = net.params, net._grad

    def update(rate: float) -> None:
        if clip is not None:
            norm = math.sqrt(float(np.vdot(grad, grad)))
            if norm > clip:
                np.multiply(grad, clip / norm, out=grad)
        optimizer.step(params, grad, rate)

    return Plan("readable", _readable(net, l2, False), update)


def folded(
    net: Network, optimizer: SGD, *, l2: float, weighted: bool, sparse: bool = False
) -> Plan:
    """Plain SGD with the rate folded into the output delta: the step leaves ``α ∇J`` in the
    gradient buffer, and the update is ``θ -= α ∇J`` in one pass."""
    params, grad = net.params, net._grad

    def update(rate: float) -> None:
        optimizer.state["t"] += 1  # as SGD.step counts
        np.subtract(params, grad, out=params)

    fused = _fused(net, l2, weighted) and not sparse
    return Plan(
        "folded", _compiled(net, folded=True) if fused else _readable(net, l2, True), update
    )


def descending(net: Network, optimizer: SGD) -> Plan:
    """Plain SGD inside the weight-gradient products of the compiled step (unweighted
    softmax/cross-entropy without L2, where :func:`fcnn._fast.blas.available`)."""

    def update(rate: float) -> None:  # the step has updated the parameters
        optimizer.state["t"] += 1  # as SGD.step counts

    return Plan("descend", _compiled(net, descend=True), update)


def _fused(net: Network, l2: float, weighted: bool) -> bool:
    """Whether the compiled softmax/cross-entropy step computes this run's loss."""
    return net.output == "softmax" and net.loss_name == "cross_entropy" and not (weighted or l2)


def _readable(net: Network, l2: float, folded: bool) -> StepFn:
    """``Network._step`` on the batch's own targets and weights."""
    if folded:
        return lambda ws, rate: net._step(ws, ws.Y, l2, ws.w, rate)
    return lambda ws, rate: net._step(ws, ws.Y, l2, ws.w)


def _compiled(net: Network, folded: bool = False, descend: bool = False) -> StepFn:
    """The softmax/cross-entropy step of each workspace (:func:`compile_step`), built on its
    first use; with ``folded`` or ``descend`` the delta is scaled by the rate too."""
    return _per_workspace(net, descend, folded or descend, between=False)[0]


def _between(net: Network, descend: bool, by_rate: bool) -> tuple[StepFn, Callable[[], int]]:
    """:func:`_compiled`'s step with the elementwise work between its products in fused
    kernels (:class:`fcnn._fast.fused.Between`, bound to each workspace on its first use),
    and the count of its latest step."""
    step, last = _per_workspace(net, descend, by_rate, between=True)
    return step, lambda: int(last[2].counted[0])


def _per_workspace(net: Network, descend: bool, by_rate: bool, between: bool) -> tuple:
    """``(step, last)``: the :func:`compile_step` of each workspace, built on its first use
    and kept in ``ws.steps`` (with ``between``, with the kernels of
    :class:`fcnn._fast.fused.Between`), and ``last``, the latest workspace, its step and its
    kernels (a full batch is one workspace for the whole run)."""
    key = ("between-" if between else "") + ("descend" if descend else "gradient")
    last: list = [None, None, None]

    def step(ws: Batch, rate: float) -> tuple[float, ...]:
        if ws is not last[0]:
            made = ws.steps.get(key)
            if made is None:
                kernels = fused_kernel.Between(net, ws, descend) if between else None
                made = ws.steps[key] = (compile_step(ws, ws.Y, descend, by_rate, kernels), kernels)
            last[:] = ws, *made
        return last[1](rate)

    return step, last


def _kernel(net: Network, descend: bool, by_rate: bool) -> tuple[StepFn, Callable[[], int]]:
    """:func:`_compiled`'s step as the fused kernel of each workspace
    (:class:`fcnn._fast.fused.Bound`), bound on its first use, and the count of its latest
    step: ``descend`` takes plain SGD into the parameters, ``by_rate`` scales the delta by
    the rate."""
    key = "kernel-descend" if descend else "kernel-gradient"
    last: list = [None, None]  # the latest workspace and its kernel
    counted = [0]

    def step(ws: Batch, rate: float) -> tuple[float, ...]:
        if ws is not last[0]:
            bound = ws.steps.get(key)
            if bound is None:
                bound = ws.steps[key] = fused_kernel.Bound(net, ws, descend)
            bound.refresh()  # the workspace's rate, as this run left it or found it
            last[:] = ws, bound
        bound = last[1]
        if by_rate and rate != ws.rate:
            ws.set_rate(rate)
            bound.refresh()
        ce, counted[0] = bound.run(*bound.args)
        return (ce * ws.scale,)

    return step, partial(getitem, counted, 0)


def compile_step(
    ws: Workspace,
    Y: Array,
    descend: bool = False,
    by_rate: bool = False,
    kernels: fused_kernel.Between | None = None,
) -> Callable[[float], tuple[float]]:
    """``step(rate)``: forward, softmax, cross-entropy and backward on the unweighted batch in
    ``ws`` for targets ``Y: (n_l, B)``, as ``Network._step`` computes them (the same calls on
    the same arrays), bound once. Returns ``(J,)``, the reduced cross-entropy, and fills the
    gradient buffer; with ``by_rate`` the delta is scaled by ``rate`` too.

    With ``descend=True`` the step also takes the step: each layer's ``[W | b] -= r g [h; 1]ᵀ``
    is one GEMM into the parameters, after ``Wᵀ g`` has read the old ``W``, with
    ``r = ws.delta_scale`` as the GEMM's ``α`` instead of a pass over the delta; the gradient
    buffer is left alone, and a loss that is not finite returns before any update.

    With ``kernels`` (:class:`fcnn._fast.fused.Bound`'s sibling for wide networks), the
    elementwise work between the products is theirs: softmax, cross-entropy, delta and the
    accuracy count in one call, and each ``g_below ⊙= f'(a)`` in one pass."""
    dot, subtract, multiply, isfinite = np.dot, np.subtract, np.multiply, math.isfinite
    Z, P, G, buf, delta_scale, scale = ws.A[-1], ws.P, ws.G[-1], ws.buf, ws.delta_scale, ws.scale
    softmax = losses.bind_softmax(Z, P, buf)
    cross_entropy = losses.bind_softmax_cross_entropy(Z, Y, buf)
    forward = [(f.Wb, f.h, f.a, f.f, f.h_next) for f in ws.forward]
    descents: list[Callable[[], None] | None] = [None] * len(ws.backward)
    if descend:  # [W | b] -= r g [h; 1]ᵀ for the layers last to first, as backward
        rate = ws.descent_rate = blas.Rate(delta_scale.dtype, float(delta_scale))
        pairs = zip(ws.backward, reversed(ws.forward), strict=True)
        descents = [blas.descent(b.g, b.hT, f.Wb, rate) for b, f in pairs]
    derivatives = [None] * len(ws.backward) if kernels is None else kernels.derivatives
    output = None if kernels is None else kernels.output
    plan = [
        (b.g, b.hT, b.dWb, b.WT, b.product, b.g_below, b.df, b.a_below, b.h_below, b.t, d, k)
        for b, d, k in zip(ws.backward, descents, derivatives, strict=True)
    ]

    def step(rate: float) -> tuple[float]:
        if by_rate and rate != ws.rate:
            ws.set_rate(rate)
        for Wb, h, a, f, h_next in forward:  # Alg. 1
            dot(Wb, h, out=a)
            if f is not None:
                f(a, out=h_next)
        if output is None:
            softmax()
            ce = cross_entropy()
        else:  # softmax, cross-entropy, the delta and the count in one call
            ce = output()
        if descend and not isfinite(ce):
            return (ce * scale,)
        if output is None:
            subtract(P, Y, out=G)  # ∂J/∂z = ŷ - y (seed 002 eq. 14), scaled
            if not descend and ws.scaled:
                multiply(G, delta_scale, out=G)
        for g, hT, dWb, WT, product, g_below, df, a, h, t, descent, times_df in plan:  # Alg. 2
            if descent is None:
                dot(g, hT, out=dWb)
            if WT is not None:
                if times_df is None:
                    df(a, h, out=t)
                    product(WT, g, out=g_below)
                    g_below *= t
                else:  # g_below ⊙= f'(a) in one pass
                    product(WT, g, out=g_below)
                    times_df()
            if descent is not None:  # after Wᵀ g, which needs the W before the step
                descent()
        return (ce * scale,)

    return step
