"""The compiled peers in ``benchmarks/run.py``: which workload gets which, their checks
against fcnn, and their table of per-round ratios.

- ``seed``: JAX ``jit`` + ``lax.fori_loop`` over all steps, and numba's fused loop (the
  limit: no call overhead at all). Both start from fcnn's initial weights; their loss after
  the run must equal fcnn's to 1e-9, or the peer is reported as an error. Beside them,
  ``fcnn[fast]``: the same ``fit`` with fcnn's fused compiled step (``FCNN_FUSED=1``,
  compiled outside the clock), compared with each peer as fcnn is.
- ``mnist1d``: a jitted JAX step per mini-batch, and ``torch.compile``.
- ``mnist``: a JAX ``lax.scan`` over an epoch, and ``torch.compile``.
  For both, one SGD step on the first batch from the same weights must give fcnn's
  parameters to 1e-5 (float32), or the peer is reported as an error. Beside them,
  ``fcnn[fast]``: fcnn's ``fit`` with ``FCNN_FUSED=1`` (BLAS's products with the fused
  kernels between them), whose parameters after an epoch must equal the NumPy step's to
  1e-5; it is compared with the peers, the bound and scikit-learn as fcnn is.

Each ratio is fcnn/peer (below 1: fcnn is faster), the median over rounds of the ratio of
the two times taken in the same round, so a slow spell that hits one round hits both sides
of its ratio. A peer whose package is missing, or that is turned off (``--no-jax``,
``--no-numba``, ``--no-torch-compile``), or that fails to build, shows its reason instead.
"""

import contextlib
import os
import statistics
import sys
import time

import numpy as np
import peers
import peers_compiled as pc

# the ratio fcnn/peer each goal of issue 19 asks for (below 1: fcnn faster)
GOALS = {
    ("seed", "jax"): 1.0,  # faster than JAX jit + fori_loop
    ("seed", "fcnn[fast] vs jax"): 1.0,  # ... with fcnn[fast], at <= 8 µs/step (SEED_FAST_US)
    ("mnist1d", "jax"): 1 / 1.3,  # >= 1.3x JAX's jitted step
    ("mnist", "jax"): 1 / 1.2,  # >= 1.2x JAX's scan epoch
    # the same goals for fcnn[fast], and the bound (a stretch) and scikit-learn's
    ("mnist1d", "fcnn[fast] vs jax"): 1 / 1.3,
    ("mnist1d", "fcnn[fast] vs bound"): 1.35,
    ("mnist1d", "fcnn[fast] vs sklearn"): 1 / 2.5,
    ("mnist", "fcnn[fast] vs jax"): 1 / 1.2,
    ("mnist", "fcnn[fast] vs bound"): 1.15,
}
SEED_FAST_US = 8.0  # issue 19: fit with history at <= 8 µs/step with fcnn[fast]
BUILD_S: dict = {}  # seconds to build and compile each peer of the workload last set up
PEER_NAMES = {
    "seed": ("jax", "numba"),
    "mnist1d": ("jax", "torch.compile"),
    "mnist": ("jax", "torch.compile"),
}
FAST_ALSO = ("bound", "sklearn")  # what fcnn[fast] is also compared with, where measured


def add_arguments(p) -> None:
    """The ``--no-jax``, ``--no-numba`` and ``--no-torch-compile`` switches."""
    for name in ("jax", "numba", "torch-compile"):
        p.add_argument(f"--no-{name}", action="store_true", help=f"leave {name} out")


def versions() -> dict:
    """Versions of the optional compiled peers, or "not installed"."""
    return {
        "jax": pc.jax.__version__ if pc.jax else "not installed",
        "numba": pc.numba.__version__ if pc.numba else "not installed",
    }


def _absent(name: str, module, args) -> str | None:
    """Why peer ``name`` is left out, or None where it runs."""
    if getattr(args, "no_" + name.replace(".", "_").replace("-", "_"), False):
        return f"off (--no-{name.replace('.', '-')})"
    return "not installed" if module is None else None


