"""Seed 000's gradient against the correct one: train the seed network once with each.

Seed 000 (eq. 9-10) differentiates the softmax elementwise, ``ŷ - ŷ²``, and so keeps only
the diagonal of its Jacobian (docs/math.md §4.1). This script trains the 2-2-2 tanh/softmax
network of examples/seed000.toml (MSE + cross-entropy, the same data and initial weights)
twice with full-batch gradient descent: once with the correct gradient (what fcnn computes),
once with the seed's, then plots both loss curves. `fcnn explain --config
examples/seed000.toml --seed000-gradient` shows the two gradients of one step beside finite
differences.

    PYTHONPATH=src python examples/seed000_gradients.py --out seed000_gradients.png
"""

from __future__ import annotations

import argparse

import numpy as np
from matplotlib.figure import Figure

import fcnn
from fcnn import datasets, plots, reference
from fcnn.explain import Problem, seed000_output_gradient


def train(X: np.ndarray, Y: np.ndarray, net: fcnn.Network, lr: float, epochs: int, seed000: bool):
    """Full-batch gradient descent with fcnn.reference; returns the loss before each step."""
    Ws, bs = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
    losses = []
    for _ in range(epochs):
        a, h = reference.forward(Ws, bs, X, ["tanh"])
        J, g = reference.loss_gradient(net.loss_name, "softmax", a[-1], Y)
        scale = 1.0 / X.shape[1]
        if seed000:
            problem = Problem(Ws, bs, X, Y, ["tanh"], "softmax", net.loss_name)
            g = seed000_output_gradient(problem, a[-1])  # already scaled by 1/b
        else:
            g = g * scale
        dW, db = reference.backward(Ws, a, h, g, ["tanh"])
        for k in range(len(Ws)):
            Ws[k] -= lr * dW[k]
            bs[k] -= lr * db[k]
        losses.append(J * scale)
    return losses


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lr", type=float, default=0.05, help="learning rate (the seed's: 1e-6)")
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--loss", default="mse+ce", choices=["mse+ce", "mse"])
    p.add_argument("--out", default="seed000_gradients.png")
    args = p.parse_args()
    X, y = datasets.gaussians(n_samples=200, means=[[-1.5, -1.5], [1.5, 1.5]], covs=1.0, seed=10)
    net = fcnn.Network([2, 2, 2], "tanh", "softmax", args.loss, init="normal", seed=10)
    Y = np.eye(2)[y].T
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for seed000, label in ((False, "correct gradient (fcnn)"), (True, "seed 000 eq. 9-10")):
        losses = train(X.T, Y, net, args.lr, args.epochs, seed000)
        ax.plot(np.arange(1, args.epochs + 1), losses, label=label, ls="--" if seed000 else "-")
        print(f"{label:26s} loss after {args.epochs} steps: {losses[-1]:.6g}")
    ax.set_xlabel("step (full batch)")
    ax.set_ylabel(f"loss J ({args.loss}, mean over the batch)")
    ax.set_title(f"Seed 000's network, lr = {args.lr:g}")
    ax.legend()
    plots.save(fig, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
