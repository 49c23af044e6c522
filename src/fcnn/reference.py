"""The seeds' math, line by line, in seed 002's features x batch layout.

This module is for reading and for testing: it is the textbook form of what ``Network``
computes with preallocated buffers and the bias trick. ``tests/test_reference.py`` proves the
two agree. Nothing here is optimised.

Notation (seed 002): ``h^(0) = X: (n_0, b)``, ``W^(k): (n_k, n_{k-1})``, ``b^(k): (n_k, 1)``,
``a^(k) = W^(k) h^(k-1) + b^(k)``, ``h^(k) = f(a^(k))``; targets ``Y: (n_l, b)`` column by column.
``l`` is the depth and ``n_l`` the number of outputs (``docs/math.md`` §1.3).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import activations

Array = np.ndarray


def forward(
    Ws: Sequence[Array], bs: Sequence[Array], X: Array, acts: Sequence[str]
) -> tuple[list[Array], list[Array]]:
    """Seed 002, Algorithm 1 (lines 6-11). ``X: (n_0, b)``. Returns ``(a, h)`` where ``a[k]`` is
    a^(k) for k = 1..l (``a[0]`` is None) and ``h[k]`` is h^(k) for k = 0..l-1."""
    l = len(Ws)
    h: list[Array] = [X]  # line 6: h^(0) = X
    a: list[Array | None] = [None]
    for k in range(1, l):  # line 7
        a.append(Ws[k - 1] @ h[k - 1] + bs[k - 1].reshape(-1, 1))  # line 8
        h.append(activations.get(acts[k - 1]).f(a[k]))  # line 9
    a.append(Ws[l - 1] @ h[l - 1] + bs[l - 1].reshape(-1, 1))  # line 10: ŷ = a^(l)
    return a, h


def output(name: str, a: Array) -> Array:
    """The output function applied to ``a^(l): (n_l, b)``, column by column."""
    if name == "softmax":
        e = np.exp(a - a.max(axis=0))
        return e / e.sum(axis=0)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-a))
    return a


def loss_gradient(loss: str, out: str, a: Array, Y: Array) -> tuple[float, Array]:
    """``(Σ_k J_k, ∇_{a^(l)} J)`` for targets ``Y: (n_l, b)``; the sum over the batch is seed
    002 eq. 3i. Each column's gradient is built from its Jacobian explicitly. Inside, the local
    ``l`` is ``n_l``, seed 000's ``N``."""
    l, b = a.shape
    yhat = output(out, a)
    J, g = 0.0, np.zeros_like(a)
    for k in range(b):  # one sample (column) at a time, as the seed derives it
        s, y = yhat[:, k], Y[:, k]
        if out == "softmax":
            jac = np.diag(s) - np.outer(s, s)  # ∂ŷ_i/∂a_j = s_i (δ_ij - s_j)
        elif out == "sigmoid":
            jac = np.diag(s * (1 - s))
        else:
            jac = np.eye(l)
        if loss in ("mse", "mse+ce"):
            J += np.sum((s - y) ** 2) / (2 * l)  # seed 000 eq. 5, N = l
            g[:, k] += jac.T @ ((s - y) / l)
        if loss in ("cross_entropy", "mse+ce"):
            if out == "softmax":
                J += -np.sum(y * np.log(s))  # seed 000 eq. 6, seed 002 eq. 13
                g[:, k] += jac.T @ (-y / s)  # = s - y (seed 002 eq. 14)
            else:
                J += -np.sum(y * np.log(s) + (1 - y) * np.log(1 - s))
                g[:, k] += jac.T @ (-(y / s) + (1 - y) / (1 - s))
    return J, g


def backward(
    Ws: Sequence[Array], a: Sequence[Array], h: Sequence[Array], g: Array, acts: Sequence[str]
) -> tuple[list[Array], list[Array]]:
    """Seed 002, Algorithm 2, from ``g = ∇_{a^(l)} J``. Returns ``(dWs, dbs)``, layers 1..l."""
    l = len(Ws)
    dW: list[Array] = [np.empty(0)] * l
    db: list[Array] = [np.empty(0)] * l
    O = np.ones((g.shape[1], 1))  # line 2
    db[l - 1] = (g @ O).ravel()  # line 3
    dW[l - 1] = g @ h[l - 1].T  # line 4
    g = Ws[l - 1].T @ g  # line 5
    for k in range(l - 1, 0, -1):  # line 6
        act = activations.get(acts[k - 1])
        g = g * act.df(a[k], h[k])  # line 7: g ⊙ f'(a^(k))
        db[k - 1] = (g @ O).ravel()  # lines 8-9
        dW[k - 1] = g @ h[k - 1].T  # line 10
        g = Ws[k - 1].T @ g  # line 11
    return dW, db


def gradients(
    Ws: Sequence[Array],
    bs: Sequence[Array],
    X: Array,
    Y: Array,
    acts: Sequence[str],
    out: str,
    loss: str,
    reduction: str = "mean",
) -> tuple[float, list[Array], list[Array]]:
    """``(J, dWs, dbs)`` for ``X: (n_0, b)`` and ``Y: (n_l, b)``: Alg. 1, the loss, then Alg. 2."""
    a, h = forward(Ws, bs, X, acts)
    J, g = loss_gradient(loss, out, a[-1], Y)
    scale = 1.0 / X.shape[1] if reduction == "mean" else 1.0
    dW, db = backward(Ws, a, h, g * scale, acts)
    return J * scale, dW, db
