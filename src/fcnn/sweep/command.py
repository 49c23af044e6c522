"""``fcnn sweep SWEEP.toml [--out DIR] [--workers N] [--scheduler ADDRESS] [--resume DIR]``:
its flags (registered by ``fcnn.cli``) and what it does with them.

Exit codes as ``fcnn train``'s: 0 every trial finished (some may have failed: results.csv
says why), 1 every trial failed or some could not be run (resume to retry them), 2 a usage or
input error, 130 interrupted (resume with ``--resume DIR``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..runs.folder import timestamped
from . import folder, spec
from .backends import INSTALL_HINT, DaskBackend, SerialBackend, cores, have_dask
from .runner import run_sweep
from .trials import trials

OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130
SUMMARY = "run a sweep of runs (a grid or random search, several seeds) on Dask"
#: the closing words of ``fcnn sweep --help``
EPILOG = (
    "A sweep file is a run config (fcnn train --config) plus a [sweep] table: "
    "docs/sweeps.md. Each trial is a run folder under DIR/trials; DIR also holds "
    "results.csv, summary.txt, metric.png and seeds.png. Ctrl-C, or a kill, loses "
    "nothing finished: continue with --resume DIR."
)


WORKERS_PER_CORE = 4  # the most local workers --workers may start, per core


def build_parser(p: argparse.ArgumentParser) -> None:
    """The flags of ``fcnn sweep``."""
    p.add_argument("sweep_file", metavar="SWEEP.toml", nargs="?", help="the sweep file")
    p.add_argument("--out", metavar="DIR", help="sweep folder (default: sweeps/<UTC time>)")
    p.add_argument(
        "--workers",
        metavar="N",
        type=int,
        help="worker processes of a local Dask cluster (default: the cores); wins over "
        "$DASK_SCHEDULER_ADDRESS",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on an existing Dask cluster, e.g. tcp://host:8786 (default: "
        "$DASK_SCHEDULER_ADDRESS, else a local cluster)",
    )
    p.add_argument(
        "--resume",
        metavar="DIR",
        help="continue the sweep in DIR: nothing finished runs again, trials cut short go on "
        "from their checkpoints (SWEEP.toml, if given, must be the saved one) (default: none)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show the progress bar (default: when stderr is a terminal)",
    )
    p.add_argument("--no-figures", action="store_true", help="draw no PNG figures (default: drawn)")


def sweep(args: argparse.Namespace) -> int:
    """``fcnn sweep``: start or resume a sweep, print its summary; the exit code."""
    # an explicit --workers (a local cluster) wins over DASK_SCHEDULER_ADDRESS
    from_env = os.environ.get("DASK_SCHEDULER_ADDRESS") if args.workers is None else None
    scheduler = args.scheduler or from_env or None
    _check_flags(args, scheduler)
    given = Path(args.sweep_file) if args.sweep_file else None
    if args.resume:
        out = Path(args.resume)
        the_spec, meta = folder.reopen(out, given)
    else:
        the_spec = folder.absolute_data(spec.load(given), os.getcwd())
        out = Path(args.out) if args.out else _default_out()
        folder.check_new(out)
        meta = None
    n_trials = len(trials(the_spec))
    backend = _backend(scheduler, args.workers)  # before the folder: a bad address writes none
    try:
        out.mkdir(parents=True, exist_ok=True)
        with folder.locked(out):
            meta = meta or folder.create(out, given, n_trials)
            print(
                f"fcnn sweep: {n_trials} trials in {out}, on {backend.description}", file=sys.stderr
            )
            progress = sys.stderr.isatty() if args.progress is None else args.progress
            result = run_sweep(
                the_spec, out, meta, backend, progress=progress, figures=not args.no_figures
            )
    except KeyboardInterrupt:
        print(f"interrupted; resume with: fcnn sweep --resume {out}", file=sys.stderr)
        return INTERRUPTED
    finally:
        backend.close()
    print(result.summary)
    print(f"{'sweep folder':<13} {out}")
    if result.interrupted:
        print(f"interrupted; resume with: fcnn sweep --resume {out}", file=sys.stderr)
        return INTERRUPTED
    if not result.complete:
        print(
            f"fcnn: error: some trials could not be run; retry them with: fcnn sweep --resume "
            f"{out}",
            file=sys.stderr,
        )
        return FAILED
    return FAILED if all(r["status"] == "failed" for r in result.records.values()) else OK


def _check_flags(args: argparse.Namespace, scheduler: str | None) -> None:
    if args.resume and args.out:
        raise ValueError("--resume continues the sweep in its own folder; drop --out")
    if not args.resume and not args.sweep_file:
        raise ValueError("give a sweep file (fcnn sweep SWEEP.toml), or --resume DIR")
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers {args.workers}; give an integer >= 1")
    most = WORKERS_PER_CORE * cores()
    if args.workers is not None and args.workers > most:
        # a thousand worker processes flooded the terminal with Dask's warnings and died
        raise ValueError(
            f"--workers {args.workers} is more than {WORKERS_PER_CORE} per core of the "
            f"{cores()} this process may use: give at most {most} (each worker is a process "
            "training one trial at a time; workers beyond the cores only take turns)"
        )
    if args.scheduler and args.workers is not None:
        raise ValueError(
            "--workers starts a local cluster; a --scheduler's cluster has its own "
            "workers: drop one"
        )
    if scheduler and not have_dask():
        raise ImportError(f"--scheduler {scheduler} needs Dask: {INSTALL_HINT}")


def _backend(scheduler: str | None, workers: int | None) -> DaskBackend | SerialBackend:
    if not have_dask():
        print(f"fcnn sweep: Dask is not installed; {INSTALL_HINT}", file=sys.stderr)
        return SerialBackend()
    return DaskBackend(scheduler, workers)


def _default_out() -> Path:
    return timestamped("sweeps")
