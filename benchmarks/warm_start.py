"""A warm-start loop of 1-epoch fits against one fit of as many epochs: what each fit costs
beyond its epoch, with the network's batches kept between fits (``fcnn._fast.cache``) and
with them dropped before every fit (the behaviour before the cache).

    python benchmarks/warm_start.py               # MNIST-1D shape, 10 fits, 7 rounds

MNIST-1D shape: 40-100-100-10, batch 128, float32, 4000 samples (the tail batch is 32; with
``--samples 160`` an epoch is one batch and the tail, and the fixed cost stands out). The
variants take turns in every round; each figure is the median over rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
try:
    import fcnn
except ImportError:  # not installed: the checkout's own source
    sys.path.insert(0, str(HERE.parent / "src"))
    import fcnn
from fcnn._fast import cache  # noqa: E402 (after the path fallback)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--samples", type=int, default=4000, help="160: one batch and a tail")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.samples, 40)).astype("float32")
    y = rng.integers(0, 10, args.samples)
    net = fcnn.Network([40, 100, 100, 10], seed=0, dtype="float32")
    options = {"batch_size": 128, "lr": 0.05}

    def one_fit() -> float:
        start = time.perf_counter()
        net.fit(X, y, epochs=args.fits, **options)
        return time.perf_counter() - start

    def loop(keep: bool) -> float:
        start = time.perf_counter()
        for _ in range(args.fits):
            if not keep:
                cache.clear(net)
            net.fit(X, y, epochs=1, **options)
        return time.perf_counter() - start

    variants = {"one fit": one_fit, "loop, kept": lambda: loop(True)}
    variants["loop, rebuilt"] = lambda: loop(False)
    for run in variants.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, run in variants.items():
            times[name].append(run())
    base = statistics.median(times["one fit"])
    print(
        f"{args.fits} epochs of {args.samples} samples, MNIST-1D shape, medians of "
        f"{args.rounds} interleaved rounds"
    )
    print(f"{'variant':<14} {'ms':>8} {'ms per fit beyond its epoch':>28}")
    for name, ts in times.items():
        t = statistics.median(ts)
        extra = (t - base) / args.fits * 1e3 if name != "one fit" else 0.0
        print(f"{name:<14} {t * 1e3:8.1f} {extra:28.3f}")


if __name__ == "__main__":
    main()
