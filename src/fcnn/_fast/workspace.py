"""Workspaces: preallocated arrays for one batch size, in seed 002's layout (one sample per
column), and the per-layer plans that bind them to a network's parameter views once.

``Network._forward`` and ``Network._backward`` walk these plans; the compiled steps of
``fcnn._fast.step`` walk the same plans, so every path reads and writes the same arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import losses

if TYPE_CHECKING:
    from ..network import Network

Array = np.ndarray


@dataclass(frozen=True, slots=True)
class ForwardLayer:
    """Layer k of Alg. 1: ``a = [W | b] [h; 1]``, then ``h_next = f(a)`` (no ``f`` for the
    output layer). ``Wb: (n_k, n_{k-1} + 1)``, ``h: (n_{k-1} + 1, B)``, ``a: (n_k, B)``,
    ``h_next: (n_k, B)`` (the rows above the next layer's row of ones)."""

    Wb: Array
    h: Array
    a: Array
    f: Callable[..., Array] | None
    h_next: Array | None


@dataclass(frozen=True, slots=True)
class BackwardLayer:
    """Layer k of Alg. 2, from ``g = ∂J/∂a^(k): (n_k, B)``: ``[∇W | ∇b] = g [h; 1]ᵀ`` into
    ``dWb``; below the first layer also ``g_below = Wᵀ g ⊙ f'(a_below)``, with ``f'`` into
    ``t`` (``WT`` is None for the first layer: nothing needs ∂J/∂x)."""

    g: Array
    hT: Array
    dWb: Array
    WT: Array | None
    product: Callable[..., Array] | None
    g_below: Array | None
    df: Callable[..., Array] | None
    a_below: Array | None
    h_below: Array | None
    t: Array | None


class Workspace:
    """Preallocated arrays for one batch size ``B``; the training loop reuses them every step.

    - ``sparse=True``: ``Xs`` holds the batch as a CSR matrix and there is no ``X`` nor
      ``H[0]`` (the first layer's products are :mod:`fcnn._fast.sparse`'s).
    - ``X: (B, n_0)`` receives a batch as the API lays it out, one sample per row. ``H[0]:
      (n_0 + 1, B)`` is x above a row of ones. With ``rows=True`` (a workspace that gathers a
      new mini-batch every step) ``H[0]`` is the transpose of a ``(B, n_0 + 1)`` array whose
      rows are whole samples; otherwise ``H[0]`` is itself contiguous (``docs/performance.md``).
    - ``H[k]: (n_k + 1, B)`` is h^(k) above a row of ones (the bias trick), for k >= 1.
    - ``A[k]: (n_{k+1}, B)`` is a^(k+1), ``G[k]`` is ∂J/∂a^(k+1), ``T[k]`` holds f'(a^(k+1)).
    - ``P: (n_l, B)`` is ŷ; ``buf`` is the loss's scratch space; ``scale`` is 1/B for the
      mean reduction, else 1; ``delta_scale``, a 0-d array of the dtype, is what the output
      delta is multiplied by (``scale``, times the learning rate where a step folds it in).
    """

    def __init__(self, net: Network, B: int, rows: bool = False, sparse: bool = False) -> None:
        sizes, dtype = net.sizes, net.dtype
        self.B, self.scale = B, net._scale(B)
        self.delta_scale = np.array(self.scale, dtype)
        self.rate, self.scaled = 1.0, self.scale != 1.0
        self.descent_rate: Any = None  # the compiled descent's GEMM rate (fcnn._fast.blas.Rate)
        # sparse: no H[0]; the batch stays a CSR matrix in Xs (fcnn._fast.sparse), and the
        # first layer's h and hT are None
        self.sparse, self.Xs = sparse, None
        if sparse:
            self.X, h0 = None, None
        elif rows:
            inputs = np.ones((B, sizes[0] + 1), dtype)
            self.X, h0 = inputs[:, :-1], inputs.T
        else:
            h0 = np.ones((sizes[0] + 1, B), dtype)
            self.X = h0[:-1].T
        self.H = [h0] + [np.ones((n + 1, B), dtype) for n in sizes[1:-1]]
        self.A = [np.empty((n, B), dtype) for n in sizes[1:]]
        self.G = [np.empty((n, B), dtype) for n in sizes[1:]]
        self.T = [np.empty((n, B), dtype) for n in sizes[1:-1]]
        self.P = np.empty((sizes[-1], B), dtype)
        self.buf = losses.Buffers.like(self.P)
        self.steps: dict[str, Any] = {}  # steps and kernels bound to it (fcnn._fast.step)
        Wb, dWb, acts, L = net._Wb, net._dWb, net._acts, len(net._Wb)
        self.forward = [
            ForwardLayer(
                Wb[k],
                self.H[k],
                self.A[k],
                acts[k].f if k < L - 1 else None,
                self.H[k + 1][:-1] if k < L - 1 else None,
            )
            for k in range(L)
        ]
        self.backward = [
            BackwardLayer(
                self.G[k], None if k == 0 and sparse else self.H[k].T, dWb[k], *self._below(net, k)
            )
            for k in range(L - 1, -1, -1)
        ]

    def set_rate(self, rate: float) -> None:
        """Scale the output delta of later steps by ``scale · rate`` (backprop is linear in
        it, so the gradient comes out multiplied by ``rate``)."""
        self.rate, self.delta_scale[()] = rate, self.scale * rate
        self.scaled = self.scale * rate != 1.0
        if self.descent_rate is not None:
            self.descent_rate.value = self.scale * rate

    def _below(self, net: Network, k: int) -> tuple:
        """The part of layer k's backward plan that carries g down to layer k - 1."""
        if k == 0:
            return (None,) * 7
        W = net.weights[k]
        return (
            W.T,
            _transposed_product(W),
            self.G[k - 1],
            net._acts[k - 1].df,
            self.A[k - 1],
            self.H[k][:-1],
            self.T[k - 1],
        )


def _transposed_product(W: Array) -> Callable[..., Array]:
    """The product for ``Wᵀ g``: np.matmul hands the strided ``Wᵀ`` view to BLAS as it is,
    np.dot copies it first but is cheaper to call for a tiny layer (``docs/performance.md``)."""
    return np.dot if W.size <= 256 else np.matmul
