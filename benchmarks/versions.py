"""Two versions of fcnn side by side: the same workloads of ``run.py``, old and new code in
turn, one fresh interpreter per version and round, and the median of the per-round ratios.

    python benchmarks/versions.py --old ../old-checkout/src --new src --rounds 9

Each round runs the old code, then the new, on every workload (the order alternates between
rounds), so a slow spell on a shared machine hits both alike. A version is a source folder
holding the ``fcnn`` package; ``git worktree add ../old HEAD~5`` makes one.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKLOADS = ("seed", "mnist1d", "mnist")


def worker(workload: str) -> float:
    """Seconds per unit of ``workload`` for the fcnn on ``sys.path`` (median of 5 after a
    warm-up; full-batch steps for the seed network, epochs for the others)."""
    import peers
    import run

    if workload == "seed":
        X, y = peers.seed_data()
        fn = lambda: run.fcnn_seed(X, y, 2000)  # noqa: E731
    else:
        sizes, n, epochs = {"mnist1d": (run.MNIST1D, 4000, 10), "mnist": (run.MNIST, 6000, 1)}[
            workload
        ]
        X, y = peers.synthetic(n, sizes[0])
        fn = lambda: run.fcnn_mlp(X, y, sizes, epochs)  # noqa: E731
    fn()
    return statistics.median(fn() for _ in range(5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="source folder of the old fcnn")
    parser.add_argument("--new", required=True, help="source folder of the new fcnn")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return
    ratios = {w: [] for w in args.only.split(",")}
    for r in range(args.rounds):
        for w in ratios:
            times = {}
            order = ("old", "new") if r % 2 == 0 else ("new", "old")
            for who in order:
                src = str(Path(getattr(args, who)).resolve())
                env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, str(HERE)]))
                cmd = [sys.executable, __file__, "--old", "-", "--new", "-", "--worker", w]
                out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                times[who] = json.loads(out.stdout)
            ratios[w].append(times["new"] / times["old"])
            print(
                f"round {r + 1} {w}: old {times['old']:.4g} s, new {times['new']:.4g} s, "
                f"new/old {ratios[w][-1]:.3f}",
                flush=True,
            )
    for w, rs in ratios.items():
        print(
            f"{w}: median new/old {statistics.median(rs):.3f} over {len(rs)} rounds "
            f"(min {min(rs):.3f}, max {max(rs):.3f})"
        )


if __name__ == "__main__":
    main()
