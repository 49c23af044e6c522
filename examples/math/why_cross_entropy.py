"""Why cross-entropy: the output delta of a confident wrong answer (docs/math.md §3.7).

One sample with logits a = (-4, 4) and target y = e_1: the network is sure of the wrong class.
The delta ∂J/∂a that Algorithm 2 starts from is measured with fcnn for each loss on a softmax
output (a network with W = I and b = 0, so that a = x and ∂J/∂b = ∂J/∂a).

    python examples/math/why_cross_entropy.py
"""

from __future__ import annotations

import numpy as np
from _fmt import num, sci, vec

import fcnn


def delta(a: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    net = fcnn.Network([len(a), len(a)], output="softmax", loss=loss, reduction="sum")
    net.weights[0][...] = np.eye(len(a))
    net.biases[0][...] = 0.0
    return net.gradients(a[None, :], y[None, :])[1][0]


def main() -> None:
    a, y = np.array([-4.0, 4.0]), np.array([1.0, 0.0])
    s = fcnn.Network([2, 2], output="softmax")
    s.weights[0][...], s.biases[0][...] = np.eye(2), 0.0
    p = s.forward(a[None, :])[0]
    print(f"| $\\hat y = \\operatorname{{softmax}}(a)$ | ${vec(p, 5)}$ | |")
    for loss, name in (("mse", "MSE"), ("cross_entropy", "CE"), ("mse+ce", "MSE + CE")):
        d = delta(a, y, loss)
        size = sci(abs(d[0]), 2) if abs(d[0]) < 1e-2 else num(abs(d[0]), 4)
        print(f"| {name} | ${vec(d, 5)}$ | ${size}$ |")
    mse, ce = abs(delta(a, y, "mse")[0]), abs(delta(a, y, "cross_entropy")[0])
    print(
        f"The MSE delta is ${sci(mse, 2)}$ and the cross-entropy delta ${num(ce, 4)}$: "
        f"about ${round(ce / mse):d}$ times larger."
    )


if __name__ == "__main__":
    main()
