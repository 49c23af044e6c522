"""The cost of training-health diagnostics on the MNIST-shaped benchmark.

784-256-256-10 (tanh, softmax, cross-entropy), batch 128, float32, plain SGD, on random data
of MNIST's shape; one epoch timed with diagnostics off and on, interleaved, median of
``--repeats``. The budget (issue 16): an epoch with diagnostics is at most 10% slower.

    PYTHONPATH=src python benchmarks/diagnostics.py --samples 20000 --repeats 7
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

import fcnn
from fcnn.diagnostics import Diagnostics


class _Compiled(fcnn.Callback):
    """Asks for the gradient-keeping step without recording anything: the path's own cost."""

    needs_gradient = True


def epoch_seconds(X: np.ndarray, y: np.ndarray, mode: str) -> float:
    net = fcnn.Network([784, 256, 256, 10], seed=0, dtype="float32")
    callbacks = {"off": [], "path": [_Compiled()], "on": [Diagnostics()]}[mode]
    t0 = time.perf_counter()
    net.fit(X, y, epochs=1, lr=0.05, batch_size=128, optimizer="sgd", callbacks=callbacks)
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=20000)
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    X = rng.random((args.samples, 784), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    times: dict[str, list[float]] = {"off": [], "path": [], "on": []}
    for r in range(args.repeats + 1):
        for mode in times:
            t = epoch_seconds(X, y, mode)
            if r:  # the first round warms up
                times[mode].append(t)
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    print(
        json.dumps(
            {
                "ms_per_epoch": {k: round(v, 1) for k, v in med.items()},
                "diagnostics_on/off": round(med["on"] / med["off"], 3),
                "gradient_path/off": round(med["path"] / med["off"], 3),
                "budget": "on/off <= 1.10",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
