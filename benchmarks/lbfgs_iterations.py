"""Iterations to a loss: L-BFGS against full-batch gradient descent on the seed networks.

    python benchmarks/lbfgs_iterations.py [--max-epochs N]

For seed 000's network (2-2-2 tanh, softmax, mse+ce, N(0, 1) weights, the two Gaussians) and
seed 002's (2-32-32-3 tanh, softmax, cross-entropy, the three spirals), both full batch with
the mean loss, from the same initial weights: the iterations ``fit(optimizer="lbfgs")`` and
full-batch gradient descent need to bring the loss to half, a tenth and a hundredth of its
initial value J₀ ("-": not within ``--max-epochs``). Gradient descent runs at the best of the
rates 0.1, 0.3, 1, 3 and 10 (the first to reach J₀/100, else the lowest). Prints a Markdown
table.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

import fcnn

NETWORKS = {
    "seed 000: 2-2-2, mse+ce, gaussians": (
        lambda: fcnn.datasets.gaussians(),
        lambda: fcnn.Network([2, 2, 2], "tanh", "softmax", "mse+ce", init="normal", seed=10),
    ),
    "seed 002: 2-32-32-3, cross-entropy, spirals": (
        lambda: fcnn.datasets.spirals(n_samples=300, n_classes=3, noise=0.05, seed=0),
        lambda: fcnn.Network([2, 32, 32, 3], "tanh", "softmax", "cross_entropy", seed=10),
    ),
}
RATES = (0.1, 0.3, 1.0, 3.0, 10.0)


def first_below(losses: list[float], target: float) -> int | None:
    """The 1-based iteration after which the loss is at most ``target`` (History.loss[k] is
    the loss before update k + 1, so the loss after k updates is losses[k])."""
    hits = np.flatnonzero(np.asarray(losses) <= target)
    return int(hits[0]) if len(hits) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-epochs", type=int, default=5000)
    args = parser.parse_args()
    fractions = (0.5, 0.1, 0.01)
    head = " | ".join(f"to {f:g}·J₀: L-BFGS / GD" for f in fractions)
    print(f"| network | J₀ | {head} | GD's rate |")
    print("|---|---|" + "---|" * len(fractions) + "---|")
    for name, (data, make) in NETWORKS.items():
        X, y = data()
        lbfgs = make().fit(X, y, optimizer="lbfgs", epochs=args.max_epochs, early_stopping=True,
                           patience=5, min_delta=1e-12, restore_best=False).loss  # fmt: skip
        runs = {}
        for lr in RATES:
            try:
                runs[lr] = make().fit(X, y, optimizer="gd", lr=lr, epochs=args.max_epochs).loss
            except fcnn.DivergenceError:
                continue
        j0 = lbfgs[0]

        # GD's rate: the one that first reaches the smallest fraction (or gets lowest)
        def key(lr: float, runs: dict = runs, target: float = fractions[-1] * j0) -> tuple:
            n = first_below(runs[lr], target)
            return (math.inf if n is None else n, min(runs[lr]))

        lr = min(runs, key=key)
        cells = []
        for f in fractions:
            a, b = first_below(lbfgs, f * j0), first_below(runs[lr], f * j0)
            show = [("-" if n is None else str(n)) for n in (a, b)]
            cells.append(" / ".join(show))
        print(f"| {name} | {j0:.4g} | {' | '.join(cells)} | {lr:g} |")


if __name__ == "__main__":
    main()