def _build(label: str, make, check) -> object:
    """``make()``'s timer after ``check(timer)`` passes, or a note where either fails."""
    t0 = time.perf_counter()
    try:
        timer = make()
        BUILD_S[label] = time.perf_counter() - t0
        print(f"  {label}: built in {BUILD_S[label]:.1f} s", file=sys.stderr)
        check(timer)
    except AssertionError as err:
        print(f"  {label} disagrees with fcnn: {err}", file=sys.stderr)
        return f"error: disagrees with fcnn: {err}"
    except Exception as err:  # a compiler missing or failing: reported, not raised
        print(f"  {label} not available: {err!r}", file=sys.stderr)
        return f"not available: {type(err).__name__}: {err}"
    return timer


def seed_peers(X: np.ndarray, y: np.ndarray, steps: int, args) -> dict:
    """``{name: timer or note}`` for the seed workload."""
    BUILD_S.clear()
    out = {}
    makers = {
        "jax": (pc.jax, lambda: pc.jax_seed_timer(X, y, steps)),
        "numba": (pc.numba, lambda: pc.numba_seed_timer(X, y, steps)),
    }
    target = _fcnn_seed_loss(X, y, steps)
    for name, (module, make) in makers.items():
        why = _absent(name, module, args)
        out[name] = why or _build(name, make, lambda t, n=name: check_seed(n, X, y, t, target))
    why = _absent("numba", pc.numba, args)
    out["fcnn[fast]"] = why or _build(
        "fcnn[fast]",
        lambda: _fcnn_fast_seed_timer(X, y, steps),
        lambda t: check_seed("fcnn[fast]", X, y, t, target),
    )
    return out


@contextlib.contextmanager
def fused_setting(value: str):
    """``FCNN_FUSED=value`` inside the block, the setting before it after."""
    before = os.environ.get("FCNN_FUSED")
    os.environ["FCNN_FUSED"] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ["FCNN_FUSED"]
        else:
            os.environ["FCNN_FUSED"] = before


class _FastSeed:
    """``timer()``: seconds per step of ``run.fcnn_seed``'s fit with ``FCNN_FUSED=1``;
    ``params``: the seed network's [W1, b1, W2, b2] after the latest run."""

    def __init__(self, X: np.ndarray, y: np.ndarray, steps: int) -> None:
        self.X, self.y, self.steps, self.params = X, y, steps, None

    def __call__(self) -> float:
        with fused_setting("1"):
            net = pc.seed_network(0)
            t0 = time.perf_counter()
            net.fit(self.X, self.y, epochs=self.steps, lr=0.1, optimizer="gd", shuffle=False)
            t = (time.perf_counter() - t0) / self.steps
        self.params = [a for pair in zip(net.weights, net.biases, strict=True) for a in pair]
        return t


def _fcnn_fast_seed_timer(X: np.ndarray, y: np.ndarray, steps: int) -> _FastSeed:
    """The ``fcnn[fast]`` timer, its kernel compiled (or loaded from numba's cache) and
    checked to take the run's step."""
    timer = _FastSeed(X, y, 1)
    timer()  # the compile, outside the clock
    timer.steps = steps
    timer()
    return timer


def _fcnn_seed_loss(X: np.ndarray, y: np.ndarray, steps: int) -> float:
    """fcnn's loss after ``steps`` gd steps of ``run.fcnn_seed``'s network."""
    net = pc.seed_network()
    net.fit(X, y, epochs=steps, lr=0.1, batch_size=None, optimizer="gd", shuffle=False)
    return net.loss(X, y)


def check_seed(name: str, X, y, timer, target: float, tol: float = 1e-9) -> None:
    """Assert that the peer's loss after its run equals fcnn's to ``tol``; print both."""
    loss = pc.seed_loss(X, y, timer.params)
    diff = abs(loss - target)
    verdict = "OK" if diff <= tol else "FAILED"
    print(
        f"check: {name} seed loss after the run {loss:.16g}, fcnn {target:.16g}, "
        f"|diff| {diff:.1e} <= {tol:g}: {verdict}"
    )
    assert diff <= tol, f"loss {loss!r} vs fcnn's {target!r}"


