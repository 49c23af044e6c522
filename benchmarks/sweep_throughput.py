"""Trials per minute of ``fcnn sweep`` with 1 and 2 local Dask workers (docs/sweeps.md).

    PYTHONPATH=src python benchmarks/sweep_throughput.py [--sweep FILE] [--repeat N]

Runs the sweep (default: examples/sweep-seed000.toml) on a LocalCluster of each size, with and
without the per-trial figures, ``--repeat`` times in turn, and prints the trials per minute of
the sweep itself (the cluster's start apart) of each run and the best, with the machine's load
average: other processes on the cores lower the numbers, so the best run is the truest.
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


def _cpu() -> float:
    """CPU seconds (user + system) of the calling process so far."""
    t = os.times()
    return t.user + t.system


def measure(path: Path, workers: int, figures: bool) -> dict[str, float]:
    """One sweep in a temporary folder: its ``seconds`` (the cluster's ``start`` apart), its
    ``trials``, and the CPU seconds per trial of the workers and of the sweep process, which
    other processes on the cores do not change as they change the wall time."""
    spec = folder.absolute_data(load_spec(path), os.getcwd())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s"
        meta = folder.create(out, path, len(trials(spec)))
        t0 = time.perf_counter()
        backend = DaskBackend(workers=workers)
        t1 = time.perf_counter()
        try:
            before, own = sum(backend.client.run(_cpu).values()), _cpu()
            result = run_sweep(spec, out, meta, backend, figures=figures)
            seconds = time.perf_counter() - t1
            worker_cpu = sum(backend.client.run(_cpu).values()) - before
            own = _cpu() - own
        finally:
            backend.close()
    n = len(result.records)
    return {
        "seconds": seconds,
        "trials": n,
        "start": t1 - t0,
        "worker_cpu": worker_cpu / n,
        "sweep_cpu": own / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sweep", default="examples/sweep-seed000.toml")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print("workers figures trials seconds trials/min  load  CPU s/trial: worker, sweep process")
    best: dict[tuple[int, bool], float] = {}
    for _ in range(args.repeat):
        for figures in (True, False):
            for n in map(int, args.workers.split(",")):
                m = measure(Path(args.sweep), n, figures)
                rate = 60 * m["trials"] / m["seconds"]
                best[n, figures] = max(best.get((n, figures), 0.0), rate)
                print(
                    f"{n:>7} {figures!s:>7} {m['trials']:>6} {m['seconds']:>7.1f} {rate:>10.0f}"
                    f"  {os.getloadavg()[0]:>4.1f}  {m['worker_cpu']:.3f}, {m['sweep_cpu']:.3f}"
                    f"  (cluster start {m['start']:.1f} s)",
                    flush=True,
                )
    print(
        "best: "
        + ", ".join(
            f"{n} worker(s), figures {f}: {r:.0f}/min" for (n, f), r in sorted(best.items())
        )
    )


if __name__ == "__main__":
    main()
