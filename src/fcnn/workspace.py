"""Training workspaces: preallocated arrays for one batch size, in seed 002's layout (one sample
per column), the per-layer plans that bind them to a network's parameter views, and the
compiled softmax/cross-entropy step (``docs/performance.md``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from . import activations, blas, losses

if TYPE_CHECKING:
    from .network import Network

Array = np.ndarray


class Workspace:
    """Preallocated arrays for one batch size ``B``; the training loop reuses them every step.

    Inside a workspace the arrays follow seed 002's layout, one sample per **column**, so that
    every line of Alg. 1 and 2 is one matrix product or one elementwise call on contiguous
    blocks (``docs/performance.md``):

    - ``X: (B, n_0)`` receives a batch as the API lays it out, one sample per row. ``H[0]:
      (n_0 + 1, B)`` is x above a row of ones. With ``rows=True`` (a workspace that gathers a
      new mini-batch every step) ``H[0] = inputs.T`` for ``inputs: (B, n_0 + 1)``, whose last
      column is ones and whose other columns are ``X``, so that samples are gathered as whole
      contiguous rows. Otherwise (data copied in once: full batches, validation sets)
      ``H[0]`` is itself contiguous and ``X`` is the transposed view of its top rows: BLAS
      reads a contiguous ``H[0]`` faster (the 2-2-2 seed network's first product: 0.8 ->
      0.7 µs; MNIST's: 166 -> 145 µs).
    - ``H[k]: (n_k + 1, B)`` is h^(k) above a row of ones (the bias trick), for k >= 1.
    - ``A[k]: (n_{k+1}, B)`` is a^(k+1), ``G[k]`` is ∂J/∂a^(k+1), ``T[k]`` holds f'(a^(k+1)).
    - ``P: (n_l, B)`` is ŷ; ``buf`` is the loss's scratch space; ``scale`` is 1/B for the
      mean reduction, else 1. ``scale_array``, a 0-d array of the dtype, scales the output
      delta: ``scale · rate``, where ``rate`` is 1, or the learning rate when plain SGD folds
      it into the backward pass (``Network._step``); ``scaled`` says whether it is not 1.

    ``forward_plan`` and ``backward_plan`` bind each layer's arrays and parameter views once,
    so a step spends no time looking them up.
    """

    def __init__(self, net: Network, B: int, rows: bool = False) -> None:
        sizes, dtype = net.sizes, net.dtype
        self.B, self.scale = B, net._scale(B)
        self.scale_array = np.array(self.scale, dtype)  # an operand NumPy need not convert
        self.rate, self.scaled = 1.0, self.scale != 1.0
        if rows:
            inputs = np.ones((B, sizes[0] + 1), dtype)
            self.X, h0 = inputs[:, :-1], inputs.T
        else:
            h0 = np.ones((sizes[0] + 1, B), dtype)
            self.X = h0[:-1].T
        self.H = [h0] + [np.ones((n + 1, B), dtype) for n in sizes[1:-1]]
        # a^(l) sits above one more row, where the compiled softmax/cross-entropy step writes
        # ln s: with a batch's targets above a row of -1 (Batch.Y_ext), the loss is one dot
        self.Z_ext = np.empty((sizes[-1] + 1, B), dtype)
        self.Y_ext: Array | None = None
        self.A = [np.empty((n, B), dtype) for n in sizes[1:-1]] + [self.Z_ext[:-1]]
        self.G = [np.empty((n, B), dtype) for n in sizes[1:]]
        self.T = [np.empty((n, B), dtype) for n in sizes[1:-1]]
        self.P = np.empty((sizes[-1], B), dtype)
        self.buf = losses.Buffers.like(self.P)
        # built by Network._step: the step, and the step that also descends (blas.descent)
        self.softmax_ce_step: Callable[[Array], float] | None = None
        self.descent_step: Callable[[Array], float] | None = None
        self.descent_rate: blas.Rate | None = None  # scale · rate of descent_step's GEMMs
        L = len(net._Wb)
        # (Wb, h, a, f, h_next): a = Wb [h; 1], then h_next = f(a) above the ones (last: no f)
        self.forward_plan = [
            (net._Wb[k], self.H[k], self.A[k])
            + ((net._acts[k].f, self.H[k + 1][:-1]) if k < L - 1 else (None, None))
            for k in range(L)
        ]
        # (g, [h; 1]ᵀ, dWb, Wᵀ, product, g_below, f', a_below, h_below, t), the last layer first
        self.backward_plan = [
            (self.G[k], self.H[k].T, net._dWb[k])
            + (
                (net.weights[k].T, _transposed_product(net.weights[k]), self.G[k - 1])
                + (net._acts[k - 1].df, self.A[k - 1], self.H[k][:-1], self.T[k - 1])
                if k
                else (None,) * 7
            )
            for k in range(L - 1, -1, -1)
        ]


def _transposed_product(W: Array) -> Callable[..., Array]:
    """The product for ``Wᵀ g``. ``Wᵀ`` is a strided view (the rows of ``[W | b]`` skip the
    biases): np.matmul hands it to BLAS as it is, np.dot copies it first, which costs twice
    the time for a 256 x 256 layer but is cheaper to call for a tiny one (2 x 2: 1.06 -> 0.87
    µs; the two cross over near 16 x 16)."""
    return np.dot if W.size <= 256 else np.matmul


def softmax_ce_step(ws: Workspace, descend: bool = False) -> Callable[[Array], float]:
    """``Network._forward``, ``losses.output_forward`` + ``losses.value_and_delta`` for a softmax
    output with cross-entropy, and ``Network._backward``, as one function with every array, view
    and NumPy function of ``ws`` bound once, without the Python calls, branches and lookups
    around them (``docs/performance.md``). The elementwise and matrix operations are the
    readable path's, so every array it leaves is bit-identical to it
    (``tests/test_fastpath.py``); two things differ in form only: the loss is one dot,
    ``-[y; -1]·[z; ln s]``, the same sum in another order, and tanh's ``1 - h²`` is computed
    right after the product that reads ``h``. ``step(Y)`` returns Σ_k J^ce_k of the
    unweighted batch and fills the gradient buffer.

    With ``descend=True`` (plain gradient descent) the step also takes the step: each layer's
    ``[W | b] -= r g [h; 1]ᵀ`` is one GEMM into the parameters (:func:`fcnn.blas.descent`),
    after ``Wᵀ g`` has read the old ``W``, and the gradient buffer is left alone. The delta's
    scale and the learning rate, ``r = scale · rate`` (``ws.descent_rate``, set by
    ``Network._set_rate``), are the GEMMs' ``α`` instead of a pass over the output delta, so
    the numbers equal the gradient-then-update path's up to rounding. A loss that is not
    finite returns before the backward pass, so the parameters stay as they were."""
    dot, subtract, multiply, exp, divide = np.dot, np.subtract, np.multiply, np.exp, np.divide
    log, vdot, square = np.log, np.vdot, np.square
    forward = ws.forward_plan
    # tanh's derivative 1 - h² (activations._dtanh, the same two calls) inline: df is None
    backward = [
        plan[:6] + (None if plan[6] is activations._dtanh else plan[6],) + plan[7:]
        for plan in ws.backward_plan
    ]
    if descend:  # [W | b] -= r g [h; 1]ᵀ in place, for the layers last to first as backward
        ws.descent_rate = rate = blas.Rate(ws.scale_array.dtype, ws.scale * ws.rate)
        Wbs = [plan[0] for plan in reversed(forward)]
        backward = [
            plan + (blas.descent(plan[0], plan[1], Wb, rate),)
            for plan, Wb in zip(backward, Wbs, strict=True)
        ]
    else:
        backward = [plan + (None,) for plan in backward]
    isfinite = math.isfinite
    Z, P, G, buf, scale = ws.A[-1], ws.P, ws.G[-1], ws.buf, ws.scale_array
    m, s, ones_out, ones_batch = buf.m, buf.s, buf.ones_out, buf.ones_batch
    Z_ext, Y_ext, ln_s = ws.Z_ext, ws.Y_ext, ws.Z_ext[-1]
    own_Y = getattr(ws, "Y", None) if Y_ext is not None else None
    two_rows, z0, z1, p0, p1 = len(Z) == 2, Z[0], Z[-1], P[0], P[-1]
    maximum, column_max, add = np.maximum, np.maximum.reduce, np.add
    one = activations.ONE[np.dtype(P.dtype)]

    def step(Y: Array) -> float:
        for Wb, h, a, f, h_next in forward:  # Alg. 1
            dot(Wb, h, out=a)
            if f is not None:
                f(a, out=h_next)
        if two_rows:  # softmax, as losses._softmax: row by row
            maximum(z0, z1, out=m)
            subtract(z0, m, out=z0)
            subtract(z1, m, out=z1)
            exp(Z, out=P)
            add(p0, p1, out=s)
            divide(p0, s, out=p0)
            divide(p1, s, out=p1)
        else:
            column_max(Z, axis=0, out=m)
            subtract(Z, m, out=Z)
            exp(Z, out=P)
            dot(ones_out, P, out=s)
            divide(P, s, out=P)
        # cross-entropy, Σ_k ln s_k - y·z as losses._softmax_cross_entropy: with ln s in the
        # row under z and -1 under y, in one dot, -[y; -1]·[z; ln s] (same value, summed
        # in another order)
        log(s, out=ln_s)
        if Y is own_Y:
            ce = -float(vdot(Y_ext, Z_ext))
        else:
            ce = float(vdot(ones_batch, ln_s)) - float(vdot(Y, Z))
        if descend and not isfinite(ce):
            return ce
        subtract(P, Y, out=G)  # ∂J/∂z = ŷ - y, scaled (descending: by each GEMM's -α)
        if ws.scaled and not descend:
            multiply(G, scale, out=G)
        for g, hT, dWb, WT, product, g_below, df, a, h, t, descent in backward:  # Alg. 2
            if descent is None:
                dot(g, hT, out=dWb)
            if WT is not None:
                # f'(a) first, while the product above has just read h
                if df is None:
                    square(h, out=t)
                    subtract(one, t, out=t)
                else:
                    df(a, h, out=t)
                product(WT, g, out=g_below)
                g_below *= t
            if descent is not None:  # after Wᵀ g, which needs the W before the step
                descent()
        return ce

    return step
