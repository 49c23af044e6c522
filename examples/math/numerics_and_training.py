"""Numbers behind docs/math.md §5 (sigmoid's underflow) and §7 (defaults, the adaptive
schedule, gradient clipping), measured with fcnn.

    python examples/math/numerics_and_training.py
"""

from __future__ import annotations

import inspect
import math

import numpy as np
from _fmt import num, sci

import fcnn
from fcnn import optim
from fcnn.activations import get
from fcnn.network import Network
from fcnn.runs import config


def sigmoid_underflow() -> None:
    """The largest a at which fcnn's sigmoid, (1 + tanh(a/2)) / 2, returns exactly 0."""
    f = get("sigmoid").f
    lo, hi = -50.0, 0.0  # f(lo) == 0 < f(hi)
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(np.array([mid]))[0] == 0 else (lo, mid)
    a = np.linspace(-60.0, 60.0, 200001)
    exact = np.array([1 / (1 + math.exp(-x)) for x in a])
    err = float(np.abs(f(a) - exact).max())
    assert err <= 2.0**-52
    print(
        f"fcnn's sigmoid returns exactly 0 below $a \\approx {num(lo, 2)}$ in float64 (the "
        f"point lies between $-55 \\ln 2 = {num(-55 * math.log(2), 2)}$ and $-54 \\ln 2 = "
        f"{num(-54 * math.log(2), 2)}$, as the platform's tanh rounds); its largest absolute "
        f"error on $[-60, 60]$ is ${sci(err, 2)}$."
    )


def defaults() -> None:
    cli = config.DEFAULTS["training"]["lr"]
    fit = inspect.signature(Network.fit).parameters["lr"].default
    print(
        f"The default learning rate is $\\alpha = {cli}$ for `fcnn train` (and a config file "
        f"without `lr`), and $\\alpha = {fit}$ for `Network.fit` / `fcnn.fit`."
    )


def adaptive() -> None:
    sched = optim.get_schedule("adaptive", 0.5)
    print(
        f"Defaults: factor $= {sched.factor:g}$, patience $= {sched.patience}$, "
        f"tol $= {sched.tol:g}$."
    )
    losses = [1.0, 0.8, 0.79995, 0.8, 0.7, 0.7, 0.7, 0.7, 0.65]
    rates = []
    for loss in losses:
        rates.append(sched.lr(len(rates), 0))
        sched.on_epoch_end(loss)
    print("| epoch $e$ | " + " | ".join(str(e) for e in range(len(losses))) + " |")
    print("| loss | " + " | ".join(f"{v:g}" for v in losses) + " |")
    print("| $\\alpha_e$ | " + " | ".join(f"{r:g}" for r in rates) + " |")


def clipping() -> None:
    """One full-batch GD step with clip = 0.1 equals θ - α g · clip/||g|| when ||g|| > clip."""
    X, labels = fcnn.datasets.gaussians(seed=10)
    net = fcnn.Network([2, 2, 2], init="normal", seed=10)
    dWs, dbs = net.gradients(X, labels)
    g = np.concatenate([np.c_[w, b].ravel() for w, b in zip(dWs, dbs, strict=True)])
    norm, clip, lr = float(np.linalg.norm(g)), 0.1, 0.5
    expected = net.params - lr * g * (clip / norm)
    net.fit(X, labels, epochs=1, lr=lr, optimizer="gd", clip=clip)
    np.testing.assert_allclose(net.params, expected, rtol=1e-12, atol=1e-15)
    print(
        f"On seed 000's data and network (standard normal weights, seed 10), "
        f"$\\lVert d \\rVert = {num(norm, 4)}$; with `clip=0.1` one step of `fit` moves the "
        f"parameters by $\\alpha \\cdot {num(clip / norm, 4)}\\, d$, as the formula says."
    )


def main() -> None:
    sigmoid_underflow()
    defaults()
    adaptive()
    clipping()


if __name__ == "__main__":
    main()
