"""How accurate fcnn.gradcheck's finite differences are, by step and stencil (docs/math.md §6).

Random float64 networks of 1 to 4 hidden layers with smooth activations and every valid
(output, loss) pair; for each, the worst relative error between backprop and the
differences, over all parameters. The five-point rule is ``fcnn.gradcheck`` itself; the
two-point rule is written out here. The errors are rounding noise, so the page gives their
power of ten.

    python examples/math/gradcheck_accuracy.py
"""

from __future__ import annotations

import numpy as np
from _fmt import below

import fcnn

PAIRS = (
    ("softmax", "cross_entropy"),
    ("softmax", "mse"),
    ("softmax", "mse+ce"),
    ("sigmoid", "cross_entropy"),
    ("identity", "mse"),
)


def networks():
    rng = np.random.default_rng(20)
    for depth in (1, 2, 3, 4):
        for act in ("tanh", "sigmoid", "softplus"):
            output, loss = PAIRS[rng.integers(len(PAIRS))]
            sizes = [int(n) for n in rng.integers(2, 5, depth + 2)]
            net = fcnn.Network(sizes, act, output, loss, seed=int(rng.integers(1000)))
            X = rng.standard_normal((6, sizes[0]))
            if output == "softmax":
                y = rng.integers(0, sizes[-1], 6)
            elif output == "sigmoid":
                y = rng.integers(0, 2, (6, sizes[-1])).astype(float)
            else:
                y = rng.standard_normal((6, sizes[-1]))
            yield net, X, y


def two_point(net: fcnn.Network, X, y, eps: float) -> float:
    dWs, dbs = net.gradients(X, y)
    g = np.concatenate([np.c_[w, b].ravel() for w, b in zip(dWs, dbs, strict=True)])
    fd, theta = np.empty_like(g), net.params
    for i in range(net.n_params):
        saved = theta[i]
        theta[i] = saved + eps
        up = net.loss(X, y)
        theta[i] = saved - eps
        down = net.loss(X, y)
        theta[i] = saved
        fd[i] = (up - down) / (2 * eps)
    return float((np.abs(g - fd) / np.maximum(np.maximum(np.abs(g), np.abs(fd)), 1e-5)).max())


def main() -> None:
    worst = {"5-point, 1e-3": 0.0, "5-point, 1e-4": 0.0, "2-point, 1e-6": 0.0}
    count = 0
    for net, X, y in networks():
        count += 1
        for eps in (1e-3, 1e-4):
            err = fcnn.gradcheck(net, X, y, eps=eps).max_error
            key = f"5-point, {eps:.0e}".replace("e-0", "e-")
            worst[key] = max(worst[key], err)
        worst["2-point, 1e-6"] = max(worst["2-point, 1e-6"], two_point(net, X, y, 1e-6))
    print(f"Over {count} random networks (depth 1 to 4), the worst relative error was:")
    for (rule, eps), label in zip(
        (("five-point", "10^{-3}"), ("five-point", "10^{-4}"), ("two-point", "10^{-6}")),
        worst,
        strict=True,
    ):
        print(f"| {rule} | $\\varepsilon = {eps}$ | below ${below(worst[label])}$ |")


if __name__ == "__main__":
    main()
