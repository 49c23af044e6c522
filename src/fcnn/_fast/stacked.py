"""K networks of one shape as one computation: stacked parameters, batched products.

Member ``i``'s layer k is ``Wb[k][i] = [W^(k) | b^(k)]: (n_k, n_{k-1} + 1)``, a view of row
``i`` of the flat ``(K, n_params)`` parameter array (each row in ``Network.params``' layout).
A step runs seed 002's Alg. 1 and Alg. 2 for all K members at once, each product one
``np.matmul`` over the stack ``(K, ., .)``: the per-call cost is paid once for all K.

The math is ``Network._forward`` / ``Network._backward`` line for line (seed 002 Alg. 1
lines 8-11, Alg. 2 lines 3-7), with softmax and cross-entropy per member (seed 002 eq. 14:
``∂J/∂z = (ŷ - y) · scale``). The optimisers are ``fcnn.optim``'s update equations with the
learning rate a column ``(K, 1)``: elementwise, they round as the lone optimiser does. The
products may not: ``np.matmul`` over a stack may sum in another order than ``np.dot`` on one
member, so a member equals its lone fit to rounding, not always bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Array = np.ndarray


class Stack:
    """Parameters, gradients and workspace arrays of K networks of layer ``sizes``."""

    def __init__(self, sizes: Sequence[int], K: int, dtype: np.dtype, acts: Sequence) -> None:
        self.sizes, self.K, self.dtype, self.acts = tuple(sizes), K, np.dtype(dtype), acts
        self.shapes = [(n, m + 1) for m, n in zip(sizes[:-1], sizes[1:], strict=True)]
        n_params = sum(r * c for r, c in self.shapes)
        self.params = np.zeros((K, n_params), dtype)
        self.grad = np.zeros((K, n_params), dtype)
        self.Wb = _views(self.params, self.shapes)
        self.dWb = _views(self.grad, self.shapes)
        self.weight_mask = np.zeros(n_params, dtype)
        for M in _views(self.weight_mask[None], self.shapes):
            M[:, :, :-1] = 1
        self._B = -1  # the batch size the workspace arrays are for

    def load(self, X: Array, labels: Array) -> None:
        """Put a batch in place: inputs ``X: (K, B, n_0)`` (or ``(B, n_0)``, the same for
        every member) and integer ``labels: (K, B)``, kept one-hot as ``Y: (K, n_l, B)``."""
        K, (B, _) = self.K, X.shape[-2:]
        if B != self._B:
            s, dt = self.sizes, self.dtype
            self._B = B
            self.H = [np.ones((K, n + 1, B), dt) for n in s[:-1]]  # [h; 1] per layer input
            self.A = [np.empty((K, n, B), dt) for n in s[1:]]
            self.G = [np.empty((K, n, B), dt) for n in s[1:]]
            self.T = [np.empty((K, n, B), dt) for n in s[1:-1]]
            self.Y = np.empty((K, s[-1], B), dt)
            self.total = np.empty((K, 1, B), dt)
            self.hit = np.empty((K, B), bool)
        self.H[0][:, :-1] = np.swapaxes(X, -1, -2)
        np.equal(np.arange(self.sizes[-1])[None, :, None], labels[:, None, :], out=self.Y)
        self.labels, self.label_is_1 = labels, labels == 1

    def step(self, scale: float) -> tuple[Array, Array]:
        """Forward, softmax cross-entropy and backward on the batch :meth:`load` put in
        place; fills :attr:`grad` with ``∇J`` per member and returns ``(J, correct)``: each
        member's reduced cross-entropy and its count of correct argmax predictions.
        ``scale`` is the reduction's 1/B or 1."""
        H, A, G, T, Wb, Y = self.H, self.A, self.G, self.T, self.Wb, self.Y
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
            np.matmul(G[k], H[k].transpose(0, 2, 1), out=self.dWb[k])  # lines 3-4
            if k:
                W = Wb[k][:, :, :-1]
                np.matmul(W.transpose(0, 2, 1), G[k], out=G[k - 1])  # line 5
                self.acts[k - 1].df(A[k - 1], H[k][:, :-1], out=T[k - 1])  # line 7
                G[k - 1] *= T[k - 1]
        if scale != 1.0:  # backprop is linear in the delta: scale ∇J, not the wider delta
            self.grad *= scale
        return J, np.count_nonzero(correct, axis=1)

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