def mlp_peers(
    X: np.ndarray, y: np.ndarray, sizes, epochs: int, scan: bool, args, fcnn_timer
) -> dict:
    """``{name: timer or note}`` for the ``mnist1d`` (``scan=False``) and ``mnist`` workloads;
    ``fcnn_timer()`` times fcnn's run, which ``fcnn[fast]`` repeats with ``FCNN_FUSED=1``."""
    makers = {
        "jax": (pc.jax, lambda: pc.jax_mlp_timer(X, y, sizes, epochs, scan=scan)),
        "torch.compile": (peers.torch, lambda: pc.torch_compiled_timer(X, y, sizes, epochs)),
    }
    BUILD_S.clear()
    checks = {
        "jax": lambda t: check_mlp("jax", X, y, sizes, pc.jax_gradients),
        "torch.compile": lambda t: check_mlp("torch.compile", X, y, sizes, t.gradients),
    }
    out = {}
    for name, (module, make) in makers.items():
        out[name] = _absent(name, module, args) or _build(name, make, checks[name])
    out["fcnn[fast]"] = _absent("numba", pc.numba, args) or _build(
        "fcnn[fast]", lambda: _fcnn_fast_timer(fcnn_timer), lambda t: check_fast_mlp(X, y, sizes)
    )
    return out


def _fcnn_fast_timer(fcnn_timer):
    """``fcnn_timer`` with ``FCNN_FUSED=1``, its kernels compiled (or loaded from numba's
    cache) by a first run outside the clock."""

    def timer() -> float:
        with fused_setting("1"):
            return fcnn_timer()

    timer()
    return timer


def check_fast_mlp(X, y, sizes, tol: float = 1e-5) -> None:
    """Assert that an epoch of fcnn's benchmark fit with ``FCNN_FUSED=1`` leaves the
    parameters of the NumPy step's to ``tol`` relative to the largest, and not the very same
    ones (which would mean the kernels were not taken)."""
    import fcnn

    params = []
    for setting in ("0", "1"):
        net = fcnn.Network(
            list(sizes), activation="tanh", output="softmax", dtype="float32", seed=0
        )
        with fused_setting(setting):
            net.fit(X, y, epochs=1, lr=0.01, batch_size=128, optimizer="sgd", shuffle=True)
        params.append(net.params)
    diff = float(np.max(np.abs(params[1] - params[0])) / np.max(np.abs(params[0])))
    verdict = "OK" if 0 < diff <= tol else "FAILED"
    print(
        f"check: fcnn[fast] parameters after an epoch vs the NumPy step's, relative {diff:.1e}"
        f" in (0, {tol:g}]: {verdict}"
    )
    assert diff > 0, "the same parameters to the bit: the fused kernels were not taken"
    assert diff <= tol, f"relative parameter difference {diff:.2e}"


def check_mlp(name: str, X, y, sizes, gradients, batch: int = 128, tol: float = 1e-5) -> None:
    """Assert that the peer's gradient on the first batch, at fcnn's initial float32
    weights, equals ``Network.gradients`` to ``tol`` relative to its largest entry."""
    import fcnn

    net = fcnn.Network(list(sizes), activation="tanh", output="softmax", dtype="float32", seed=0)
    Xb, yb = X[:batch], y[:batch]
    mine = net.gradients(Xb, yb)
    theirs = gradients(
        [np.array(W) for W in net.weights], [np.array(b) for b in net.biases], Xb, yb
    )
    diff = max(
        float(np.max(np.abs(a - b)) / np.max(np.abs(a)))
        for ours, peer in zip(mine, theirs, strict=True)
        for a, b in zip(ours, peer, strict=True)
    )
    verdict = "OK" if diff <= tol else "FAILED"
    print(
        f"check: {name} gradient on one batch vs fcnn's, relative {diff:.1e} <= {tol:g}: {verdict}"
    )
    assert diff <= tol, f"relative gradient difference {diff:.2e}"


