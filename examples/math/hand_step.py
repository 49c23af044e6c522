"""One gradient-descent step of seed 000's 2-2-2 network, line by line (docs/math.md §2.5).

Seed 000's network (tanh hidden layer, softmax output, loss MSE + cross-entropy) on a batch
of B = 2 samples, mean over the batch, learning rate 0.1, in seed 002's layout (one sample
per column). Every line of Algorithm 1 and Algorithm 2 is computed here in plain NumPy, then
checked against ``fcnn.reference`` (the line-by-line oracle), ``Network.gradients`` and one
step of ``Network.fit``. The weights and the batch are those of the hand-computed step in
``tests/test_network.py``.

    python examples/math/hand_step.py      # prints the table of docs/math.md §2.5
"""

from __future__ import annotations

import numpy as np
from _fmt import mat, num

import fcnn
from fcnn import reference

W1 = np.array([[0.1, 0.2], [-0.3, 0.4]])
b1 = np.array([0.0, 0.1])
W2 = np.array([[0.5, -0.6], [0.7, 0.8]])
b2 = np.array([0.1, -0.1])
X_API = np.array([[1.0, 2.0], [-1.0, 0.5]])  # fcnn's layout: one sample per row
LABELS = np.array([0, 1])
LR = 0.1


def col(v: np.ndarray) -> np.ndarray:
    return v.reshape(-1, 1)


