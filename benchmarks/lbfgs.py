"""L-BFGS: fcnn's ``FCNNClassifier(solver="lbfgs")`` against ``MLPClassifier(solver="lbfgs")``
on digits, as time to the same loss.

    python benchmarks/lbfgs.py [--rounds 7] [--iterations 50] [--hidden 100]

Both start from the same initial weights (same ``random_state``) and run scipy's L-BFGS-B with
the same options, so their iterates agree (``tests/test_sklearn_lbfgs.py``: the loss curves to
1e-6 over 50 iterations) and ``max_iter`` iterations end at the same loss; the script checks
that the two final losses agree to 1e-6 relative and times each fit. Rounds are interleaved
(the order alternates every round) and each library's median is reported; the ratio
``sklearn/fcnn`` above 1 means fcnn is faster. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from fcnn.sklearn import FCNNClassifier


def timed(cls, X: np.ndarray, y: np.ndarray, args: dict) -> tuple[float, float]:
    """(seconds, final loss) of one fit."""
    est = cls(**args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        est.fit(X, y)
        seconds = time.perf_counter() - start
    return seconds, float(est.loss_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--hidden", type=int, default=100)
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    fit = dict(
        solver="lbfgs",
        hidden_layer_sizes=(args.hidden,),
        max_iter=args.iterations,
        tol=0.0,  # run every iteration: both stop at max_iter
        random_state=0,
    )
    times: dict[str, list[float]] = {"fcnn": [], "sklearn": []}
    losses: dict[str, float] = {}
    timed(FCNNClassifier, X, y, dict(fit, max_iter=2))  # warm-up: imports, BLAS threads
    timed(MLPClassifier, X, y, dict(fit, max_iter=2))
    for r in range(args.rounds):
        order = [("fcnn", FCNNClassifier), ("sklearn", MLPClassifier)]
        for name, cls in order if r % 2 == 0 else order[::-1]:
            seconds, losses[name] = timed(cls, X, y, fit)
            times[name].append(seconds)
    agree = abs(losses["fcnn"] - losses["sklearn"]) <= 1e-6 * abs(losses["sklearn"])
    median = {k: statistics.median(v) for k, v in times.items()}
    print(
        json.dumps(
            {
                "data": "digits 1797x64 (X/16)",
                "network": f"64-{args.hidden}-10 relu, softmax",
                "iterations": args.iterations,
                "loss": losses,
                "losses_agree_1e-6": agree,
                "median_s": median,
                "sklearn/fcnn": median["sklearn"] / median["fcnn"],
                "rounds": args.rounds,
            }
        )
    )


if __name__ == "__main__":
    main()
