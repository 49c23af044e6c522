"""Trials per minute of ``fcnn sweep`` with 1 and 2 local Dask workers (docs/sweeps.md).

    PYTHONPATH=src python benchmarks/sweep_throughput.py [--sweep examples/sweep-seed000.toml]

Runs the sweep on a LocalCluster of each size, with and without the per-trial figures, and
prints the trials per minute of the sweep itself (the cluster's start, about 2 s, apart) with
the machine's load average, since other processes on the cores change the numbers.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from fcnn.sweep import DaskBackend, folder, run_sweep
from fcnn.sweep import load as load_spec
from fcnn.sweep.trials import trials


def measure(path: Path, workers: int, figures: bool) -> tuple[float, int, float]:
    """(seconds, trials, seconds to start the cluster) of one sweep in a temporary folder."""
    spec = folder.absolute_data(load_spec(path), os.getcwd())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s"
        meta = folder.create(out, path, len(trials(spec)))
        t0 = time.perf_counter()
        backend = DaskBackend(workers=workers)
        t1 = time.perf_counter()
        try:
            result = run_sweep(spec, out, meta, backend, figures=figures)
        finally:
            backend.close()
        return time.perf_counter() - t1, len(result.records), t1 - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sweep", default="examples/sweep-seed000.toml")
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    print(f"{'workers':>7} {'figures':>7} {'trials':>6} {'seconds':>8} {'trials/min':>10}  load")
    for figures in (True, False):
        for n in map(int, args.workers.split(",")):
            seconds, n_trials, _ = measure(Path(args.sweep), n, figures)
            load = os.getloadavg()[0]
            rate = 60 * n_trials / seconds
            print(f"{n:>7} {figures!s:>7} {n_trials:>6} {seconds:>8.1f} {rate:>10.0f}  {load:.1f}")


if __name__ == "__main__":
    main()