def main() -> None:
    n_l, b = 2, len(X_API)
    Y = np.eye(n_l)[:, LABELS]  # one-hot targets, one column per sample: (n_l, b)

    # Algorithm 1
    h0 = X_API.T  # line 6: (n_0, b)
    a1 = W1 @ h0 + col(b1)  # line 8
    h1 = np.tanh(a1)  # line 9
    a2 = W2 @ h1 + col(b2)  # line 10
    e = np.exp(a2 - a2.max(axis=0))
    yhat = e / e.sum(axis=0)  # line 11, fcnn's output function
    J_mse = ((yhat - Y) ** 2).sum(axis=0) / (2 * n_l)  # seed 000 eq. 5, per sample
    J_ce = -(Y * np.log(yhat)).sum(axis=0)  # seed 000 eq. 6
    Jk = J_mse + J_ce  # line 12
    J = Jk.sum() / b  # line 13, reduction "mean"

    # Algorithm 2
    r = (yhat - Y) / n_l  # ∂J^mse_k/∂ŷ
    g = ((yhat - Y) + yhat * (r - (r * yhat).sum(axis=0))) / b  # line 1, eq. (3.2) + (3.4)
    g2 = g
    db2 = g @ np.ones((b, 1))  # lines 2-3
    dW2 = g @ h1.T  # line 4
    g = W2.T @ g  # line 5
    dh1 = g
    g = g * (1 - h1 * h1)  # line 7, tanh' = 1 - h²
    db1 = g @ np.ones((b, 1))  # lines 8-9
    dW1 = g @ h0.T  # line 10

    # the oracle, the network and one step of fit agree with every line above
    Jr, dWr, dbr = reference.gradients(
        [W1, W2], [b1, b2], h0, Y, ["tanh"], "softmax", "mse+ce", "mean"
    )
    net = fcnn.Network([2, 2, 2], "tanh", "softmax", "mse+ce", "mean")
    for W, bias, Wv, bv in zip(net.weights, net.biases, (W1, W2), (b1, b2), strict=True):
        W[...], bias[...] = Wv, bv
    dWn, dbn = net.gradients(X_API, LABELS)
    for mine, ref, fast in zip((dW1, dW2, db1, db2), (*dWr, *dbr), (*dWn, *dbn), strict=True):
        np.testing.assert_allclose(mine.reshape(ref.shape), ref, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(fast, ref, rtol=1e-12, atol=1e-15)
    assert abs(Jr - J) < 1e-12 and abs(net.loss(X_API, LABELS) - J) < 1e-12
    net.fit(X_API, LABELS, epochs=1, lr=LR, optimizer="gd")
    new = (W1 - LR * dW1, b1 - LR * db1.ravel(), W2 - LR * dW2, b2 - LR * db2.ravel())
    for fitted, mine in zip(
        (net.weights[0], net.biases[0], net.weights[1], net.biases[1]), new, strict=True
    ):
        np.testing.assert_allclose(fitted, mine, rtol=1e-12, atol=1e-15)

    nb = "n_1{\\times}B"
    rows = [
        ("Alg. 1, 6", "h^{(0)} = X", "n_0{\\times}B", mat(h0)),
        (
            "Alg. 1, 8",
            "a^{(1)} = W^{(1)} h^{(0)} + b^{(1)}",
            "(n_1{\\times}n_0)(n_0{\\times}B) + n_1{\\times}1 \\to " + nb,
            mat(a1),
        ),
        ("Alg. 1, 9", "h^{(1)} = \\tanh(a^{(1)})", nb, mat(h1)),
        (
            "Alg. 1, 10",
            "a^{(2)} = W^{(2)} h^{(1)} + b^{(2)}",
            "(n_2{\\times}n_1)(n_1{\\times}B) + n_2{\\times}1 \\to n_2{\\times}B",
            mat(a2),
        ),
        ("Alg. 1, 11", "\\hat y = \\operatorname{softmax}(a^{(2)})", "n_2{\\times}B", mat(yhat)),
        (
            "Alg. 1, 12",
            "J_j = \\tfrac{1}{2n_2}\\lVert \\hat y_j - y_j\\rVert^2 - y_j \\cdot \\ln \\hat y_j",
            "1{\\times}B",
            mat(Jk[None, :]),
        ),
        ("Alg. 1, 13", "J = \\tfrac1B \\sum_j J_j", "1{\\times}1", num(J, 6)),
        (
            "Alg. 2, 1",
            "g = \\tfrac1B\\big[(\\hat y - y) + \\hat y \\odot (r - (r\\cdot\\hat y))\\big],"
            "\\ r = \\tfrac{\\hat y - y}{n_2}",
            "n_2{\\times}B",
            mat(g2),
        ),
        (
            "Alg. 2, 2-3",
            "\\nabla_{b^{(2)}} J = g\\,O",
            "(n_2{\\times}B)(B{\\times}1) \\to n_2{\\times}1",
            mat(db2),
        ),
        (
            "Alg. 2, 4",
            "\\nabla_{W^{(2)}} J = g\\, h^{(1)\\top}",
            "(n_2{\\times}B)(B{\\times}n_1) \\to n_2{\\times}n_1",
            mat(dW2),
        ),
        (
            "Alg. 2, 5",
            "g \\leftarrow W^{(2)\\top} g",
            "(n_1{\\times}n_2)(n_2{\\times}B) \\to " + nb,
            mat(dh1),
        ),
        (
            "Alg. 2, 7",
            "g \\leftarrow g \\odot (1 - h^{(1)} \\odot h^{(1)})",
            nb + " \\odot " + nb,
            mat(g),
        ),
        (
            "Alg. 2, 8-9",
            "\\nabla_{b^{(1)}} J = g\\,O",
            "(n_1{\\times}B)(B{\\times}1) \\to n_1{\\times}1",
            mat(db1),
        ),
        (
            "Alg. 2, 10",
            "\\nabla_{W^{(1)}} J = g\\, h^{(0)\\top}",
            "(n_1{\\times}B)(B{\\times}n_0) \\to n_1{\\times}n_0",
            mat(dW1),
        ),
        (
            "update",
            "W^{(1)} \\leftarrow W^{(1)} - 0.1\\,\\nabla_{W^{(1)}} J",
            "n_1{\\times}n_0",
            mat(new[0]),
        ),
        (
            "update",
            "b^{(1)} \\leftarrow b^{(1)} - 0.1\\,\\nabla_{b^{(1)}} J",
            "n_1{\\times}1",
            mat(new[1]),
        ),
        (
            "update",
            "W^{(2)} \\leftarrow W^{(2)} - 0.1\\,\\nabla_{W^{(2)}} J",
            "n_2{\\times}n_1",
            mat(new[2]),
        ),
        (
            "update",
            "b^{(2)} \\leftarrow b^{(2)} - 0.1\\,\\nabla_{b^{(2)}} J",
            "n_2{\\times}1",
            mat(new[3]),
        ),
    ]
    for line, formula, shape, value in rows:
        print(f"| {line} | ${formula}$ | ${shape}$ | ${value}$ |")
    print(f"The loss after the step is $J = {num(net.loss(X_API, LABELS), 6)}$.")


if __name__ == "__main__":
    main()