# ---- per-round ratios and their table ----


def round_ratios(workload: str, cells: dict) -> dict:
    """``{peer: {"ratio": median of fcnn/peer per round, "goal": ..., "result": ...}}`` for
    the compiled peers of ``workload`` that ran; the rounds of ``measure`` line up by index."""
    out = {}
    mine = cells["fcnn"].get("runs")
    for name in PEER_NAMES.get(workload, ()):
        theirs = cells.get(name, {}).get("runs")
        if not mine or not theirs or len(theirs) != len(mine):
            continue
        ratio = statistics.median(a / b for a, b in zip(mine, theirs, strict=True))
        goal = GOALS.get((workload, name))
        result = None if goal is None else ("PASS" if ratio <= goal else "MISS")
        out[name] = {"ratio": ratio, "goal": goal, "result": result, "build_s": BUILD_S.get(name)}
    fast = cells.get("fcnn[fast]", {}).get("runs")
    for name in (*PEER_NAMES.get(workload, ()), *FAST_ALSO) if fast else ():
        theirs = cells.get(name, {}).get("runs")
        if not theirs or len(theirs) != len(fast):
            continue
        ratio = statistics.median(a / b for a, b in zip(fast, theirs, strict=True))
        key = f"fcnn[fast] vs {name}"
        goal = GOALS.get((workload, key))
        result = None
        if goal is not None:
            us = statistics.median(fast) * 1e6 if workload == "seed" else 0.0
            result = "PASS" if ratio <= goal and us <= SEED_FAST_US else "MISS"
        out[key] = {"ratio": ratio, "goal": goal, "result": result}
        out[key]["build_s"] = BUILD_S.get("fcnn[fast]")
    return out


def peer_table(rows: list) -> list[list[str]]:
    """One line per workload and compiled peer: medians, fcnn/peer, issue 19's goal."""
    head = [
        "workload",
        "unit",
        "peer",
        "build s",
        "fcnn",
        "peer time",
        "fcnn/peer",
        "goal",
        "result",
    ]
    out = [head]
    for r in rows:
        c, scale = r["cells"], r["scale"]
        names = list(PEER_NAMES.get(r["workload"], ()))
        names += [k for k in r.get("peer_ratios", {}) if k not in names]
        for name in names:
            mine, peer = name.split(" vs ") if " vs " in name else ("fcnn", name)
            cell = c.get(peer, {"median": None, "note": "n/a"})
            rat = r.get("peer_ratios", {}).get(name, {})
            goal = GOALS.get((r["workload"], name))
            out.append(
                [
                    r["workload"],
                    r["unit"],
                    _label(r["workload"], peer) + ("" if mine == "fcnn" else f" ({mine})"),
                    _fmt(rat.get("build_s")),
                    _fmt(c.get(mine, {}).get("median"), scale),
                    _fmt(cell["median"], scale) if cell["median"] else cell["note"][:60],
                    _fmt(rat.get("ratio")),
                    "-" if goal is None else f"{mine}/peer <= {goal:.3g}",
                    rat.get("result") or ("-" if goal is None else "unjudged"),
                ]
            )
    return out


def _label(workload: str, name: str) -> str:
    if name == "jax":
        return {"seed": "JAX jit+fori_loop", "mnist": "JAX scan epoch"}.get(
            workload, "JAX jitted step"
        )
    return {"numba": "numba fused loop"}.get(name, name)


def _fmt(v, scale: float = 1.0) -> str:
    return "n/a" if v is None else f"{v * scale:.4g}"


def print_peer_table(rows: list) -> None:
    """The compiled peers' table, under the main one (nothing if no workload has them)."""
    lines = peer_table(rows)
    if len(lines) == 1:
        return
    print("\ncompiled peers (fcnn/peer: median of per-round ratios; below 1: fcnn faster)")
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for i, line in enumerate(lines):
        print("  ".join(s.ljust(w) for s, w in zip(line, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
