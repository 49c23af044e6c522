"""K networks of one shape as one computation: stacked parameters, batched products.

Member ``i``'s layer k is ``Wb[k][i] = [W^(k) | b^(k)]: (n_k, n_{k-1} + 1)``, a view of row
``i`` of the flat ``(K, n_params)`` parameter array (each row in ``Network.params``' layout).
A step runs seed 002's Alg. 1 and Alg. 2 for all K members at once, each product one
``np.matmul`` over the stack ``(K, ., .)``: the per-call cost is paid once for all K. Where K
members' batch would not fit in :data:`CHUNK_BYTES`, a step runs them in chunks.

The math is ``Network._forward`` / ``Network._backward`` line for line (seed 002 Alg. 1
lines 8-11, Alg. 2 lines 3-7), with softmax and cross-entropy per member (seed 002 eq. 14:
``∂J/∂z = (ŷ - y) · scale``). The optimisers are ``fcnn.optim``'s update equations with the
learning rate a column ``(K, 1)``: elementwise, they round as the lone optimiser does. The
products may not: ``np.matmul`` over a stack may sum in another order than ``np.dot`` on one
member, so a member equals its lone fit to rounding, not always bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .fused import Members

Array = np.ndarray
# the workspace of one step, members' inputs included: K members at once where they fit,
# else chunks of members (each member's arithmetic is the same either way)
CHUNK_BYTES = 48 * 1024**2


class Stack:
    """Parameters, gradients and workspace arrays of K networks of layer ``sizes``."""

    def __init__(
        self,
        sizes: Sequence[int],
        K: int,
        dtype: np.dtype,
        acts: Sequence,
        params: Array | None = None,
        chunk_bytes: int | None = None,
    ) -> None:
        self.sizes, self.K, self.dtype, self.acts = tuple(sizes), K, np.dtype(dtype), acts
        self.shapes = [(n, m + 1) for m, n in zip(sizes[:-1], sizes[1:], strict=True)]
        n_params = sum(r * c for r, c in self.shapes)
        self.params = np.zeros((K, n_params), dtype) if params is None else params
        self.chunk_bytes = chunk_bytes  # None: CHUNK_BYTES
        self.grad = np.zeros((K, n_params), dtype)
        self.Wb = _views(self.params, self.shapes)
        self.dWb = _views(self.grad, self.shapes)
        self.weight_mask = np.zeros(n_params, dtype)
        for M in _views(self.weight_mask[None], self.shapes):
            M[:, :, :-1] = 1
        self._B = -1  # the batch size the workspace arrays are for
        self._views = None  # (start, stop, B) of the views load made last
        self.arrays = None  # the fused kernel's arguments for those views
        # the fused kernel over the members (fcnn._fast.fused.Members) where a fit takes it
        self.fused: Members | None = None
        self._H0 = np.empty((0, 0, 0), dtype)

    def __getstate__(self) -> dict:
        """What a pickle keeps: the parameters and the settings. Not the workspace (a copy of
        the latest batch, and whatever a step left in memory it never wrote) nor the
        gradient: the next :meth:`load` and step make them again."""
        keep = ("sizes", "K", "dtype", "acts", "params", "chunk_bytes")
        return {name: getattr(self, name) for name in keep}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def chunk(self, B: int) -> int:
        """How many members a step on batches of ``B`` takes at once: all K, or as many as
        keep the workspace (with the gathered inputs) within :attr:`chunk_bytes`; at least
        one. Each member's arithmetic is the same whatever the chunk."""
        return max(1, min(self.K, self._chunk_bytes() // self.member_bytes(B)))

    def share(self, members: slice, parts: int) -> Stack:
        """A stack of this one's ``members``, whose parameters are those rows of
        :attr:`params` (views: a step of the share trains them here), with its own gradient
        and workspace, within ``1/parts`` of this one's :attr:`chunk_bytes`: ``parts``
        shares, one per thread, run a population at once in the memory of one."""
        rows = self.params[members]
        limit = self._chunk_bytes() // parts
        return Stack(self.sizes, len(rows), self.dtype, self.acts, rows, limit)

    def _chunk_bytes(self) -> int:
        return CHUNK_BYTES if self.chunk_bytes is None else self.chunk_bytes

    def member_bytes(self, B: int) -> int:
        """The bytes of one member's share of the workspace for batches of ``B``: its
        gathered inputs and ``[x; 1]``, the ``[h; 1]`` of each hidden layer, pre-activations,
        deltas and derivatives, targets, sums and hits."""
        s = self.sizes
        entries = 2 * s[0] + 1 + sum(n + 1 for n in s[1:-1]) + 3 * sum(s[1:]) + 2 * s[-1] + 2
        return entries * B * self.dtype.itemsize

    def load(self, X: Array, labels: Array, members: slice = slice(None)) -> None:
        """Put a batch in place for ``members`` (a chunk of :meth:`chunk` members at most):
        inputs ``X: (m, B, n_0)`` (or ``(B, n_0)``, the same for every member) and integer
        ``labels: (m, B)``, kept one-hot as ``Y: (m, n_l, B)``."""
        start, stop, _ = members.indices(self.K)
        m, B = stop - start, X.shape[-2]
        if B != self._B or m > len(self._H0):
            s, dt, K = self.sizes, self.dtype, max(m, self.chunk(B))
            self._B = B
            self._H0 = np.ones((K, s[0] + 1, B), dt)
            self._H = [np.ones((K, n + 1, B), dt) for n in s[1:-1]]  # [h; 1] per layer input
            self._A = [np.empty((K, n, B), dt) for n in s[1:]]
            self._G = [np.empty((K, n, B), dt) for n in s[1:]]
            self._T = [np.empty((K, n, B), dt) for n in s[1:-1]]
            self._Y = np.empty((K, s[-1], B), dt)
            self._P = np.empty((K, s[-1], B), dt)  # the fused kernel's softmax
            self._J, self._hits = np.empty(K), np.empty(K, np.int64)
            self._total = np.empty((K, 1, B), dt)
            self._hit = np.empty((K, B), bool)
            self._views = None
        if self._views != (start, stop, B):  # the first m rows of the workspace, as views
            self._views = start, stop, B
            self.H = [a[:m] for a in (self._H0, *self._H)]
            self.A, self.G, self.T = ([a[:m] for a in x] for x in (self._A, self._G, self._T))
            self.Y, self.total, self.hit = self._Y[:m], self._total[:m], self._hit[:m]
            self.P, self.J, self.hits = self._P[:m], self._J[:m], self._hits[:m]
            self.members = ms = slice(start, stop)
            self.W, self.dW = [w[ms] for w in self.Wb], [g[ms] for g in self.dWb]
            self.arrays = None  # the fused kernel's arguments, made on its first step
        self.H[0][:, :-1] = np.swapaxes(X, -1, -2)
        np.equal(np.arange(self.sizes[-1])[None, :, None], labels[:, None, :], out=self.Y)
        if self.fused is not None:  # the kernel's labels: int64, in a row its arguments keep
            if self.arrays is None:  # (made again with the views, whose shape it has)
                self._labels64 = np.empty(labels.shape, np.int64)
            self._labels64[...] = labels
            self.labels = self._labels64
        else:
            self.labels, self.label_is_1 = labels, labels == 1

    def step(self, scale: float) -> tuple[Array, Array]:
        """Forward, softmax cross-entropy and backward on the batch :meth:`load` put in
        place; fills the loaded members' rows of :attr:`grad` with ``∇J`` and returns
        ``(J, correct)``: each loaded member's reduced cross-entropy and its count of correct
        argmax predictions. ``scale`` is the reduction's 1/B or 1. With :attr:`fused` set,
        the fused kernel of :mod:`fcnn._fast.kernels` computes it (to rounding)."""
        if self.fused is not None:
            return self._fused_step(scale)
        H, A, G, T, Y, ms = self.H, self.A, self.G, self.T, self.Y, self.members
        Wb, dWb = self.W, self.dW
        L = len(Wb)
        for k in range(L):  # Alg. 1, lines 8-10: a = [W | b] [h; 1], h = f(a)
            np.matmul(Wb[k], H[k], out=A[k])
            if k < L - 1:
                self.acts[k].f(A[k], out=H[k + 1][:, :-1])
        Z, P, total = A[-1], G[-1], self.total  # softmax per member, over axis 1 (classes)
        if Z.shape[1] == 2:  # two rows: elementwise, cheaper than reductions over axis 1
            np.maximum(Z[:, :1], Z[:, 1:], out=total)
            Z -= total
            np.exp(Z, out=P)
            np.add(P[:, :1], P[:, 1:], out=total)
            P /= total
            correct = np.greater(P[:, 1], P[:, 0], out=self.hit)  # argmax, ties to the first
            np.equal(correct, self.label_is_1, out=correct)
        else:
            Z -= Z.max(axis=1, keepdims=True)
            np.exp(Z, out=P)
            np.sum(P, axis=1, keepdims=True, out=total)
            P /= total
            correct = np.equal(P.argmax(axis=1), self.labels, out=self.hit)
        # J = Σ_b (ln Σ_c e^{z_cb} - y_b · z_b), after the shift (seed 002 eq. 14's loss)
        J = (self._log_sum(total[:, 0]) - np.einsum("kcb,kcb->k", Y, Z)) * scale
        P -= Y  # ∂J/∂z = ŷ - y (seed 002 eq. 14); the scale is applied to ∇J below
        for k in range(L - 1, -1, -1):  # Alg. 2
            np.matmul(G[k], H[k].transpose(0, 2, 1), out=dWb[k])  # lines 3-4
            if k:
                W = Wb[k][:, :, :-1]
                np.matmul(W.transpose(0, 2, 1), G[k], out=G[k - 1])  # line 5
                self.acts[k - 1].df(A[k - 1], H[k][:, :-1], out=T[k - 1])  # line 7
                G[k - 1] *= T[k - 1]
        if scale != 1.0:  # backprop is linear in the delta: scale ∇J, not the wider delta
            self.grad[ms] *= scale
        return J, np.count_nonzero(correct, axis=1)

    def _fused_step(self, scale: float) -> tuple[Array, Array]:
        """:meth:`step` as the fused kernel over the loaded members."""
        if self.arrays is None:
            H, labels = self.H, self.labels
            self.arrays = (tuple(self.W), tuple(self.dW), H[0], tuple(H[1:]), tuple(self.A))
            self.arrays += (tuple(self.G), tuple(self.T), self.P, self.Y, labels)
        self.fused.step(self.arrays, scale, self.J, self.hits)
        return self.J * scale, self.hits.copy()

    def _log_sum(self, total: Array) -> Array:
        """``Σ_b ln total_b`` per member, ``total: (K, B)``, each entry in ``[1, n_l]`` (a
        softmax sum after the max shift): the log of products of up to ``m`` entries, one
        ``log`` per ``m`` entries instead of one per entry, with ``n_l^m`` below the
        dtype's largest number (so no product overflows, and none is below 1)."""
        B = total.shape[1]
        m = max(1, int(np.log(np.finfo(self.dtype).max) / np.log(self.sizes[-1])) - 1)
        if B <= m:
            return np.log(total.prod(axis=1))
        products = np.multiply.reduceat(total, np.arange(0, B, m), axis=1)
        return np.log(products).sum(axis=1)


def _views(flat: Array, shapes: Sequence[tuple[int, int]]) -> list[Array]:
    """Layer blocks ``(K, r, c)`` of a ``(K, n_params)`` array, as views."""
    views, start = [], 0
    for r, c in shapes:
        views.append(flat[:, start : start + r * c].reshape(len(flat), r, c))
        start += r * c
    return views


class StackedOptimizer:
    """``fcnn.optim``'s SGD (with momentum, Nesterov), Adam and RMSprop on ``(K, n)`` arrays,
    one learning rate per member (``lr: (K, 1)``), one state per member."""

    KINDS = ("gd", "sgd", "momentum", "nesterov", "adam", "rmsprop")

    def __init__(self, kind: str, shape: tuple[int, int], dtype: np.dtype, **options) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown optimizer {kind!r}; choose one of {', '.join(self.KINDS)}")
        self.kind, self.t = kind, 0
        self.momentum = float(
            options.pop("momentum", 0.9 if kind in ("momentum", "nesterov") else 0)
        )
        self.beta1 = float(options.pop("beta1", 0.9))
        self.beta2 = float(options.pop("beta2", 0.999))
        self.rho = float(options.pop("rho", 0.9))
        self.eps = float(options.pop("eps", 1e-8))
        if options:
            raise ValueError(f"unknown optimizer option(s) {sorted(options)} for {kind!r}")
        zeros = lambda: np.zeros(shape, dtype)  # noqa: E731
        self.tmp = zeros()
        self.v = zeros() if self.momentum else None
        self.m = zeros() if kind == "adam" else None
        self.s = zeros() if kind in ("adam", "rmsprop") else None

    def step(self, params: Array, grads: Array, lr: Array) -> None:
        """One update of every member, ``lr: (K, 1)`` in the parameters' dtype."""
        self.t += 1
        tmp = self.tmp
        if self.kind == "adam":
            b1, b2, t = self.beta1, self.beta2, self.t
            self.m *= b1
            np.multiply(grads, 1 - b1, out=tmp)
            self.m += tmp
            self.s *= b2
            np.square(grads, out=tmp)
            tmp *= 1 - b2
            self.s += tmp
            np.divide(self.s, 1 - b2**t, out=tmp)
            np.sqrt(tmp, out=tmp)
            tmp += self.eps
            np.divide(self.m, tmp, out=tmp)
            tmp *= lr / (1 - b1**t)
            params -= tmp
        elif self.kind == "rmsprop":
            self.s *= self.rho
            np.square(grads, out=tmp)
            tmp *= 1 - self.rho
            self.s += tmp
            np.sqrt(self.s, out=tmp)
            tmp += self.eps
            np.divide(grads, tmp, out=tmp)
            tmp *= lr
            params -= tmp
        else:
            np.multiply(grads, lr, out=tmp)  # α g
            if not self.momentum:
                params -= tmp
                return
            v = self.v
            v *= self.momentum
            v -= tmp
            if self.kind == "nesterov":
                params -= tmp
                np.multiply(v, self.momentum, out=tmp)
            else:
                tmp = v
            params += tmp
