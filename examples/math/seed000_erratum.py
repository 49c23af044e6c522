"""Seed 000's softmax derivative, measured with fcnn (docs/math.md §4.1).

Seed 000 eq. 9-10 differentiate the softmax elementwise: they keep the diagonal
``s ⊙ (1 - s)`` of its Jacobian ``diag(s) - s sᵀ``. This script shows, with fcnn:

1. the worked example a = (0.3, -0.2), y = e_1 (MSE on a softmax output);
2. that the diagonal-only gradient can have the wrong sign (a = (-1, 0, 1), y = e_1);
3. that for two classes the seed's rule is exact gradient descent on CE + ½ MSE, so its loss
   still falls, while a gradient check catches it;
4. where eq. 13's order of factors is harmless (one sample) and where it is wrong (a batch).

    python examples/math/seed000_erratum.py
"""

from __future__ import annotations

import numpy as np
from _fmt import below, mat, num, vec

import fcnn
from fcnn import reference


def softmax(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(axis=0))
    return e / e.sum(axis=0)


def one_layer(n: int, loss: str) -> fcnn.Network:
    """A network with W = I and b = 0: a = x, so ∂J/∂b is ∂J/∂a, the output delta."""
    net = fcnn.Network([n, n], output="softmax", loss=loss, reduction="sum")
    net.weights[0][...] = np.eye(n)
    net.biases[0][...] = 0.0
    return net


