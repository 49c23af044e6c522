"""fcnn under load: a MNIST-1D-shaped fit with and without a background process that runs
NumPy products on 2 threads, with fcnn's thread policy (``fcnn._fast.threads``) and without
it (OpenBLAS's own count, the behaviour before the policy).

    python benchmarks/load.py                  # 7 interleaved rounds
    python benchmarks/load.py --rounds 11 --epochs 5

Each round times every variant once, idle then loaded (the load process is paused with
SIGSTOP and resumed with SIGCONT, so it is the same process throughout); each figure is the
median over rounds, and the ratios are loaded/idle per variant.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
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
from fcnn._fast import threads  # noqa: E402 (after the path fallback)

LOAD = (
    "import numpy as np\n"
    "a = np.random.default_rng(0).standard_normal((400, 400))\n"
    "while True:\n"
    "    a = np.tanh(a @ a)\n"
)


def fit_seconds(X: np.ndarray, y: np.ndarray, epochs: int, policy: bool) -> float:
    """Seconds for one MNIST-1D-shaped fit (40-100-100-10, batch 128, float32)."""
    grain, spare = threads.GRAIN, threads.spare_cores
    if not policy:  # every run takes the outer count, whatever its size and the load
        threads.GRAIN, threads.spare_cores = 1, lambda: 1 << 20
    try:
        net = fcnn.Network([40, 100, 100, 10], seed=0, dtype="float32")
        start = time.perf_counter()
        net.fit(X, y, epochs=epochs, batch_size=128, lr=0.05)
        return time.perf_counter() - start
    finally:
        threads.GRAIN, threads.spare_cores = grain, spare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4000, 40)).astype("float32")
    y = rng.integers(0, 10, 4000)
    env = os.environ | {"OPENBLAS_NUM_THREADS": "2"}
    load = subprocess.Popen([sys.executable, "-c", LOAD], env=env)
    load.send_signal(signal.SIGSTOP)
    times: dict[tuple[str, str], list[float]] = {}
    try:
        fit_seconds(X, y, 1, True)  # warm-up
        for _ in range(args.rounds):
            for state in ("idle", "loaded"):
                load.send_signal(signal.SIGCONT if state == "loaded" else signal.SIGSTOP)
                time.sleep(0.2)
                for policy in (True, False):
                    name = "policy" if policy else "no policy"
                    t = fit_seconds(X, y, args.epochs, policy)
                    times.setdefault((name, state), []).append(t)
    finally:
        load.send_signal(signal.SIGCONT)
        load.kill()
        load.wait()
    print(f"MNIST-1D shape, {args.epochs} epochs of 4000 samples, medians of {args.rounds} rounds")
    print(
        f"BLAS threads available: {threads.current()}, policy picks "
        f"{threads.choose([40, 100, 100, 10], 128, threads.current() or 1)}"
    )
    print(f"{'variant':<10} {'idle ms':>9} {'loaded ms':>10} {'loaded/idle':>12}")
    for name in ("policy", "no policy"):
        idle = statistics.median(times[(name, "idle")]) * 1e3
        loaded = statistics.median(times[(name, "loaded")]) * 1e3
        print(f"{name:<10} {idle:9.1f} {loaded:10.1f} {loaded / idle:12.2f}")


if __name__ == "__main__":
    main()
