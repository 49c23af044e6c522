"""fcnn beside its peers: PyTorch eager, scikit-learn, and the matrix-product bound.

    python benchmarks/run.py                     # every workload, 5 repeats
    python benchmarks/run.py --quick             # smoke run, well under a minute
    python benchmarks/run.py --only seed,memory --repeats 9 --json out.json
    python benchmarks/run.py --unset-openblas-env

Every figure is the median of ``--repeats`` runs after one warm-up run, the peers taking turns.
One table goes to stdout and the same rows, with the machine's description, to JSON.
See benchmarks/README.md.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import compiled_runs
import numpy as np
import peers
import peers_compiled
import psutil
from threadpoolctl import threadpool_info, threadpool_limits

HERE = Path(__file__).resolve().parent
try:
    import fcnn
except ImportError:  # not installed: the checkout's own source
    sys.path.insert(0, str(HERE.parent / "src"))
    import fcnn

OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
REMOVED_VAR = "FCNN_BENCH_REMOVED_ENV"
MNIST1D = (40, 100, 100, 10)
MNIST = (784, 256, 256, 10)
MB = 2**20
# PyTorch's fastest setting for the 2-2-2 network, whose tensors are far below any parallel
# grain: 113 us/step on one thread, about 150 on two
SEED_TORCH_THREADS = 1


# ---- fcnn workloads: one small function each, against the public API ----


def fcnn_seed(X: np.ndarray, y: np.ndarray, steps: int) -> float:
    """Seconds per full-batch gradient step of the 2-2-2 seed network, float64."""
    net = peers_compiled.seed_network(0)
    t0 = time.perf_counter()
    net.fit(X, y, epochs=steps, lr=0.1, batch_size=None, optimizer="gd", shuffle=False)
    return (time.perf_counter() - t0) / steps


def fcnn_trainer(X: np.ndarray, y: np.ndarray, sizes, epochs: int = 1, batch: int = 128):
    """A function that trains ``epochs`` shuffled mini-batch SGD epochs (float32, no momentum)."""
    net = fcnn.Network(
        list(sizes),
        activation="tanh",
        output="softmax",
        loss="cross_entropy",
        dtype="float32",
        seed=0,
    )
    kw = dict(lr=0.01, batch_size=batch, optimizer="sgd", shuffle=True)
    return lambda: net.fit(X, y, epochs=epochs, **kw)


def fcnn_mlp(X: np.ndarray, y: np.ndarray, sizes, epochs: int) -> float:
    """Seconds per epoch of one ``fit`` over ``epochs`` epochs (as scikit-learn's is timed)."""
    train = fcnn_trainer(X, y, sizes, epochs)
    t0 = time.perf_counter()
    train()
    return (time.perf_counter() - t0) / epochs


# ---- measuring ----


def measure(fns: dict, repeats: int) -> dict:
    """Median seconds of each ``fns[name]()`` over ``repeats`` rounds, after one warm-up each.

    The peers take turns (round-robin), so a slow spell on a shared machine hits every peer
    alike. Each turn runs its function twice and times the second run: the first absorbs the
    previous peer's thread pools, which spin on the same cores for a while after their last
    call (PyTorch's OpenMP threads slowed a following MNIST-1D fcnn epoch from 3.5 to 5-8 ms,
    and OpenBLAS's slowed PyTorch alike; OMP_WAIT_POLICY=PASSIVE would stop the spinning but
    made PyTorch itself 2-5x slower). ``fns[name]`` may be a string instead: the note shown
    where that peer is missing. A peer that raises is reported, not raised, so one broken peer
    cannot sink the table.
    """
    cells = {k: {"median": None, "note": f} for k, f in fns.items() if isinstance(f, str)}
    runs = {k: [] for k, f in fns.items() if not isinstance(f, str)}
    for r in range(repeats + 1):
        for k in list(runs):
            try:
                fns[k]()
                t = fns[k]()
            except Exception as err:
                print(f"  {k} failed: {err!r}", file=sys.stderr)
                cells[k] = {"median": None, "note": f"error: {err!r}"}
                del runs[k]
                continue
            if r:
                runs[k].append(t)
    for k, ts in runs.items():
        cells[k] = {"median": statistics.median(ts), "min": min(ts), "runs": ts}
    return {k: cells[k] for k in fns}


def peer_cells(fcnn_fn, torch_fn, sklearn_fn, repeats: int, bound_fn=None, extra=None) -> dict:
    """The cells of one workload; a missing library gets its note instead of a time.
    ``extra``: more peers, ``{name: function or note}`` (``compiled_runs``)."""
    fns = {
        "fcnn": fcnn_fn,
        "torch": torch_fn if peers.torch is not None else "not installed",
        "sklearn": sklearn_fn if peers.MLPClassifier is not None else "not installed",
    }
    if bound_fn is not None:
        fns["bound"] = bound_fn
    return measure({**fns, **(extra or {})}, repeats)


def seed_workload(args) -> dict:
    """Workload 1: µs per full-batch step of the 2-2-2 seed network."""
    X, y = peers.seed_data()
    s = args.seed_steps
    cells = peer_cells(
        lambda: fcnn_seed(X, y, s),
        lambda: peers.torch_seed(X, y, s, threads=SEED_TORCH_THREADS),
        lambda: peers.sklearn_seed(X, y, s),
        args.repeats,
        extra=compiled_runs.seed_peers(X, y, s, args),
    )
    goals = [("torch/fcnn", ">=", 8), ("sklearn/fcnn", ">=", 2)]
    info = {"steps": s, "torch_threads": SEED_TORCH_THREADS}
    return {"unit": "us/step", "scale": 1e6, **info, "cells": cells, "goals": goals}


def mlp_workload(sizes, n: int, epochs: int, goals, args, scan: bool = False) -> dict:
    """Workloads 2 and 3: ms per shuffled mini-batch SGD epoch, and the GEMM bound; JAX
    runs a jitted step per batch, or with ``scan`` a ``lax.scan`` over the epoch."""
    X, y = peers.synthetic(n, sizes[0])
    cells = peer_cells(
        lambda: fcnn_mlp(X, y, sizes, epochs),
        lambda: peers.torch_mlp(X, y, sizes, epochs),
        lambda: peers.sklearn_mlp(X, y, sizes, epochs),
        args.repeats,
        lambda: peers.fastest_gemm_bound(sizes, n),
        extra=compiled_runs.mlp_peers(
            X, y, sizes, epochs, scan, args, lambda: fcnn_mlp(X, y, sizes, epochs)
        ),
    )
    info = {"sizes": list(sizes), "samples": n, "batch": 128, "epochs_per_run": epochs}
    return {"unit": "ms/epoch", "scale": 1e3, **info, "cells": cells, "goals": goals}


def mnist1d_workload(args) -> dict:
    goals = [("fcnn/bound", "<=", 1.6), ("torch/fcnn", ">=", 2), ("sklearn/fcnn", ">=", 2)]
    return mlp_workload(MNIST1D, 4000, args.epochs_small, goals, args)


def mnist_workload(args) -> dict:
    goals = [("fcnn/bound", "<=", 1.25), ("torch/fcnn", ">=", 1.4), ("sklearn/fcnn", ">=", 1.4)]
    return mlp_workload(MNIST, 20000, args.epochs_large, goals, args, scan=True)


# ---- memory: one epoch in a fresh process ----


def memory_worker(who: str, n: int) -> dict:
    """Train one epoch of 784-256-256-10 on (n, 784) float32 and report RSS in bytes.

    ``peak_rss`` is the process's peak; the data are drawn straight into float32, so nothing
    before training peaks above the baseline taken after the data and network exist.
    """
    proc = psutil.Process()
    before_data = proc.memory_info().rss
    X, y = peers.synthetic(n, MNIST[0])
    epoch = (fcnn_trainer if who == "fcnn" else peers.torch_trainer)(X, y, MNIST)
    baseline = proc.memory_info().rss
    epoch()
    peak = peak_rss()
    data = X.nbytes + y.nbytes
    return {"before_data": before_data, "baseline": baseline, "peak": peak, "data": data}


def peak_rss() -> int:
    """This process's peak RSS in bytes: ``VmHWM`` of /proc/self/status where there is one.
    Not ``ru_maxrss``: on Linux a process started by ``subprocess`` (vfork, then exec) starts
    with its parent's peak in it, so a parent holding JAX, PyTorch and the other workloads'
    data (1.3 GB) hid the worker's own peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_cell(who: str, available: bool, n: int, note: str) -> dict:
    """Run ``memory_worker`` in a fresh interpreter; ``median`` holds the larger extra (MB)."""
    if not available:
        return {"median": None, "note": note}
    cmd = [sys.executable, __file__, "--memory-worker", who, "--memory-samples", str(n)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        print(out.stderr, file=sys.stderr)
        return {"median": None, "note": f"error: worker exited {out.returncode}"}
    r = json.loads(out.stdout.splitlines()[-1])
    r["extra_over_baseline_mb"] = (r["peak"] - r["baseline"]) / MB
    r["extra_over_data_mb"] = (r["peak"] - r["before_data"] - r["data"]) / MB
    return {"median": max(r["extra_over_baseline_mb"], r["extra_over_data_mb"]), **r}


def memory_workload(args) -> dict:
    """Workload 5: MB of peak RSS above the data, the larger of the two measures."""
    n = args.memory_samples
    cells = {
        "fcnn": memory_cell("fcnn", True, n, "n/a"),
        "torch": memory_cell("torch", peers.torch is not None, n, "not installed"),
        "sklearn": {"median": None, "note": "not measured"},
    }
    return {
        "unit": "MB extra",
        "scale": 1,
        "samples": n,
        "cells": cells,
        "goals": [("fcnn", "<=", 64)],
    }


WORKLOADS = {
    "seed": seed_workload,
    "mnist1d": mnist1d_workload,
    "mnist": mnist_workload,
    "memory": memory_workload,
}


# ---- ratios, goals, table ----


def ratios(cells: dict) -> dict:
    """torch/fcnn, sklearn/fcnn and fcnn/bound, None where either side is missing."""
    m = {k: c["median"] for k, c in cells.items()}
    out = {"torch/fcnn": div(m["torch"], m["fcnn"]), "sklearn/fcnn": div(m["sklearn"], m["fcnn"])}
    if "bound" in m:
        out["fcnn/bound"] = div(m["fcnn"], m["bound"])
    return out


def div(a, b):
    """a / b, or None where either is missing."""
    return a / b if a is not None and b else None


def verdict(goals, values: dict) -> str:
    """PASS if every goal holds; MISS names the ones that fail; a goal that cannot be judged
    (a peer not installed) is named after "unjudged", so a partial PASS never reads as a full
    one."""
    if values.get("fcnn") is None:
        return "n/a"
    judged = [(k, op, t, values[k]) for k, op, t in goals if values.get(k) is not None]
    failed = [k for k, op, t, v in judged if not (v >= t if op == ">=" else v <= t)]
    unjudged = [k for k, _, _ in goals if values.get(k) is None]
    out = "MISS " + ",".join(failed) if failed else "PASS"
    return out + (" (unjudged: " + ",".join(unjudged) + ")" if unjudged else "")


def finish(name: str, w: dict) -> dict:
    """Add ratios, the goal text and the verdict to a workload's raw result."""
    w["ratios"] = ratios(w["cells"])
    w["peer_ratios"] = compiled_runs.round_ratios(name, w["cells"])
    values = {**w["ratios"], "fcnn": w["cells"]["fcnn"]["median"]}
    w["goal"] = " & ".join(f"{k} {op} {t:g}" for k, op, t in w["goals"])
    w["result"] = verdict(w["goals"], values)
    return {"workload": name, **w}


COLUMNS = ("workload", "unit", "fcnn", "torch", "sklearn", "bound")
RATIOS = ("torch/fcnn", "sklearn/fcnn", "fcnn/bound")


def fmt(v, scale: float = 1.0, note: str = "n/a") -> str:
    """A figure to 4 significant digits, or the note (before any ':') where it is missing."""
    if v is None:
        return note.split(":")[0]
    return f"{v * scale:.4g}"


def table_rows(rows: list) -> list:
    """Each row as a list of strings: COLUMNS, RATIOS, goal, result."""
    out = [[*COLUMNS, *RATIOS, "goal", "result"]]
    for r in rows:
        c = r["cells"]
        vals = [
            fmt(c[k]["median"], r["scale"], c[k].get("note", "n/a")) if k in c else "-"
            for k in COLUMNS[2:]
        ]
        rats = [fmt(r["ratios"][k]) if k in r["ratios"] else "-" for k in RATIOS]
        out.append([r["workload"], r["unit"], *vals, *rats, r["goal"], r["result"]])
    return out


def print_table(rows: list) -> None:
    lines = table_rows(rows)
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for i, line in enumerate(lines):
        print("  ".join(s.ljust(w) for s, w in zip(line, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


# ---- machine ----


def host_state(rounds: int = 3) -> dict:
    """How much NumPy's second BLAS thread buys right now: the ``mnist1d`` bound (one layout)
    on one thread over the same on all of them, fastest of ``rounds`` each. 1.1-1.3 on the
    development machine in its normal state; below 1 when the host takes the second core away
    ("slow"), a state that hits fcnn's mini-batch epochs harder than the bound
    (``docs/performance.md``)."""

    def bound() -> float:
        return min(peers.gemm_bound(MNIST1D, 4000, 128, "columns", np.dot) for _ in range(rounds))

    with threadpool_limits(1):
        one = bound()
    every = bound()
    gain = one / every
    threads = numpy_blas().get("num_threads") or 1
    state = "n/a" if threads == 1 else ("normal" if gain >= 1.0 else "slow")
    return {"gain": gain, "state": state, "one_thread_s": one, "all_threads_s": every}


def print_host_states(rows: list) -> None:
    """One line: the host's state before and after each workload (see host_state)."""
    parts = [
        f"{r['workload']} {r['host']['before']['gain']:.2f}/{r['host']['after']['gain']:.2f} "
        f"{r['host']['before']['state']}/{r['host']['after']['state']}"
        for r in rows
    ]
    print("\nhost (gain of all BLAS threads over one, before/after): " + ", ".join(parts))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _direct_blas(dtype: str) -> bool:
    """Whether plain SGD updates inside its products on NumPy's own BLAS (fcnn/_fast/blas.py)."""
    from fcnn._fast import blas

    return blas.available(dtype)


def numpy_blas() -> dict:
    """threadpoolctl's entry for NumPy's own BLAS (SciPy and PyTorch may load others)."""
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    mine = [i for i in blas if "numpy" in i["filepath"]] or blas or [{}]
    return mine[0]


def machine_info() -> dict:
    blas = numpy_blas()
    torch = peers.torch
    removed = os.environ.get(REMOVED_VAR)
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "numpy_blas": {
            k: blas.get(k) for k in ("internal_api", "version", "architecture", "num_threads")
        },
        "threadpools": threadpool_info(),
        "openblas_env": {k: os.environ.get(k) for k in OPENBLAS_VARS},
        "openblas_env_removed": json.loads(removed) if removed else None,
        "torch": torch.__version__ if torch else "not installed",
        "torch_threads": torch.get_num_threads() if torch else None,
        "sklearn": _sklearn_version(),
        **compiled_runs.versions(),
        "fcnn": getattr(fcnn, "__version__", "present"),
        # whether plain SGD updates inside its products on NumPy's own BLAS (fcnn/blas.py)
        "fcnn_direct_blas": {d: _direct_blas(d) for d in ("float32", "float64")},
    }


def _sklearn_version() -> str:
    try:
        import sklearn
    except ImportError:
        return "not installed"
    return sklearn.__version__


def unset_openblas_env() -> None:
    """Re-execute this script without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (they pin a slower
    OpenBLAS kernel on a current NumPy); the removed values are passed on for the report."""
    removed = {k: os.environ[k] for k in OPENBLAS_VARS if k in os.environ}
    if not removed:
        return
    env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_VARS}
    env[REMOVED_VAR] = json.dumps(removed)
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


# ---- command line ----


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="fcnn beside PyTorch, scikit-learn and the GEMM bound.")
    p.add_argument(
        "--only", default=",".join(WORKLOADS), help="comma list of: " + ", ".join(WORKLOADS)
    )
    p.add_argument(
        "--repeats", type=int, default=None, help="timed runs per figure (default 5, quick 1)"
    )
    p.add_argument(
        "--quick", action="store_true", help="smoke run: fewer steps, epochs and repeats"
    )
    p.add_argument(
        "--json", type=Path, default=HERE / "results" / "latest.json", help="output JSON path"
    )
    p.add_argument(
        "--unset-openblas-env",
        action="store_true",
        help="re-execute without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which make a current "
        "NumPy's OpenBLAS pick an older, slower kernel; the JSON records the kernel then used",
    )
    p.add_argument("--memory-samples", type=int, default=60000, help="rows of the memory workload")
    compiled_runs.add_arguments(p)
    p.add_argument("--memory-worker", choices=("fcnn", "torch"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.repeats = args.repeats or (1 if args.quick else 5)
    args.seed_steps = 200 if args.quick else 2000
    args.epochs_small, args.epochs_large = (1, 1) if args.quick else (5, 2)
    args.only = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = set(args.only) - set(WORKLOADS)
    if unknown:
        p.error(f"unknown workload(s) {sorted(unknown)}; choose from {list(WORKLOADS)}")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.unset_openblas_env:
        unset_openblas_env()
    peers.set_torch_threads(numpy_blas().get("num_threads") or 1)
    if args.memory_worker:
        print(json.dumps(memory_worker(args.memory_worker, args.memory_samples)))
        return
    machine = machine_info()
    print(
        f"{machine['cpu']}, {machine['logical_cpus']} CPUs, numpy {machine['numpy']} "
        f"({machine['numpy_blas']}), torch {machine['torch']}, sklearn {machine['sklearn']}, "
        f"jax {machine['jax']}, numba {machine['numba']}"
    )
    print(
        f"OpenBLAS env: {machine['openblas_env']}, removed: {machine['openblas_env_removed']}; "
        f"fcnn's direct BLAS: {machine['fcnn_direct_blas']}\n"
    )
    rows = []
    for name in args.only:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        before = host_state()
        row = finish(name, WORKLOADS[name](args))
        row["host"] = {"before": before, "after": host_state()}
        rows.append(row)
    print_table(rows)
    compiled_runs.print_peer_table(rows)
    print_host_states(rows)
    settings = {"repeats": args.repeats, "quick": args.quick, "only": args.only}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"machine": machine, "settings": settings, "rows": rows}, indent=2)
    )
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