def delta(a: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """fcnn's ∂J/∂a for one sample (``Network.gradients``)."""
    return one_layer(len(a), loss).gradients(a[None, :], y[None, :])[1][0]


def central(f, a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    return np.array([(f(a + eps * e) - f(a - eps * e)) / (2 * eps) for e in np.eye(len(a))])


def seed_mse_delta(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Seed 000 eq. 10's factor: g ⊙ (ŷ - ŷ²), g = (ŷ - y)/N, columns are samples."""
    s = softmax(a)
    return (s - y) / len(a) * (s - s**2)


def worked_example() -> None:
    a, y = np.array([0.3, -0.2]), np.array([1.0, 0.0])
    n = len(a)
    s = softmax(a)

    def J(a):
        return ((softmax(a) - y) ** 2).sum() / (2 * n)

    g = (s - y) / n
    true = delta(a, y, "mse")
    fd = central(J, a)
    seed10 = seed_mse_delta(a, y)
    seed9 = g * (s - y**2)
    rel = np.abs(true - fd).max() / np.abs(fd).max()
    print(f"| $s = \\operatorname{{softmax}}(a)$ | ${vec(s, 8)}$ |")
    print(f"| $J_j = \\frac{{1}}{{4}}\\sum_i (s_i - y_i)^2$ | ${num(J(a), 8)}$ |")
    print(f"| $r = (s - y)/2$ | ${vec(g, 8)}$ |")
    print(
        f"| Jacobian $\\operatorname{{diag}}(s) - s s^\\top$ | "
        f"${mat(np.diag(s) - np.outer(s, s), 8)}$ |"
    )
    print(f"| **fcnn**, eq. (3.4): $s \\odot (r - r\\cdot s)$ | ${vec(true, 8)}$ |")
    print(
        f"| central finite differences | ${vec(fd, 8)}$, relative difference below ${below(rel)}$ |"
    )
    print(f"| seed 000 eq. 10: $r \\odot (s - s^2)$ | ${vec(seed10, 8)}$, half the true value |")
    print(
        f"| seed 000 eq. 9 as printed: $r \\odot (s - y^2)$ | ${vec(seed9, 8)}$, "
        "wrong sign in the first entry |"
    )
    ce = delta(a, y, "mse+ce")
    print(
        f"For the full seed-000 loss (MSE + CE) the true gradient is ${vec(ce, 8)}$ and the "
        f"seed's ${vec(seed10 + s - y, 8)}$."
    )


def wrong_sign() -> None:
    a, y = np.array([-1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0])
    s = softmax(a)

    def J(a):
        return ((softmax(a) - y) ** 2).sum() / (2 * len(a))

    true, fd, seed = delta(a, y, "mse"), central(J, a), seed_mse_delta(a, y)
    np.testing.assert_allclose(true, fd, rtol=1e-8)
    assert np.sign(true[1]) != np.sign(seed[1])
    print(f"| $s = \\operatorname{{softmax}}(a)$ | ${vec(s, 5)}$ |")
    print(f"| **fcnn** (and finite differences) | ${vec(true, 5)}$ |")
    print(f"| seed 000, diagonal only | ${vec(seed, 5)}$ |")
    print(f"| ratio seed / true | ${vec(seed / true, 2)}$ |")


def seed_gradients(net: fcnn.Network, X: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    """Seed 000's gradient of MSE + CE (mean over the batch) for a 2-2-2 network, as one flat
    vector in the layout of ``net.params``: eq. 9-10's diagonal-only MSE delta plus eq. 11's
    ŷ - y, carried down by Algorithm 2 (``fcnn.reference.backward``)."""
    Ws, bs = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
    a, h = reference.forward(Ws, bs, X.T, net.activations)
    Y = np.eye(net.n_outputs)[:, labels]
    s = softmax(a[-1])
    g = (seed_mse_delta(a[-1], Y) + s - Y) / len(X)
    dW, db = reference.backward(Ws, a, h, g, net.activations)
    return np.concatenate([np.c_[w, b].ravel() for w, b in zip(dW, db, strict=True)])


def fcnn_gradients(net: fcnn.Network, X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    dW, db = net.gradients(X, labels)
    return np.concatenate([np.c_[w, b].ravel() for w, b in zip(dW, db, strict=True)])


def relative_error(g: np.ndarray, net: fcnn.Network, X, labels, eps: float = 1e-3) -> float:
    """Max relative error of ``g`` against five-point differences of ``net.loss`` (§6)."""
    probe, fd = net.copy(), np.empty_like(g)
    for i in range(probe.n_params):
        saved, J = probe.params[i], []
        for step in (2, 1, -1, -2):
            probe.params[i] = saved + step * eps
            J.append(probe.loss(X, labels))
        probe.params[i] = saved
        fd[i] = (-J[0] + 8 * J[1] - 8 * J[2] + J[3]) / (12 * eps)
    return float((np.abs(g - fd) / np.maximum(np.maximum(np.abs(g), np.abs(fd)), 1e-5)).max())


def two_classes() -> None:
    X, labels = fcnn.datasets.gaussians(seed=10)  # seed 000's data: 200 samples
    start = fcnn.Network([2, 2, 2], "tanh", "softmax", "mse+ce", init="normal", seed=10)

    # the seed's rule is the exact gradient of CE + ½ MSE: fcnn's CE and MSE networks agree
    parts = {}
    for loss in ("cross_entropy", "mse"):
        twin = fcnn.Network.from_config(start.config() | {"loss": loss}, start.params)
        parts[loss] = fcnn_gradients(twin, X, labels)
    seed = seed_gradients(start, X, labels)
    gap = np.abs(seed - (parts["cross_entropy"] + 0.5 * parts["mse"])).max()
    assert gap < 1e-15
    print(
        "On seed 000's data and network, the seed's gradient and fcnn's gradient of "
        "$J^{ce} + \\tfrac12 J^{mse}$ differ by less than $10^{-15}$ (rounding)."
    )

    # so its loss falls: 300 full-batch steps at rate 0.5, the seed's rule against fcnn's
    steps, rate = 300, 0.5
    mine = start.copy()
    for _ in range(steps):
        mine.params -= rate * seed_gradients(mine, X, labels)
    true = start.copy()
    true.fit(X, labels, epochs=steps, lr=rate, optimizer="gd", shuffle=False)
    print(
        f"| loss $J^{{mse}} + J^{{ce}}$ | ${num(start.loss(X, labels), 4)}$ | "
        f"${num(mine.loss(X, labels), 4)}$ | ${num(true.loss(X, labels), 4)}$ |"
    )
    acc = [float((n.predict(X) == labels).mean()) for n in (start, mine, true)]
    print(f"| accuracy | ${num(acc[0], 3)}$ | ${num(acc[1], 3)}$ | ${num(acc[2], 3)}$ |")
    rel_seed = relative_error(seed, start, X, labels)
    rel_fcnn = relative_error(fcnn_gradients(start, X, labels), start, X, labels)
    check = fcnn.gradcheck(start, X, labels)
    assert check.passed and rel_seed > 1e-2
    print(
        f"| gradient check at the start, max relative error | | ${num(rel_seed, 2)}$ (fails) | "
        f"${below(rel_fcnn)}$ (passes) |"
    )


def eq13_order() -> None:
    """Eq. 13 multiplies by the input before the elementwise tanh' factor; Algorithm 2 after."""
    W1 = np.array([[0.1, 0.2], [-0.3, 0.4]])
    b1 = np.array([[0.0], [0.1]])
    W2 = np.array([[0.5, -0.6], [0.7, 0.8]])
    b2 = np.array([[0.1], [-0.1]])
    X = np.array([[1.0, -1.0], [2.0, 0.5]])  # the batch of §2.5, one sample per column
    Y = np.eye(2)
    M = np.tanh(W1 @ X + b1)
    D = softmax(W2 @ M + b2) - Y  # eq. 11, one column per sample
    U = W2.T @ D  # ∂J/∂M
    right = (U * (1 - M**2)) @ X.T  # Algorithm 2: factor first, then the sum over samples
    for k in range(2):  # one sample: either order gives the same matrix
        u, m, x = U[:, [k]], M[:, [k]], X[:, [k]]
        assert np.allclose((u * (1 - m**2)) @ x.T, (u @ x.T) * (1 - m**2), rtol=1e-15, atol=0)
    # a batch: after the product with Xᵀ has summed the samples, one column of (1 - M²)
    # must stand for both; the batch mean is the likeliest reading
    wrong = (U @ X.T) * (1 - M**2).mean(axis=1, keepdims=True)
    print(
        "| Algorithm 2: $\\big[(W2^\\top \\Delta) \\odot (1 - M^2)\\big] X^\\top$ | "
        f"${mat(right)}$ |"
    )
    print(
        "| eq. 13's order: $\\big[(W2^\\top \\Delta) X^\\top\\big] \\odot \\overline{(1 - M^2)}$ | "
        f"${mat(wrong)}$ |"
    )


def main() -> None:
    worked_example()
    wrong_sign()
    two_classes()
    eq13_order()


if __name__ == "__main__":
    main()
