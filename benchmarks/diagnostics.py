"""The cost of training-health diagnostics on the MNIST-shaped benchmark.

784-256-256-10 (tanh, softmax, cross-entropy), batch 128, float32, plain SGD, on random data
of MNIST's shape. The budget (issue 16): an epoch with diagnostics is at most 10% slower.

Two trainers step side by side, one without diagnostics (the fastest plain-SGD step, which
updates the parameters inside its matrix products) and one with them (the folded step, which
leaves α ∇J in the gradient buffer, plus the callback's work). Blocks of ``--block`` steps
alternate between them and each block's time is taken; the figure is the median ratio. With
``--threads 1`` (default) BLAS runs on one thread and the time is this thread's CPU time,
which other processes on shared cores barely disturb; ``--threads 0`` keeps BLAS's threads
and takes wall time.

    PYTHONPATH=src python benchmarks/diagnostics.py
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

import fcnn


class _Path(fcnn.Callback):
    """Asks for the step diagnostics take and records nothing: the step's own cost."""

    needs_gradient = "scaled"


def trainer(X: np.ndarray, y: np.ndarray, mode: str) -> fcnn.Trainer:
    net = fcnn.Network([784, 256, 256, 10], seed=0, dtype="float32")
    tr = fcnn.Trainer(
        net,
        X,
        y,
        epochs=10**6,
        lr=0.01,
        batch_size=128,
        optimizer="sgd",
        diagnostics=mode == "on",
        callbacks=[_Path()] if mode == "path" else [],
    )
    tr._bind()  # what Trainer.run sets up
    for cb in tr.callbacks:
        cb.on_train_begin(tr)
    tr._begin_epoch()
    return tr


def block(tr: fcnn.Trainer, steps: int, clock) -> float:
    """Seconds of ``steps`` updates, epoch ends (and their callbacks) included."""
    t = clock()
    for _ in range(steps):
        if tr.pos == tr.n_batches:
            tr._end_epoch()
            tr._begin_epoch()
        tr._update()
    return clock() - t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=5120)
    p.add_argument("--blocks", type=int, default=80)
    p.add_argument("--block", type=int, default=5, help="steps a block")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads; 0: as configured")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    X = rng.random((args.samples, 784), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    clock = time.thread_time if args.threads == 1 else time.perf_counter
    with threadpool_limits(args.threads or None):
        off, path, on = (trainer(X, y, m) for m in ("off", "path", "on"))
        ratios, paths, ms = [], [], []
        for _ in range(args.blocks + 2):
            a, b = block(off, args.block, clock), block(on, args.block, clock)
            c = block(path, args.block, clock)
            ratios.append(b / a)
            paths.append(c / a)
            ms.append(a / args.block * 1e3)
    ratios, paths, ms = ratios[2:], paths[2:], ms[2:]  # the first blocks warm up
    q, qp = statistics.quantiles(ratios, n=4), statistics.quantiles(paths, n=4)
    print(
        json.dumps(
            {
                "steps": {"without": off._plan.kind, "with_diagnostics": on._plan.kind},
                "ms_per_step_without": round(statistics.median(ms), 3),
                "with/without": {
                    "median": round(q[1], 3),
                    "quartiles": [round(q[0], 3), round(q[2], 3)],
                },
                "step_alone/without": {
                    "median": round(qp[1], 3),
                    "quartiles": [round(qp[0], 3), round(qp[2], 3)],
                },
                "clock": "thread CPU time, 1 BLAS thread" if args.threads == 1 else "wall",
                "budget": "with/without <= 1.10",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
