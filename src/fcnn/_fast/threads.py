"""How many BLAS threads a run's products get: chosen by size once per run, never per product.

A network of fcnn's usual sizes multiplies matrices far below OpenBLAS's parallel grain: a
second thread buys 5-25% on a quiet machine and costs 2-30x when other processes hold the
cores (the thread waits for a core at every product, issue 19). So a run whose largest
product is small takes one thread, and only a run whose products are large enough to pay
takes more, one per :data:`GRAIN` multiply-adds.

A busy machine lowers the count too: a run takes no more threads than the cores the
1-minute load average leaves spare (:func:`spare_cores`). An outer limit always wins: the
count in force when the run starts (a user's ``threadpoolctl.threadpool_limits``,
``OPENBLAS_NUM_THREADS``, a sweep worker pinned to one thread) is the most a run takes, and
it is restored when the run ends. The count is process-wide, as threadpoolctl's is: other
threads of the process that multiply matrices during the run get it too.

The switch is one call into the OpenBLAS that NumPy loaded (the library
``fcnn._fast.blas`` finds), about 2.6 µs; a ``threadpool_limits`` block costs ~318 µs, so
neither is paid per product. Where that library is not found (another BLAS, no
threadpoolctl), or with ``FCNN_THREAD_POLICY=0`` when fcnn first looks, :func:`limited`
leaves the thread count alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from . import blas

# multiply-adds of the largest product per thread it is given: below 2 x GRAIN one thread
# (the seed network's 2 x 3 x 200 and a 64-unit layer on batches of 32 take one; MNIST-1D's
# 100 x 101 x 128 = 1.3e6 two, which buy 7% on a quiet machine: docs/performance.md); on a
# busy machine spare_cores caps it
GRAIN = 600_000
# multiply-adds of forward work per step a population's thread must have (``fcnn.Population``
# with the fused kernel, members split between threads): ~50 µs of the kernel, well above the
# ~10-20 µs a hand-off to another thread costs
MEMBER_GRAIN = 60_000
_PREFIXES = ("scipy_openblas_", "openblas_")  # NumPy >= 2.0 wheels, NumPy 1.2x wheels


Controls = tuple[Callable[[], int], Callable[[int], None]]


POLICY = {"1": False, "on": False, "yes": False, "0": True, "off": True, "no": True}


def policy_off() -> bool:
    """Whether ``FCNN_THREAD_POLICY=0`` (or ``off``, ``no``) leaves every thread count
    alone; a value that is no setting is refused, not taken as on."""
    value = os.environ.get("FCNN_THREAD_POLICY", "1").strip().lower() or "1"
    if value not in POLICY:
        raise ValueError(
            f"FCNN_THREAD_POLICY={os.environ['FCNN_THREAD_POLICY']!r} is not a setting: use 1 "
            "(fcnn picks the BLAS thread count by size; the default) or 0 (leave it alone)"
        )
    return POLICY[value]


def _thread_functions(lib: ctypes.CDLL, suffixes: Sequence[str]) -> Controls | None:
    """``(get, set)`` of an OpenBLAS's thread count, by the names its builds export
    (``<prefix>get_num_threads<suffix>``), or None where it has neither pair."""
    for prefix in _PREFIXES:
        for suffix in suffixes:
            get = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
            put = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
            if get is not None and put is not None:
                get.restype, get.argtypes = ctypes.c_int, []
                put.restype, put.argtypes = None, [ctypes.c_int]
                return get, put
    return None


@functools.cache
def _controls() -> Controls | None:
    """``(get, set)`` of the thread count of NumPy's OpenBLAS, or None where not found."""
    if policy_off():
        return None
    lib = blas._numpy_openblas()
    return None if lib is None else _thread_functions(lib, ("64_",))


def available() -> bool:
    """Whether fcnn can read and set the thread count of NumPy's BLAS here."""
    return _controls() is not None


def current() -> int | None:
    """The thread count NumPy's BLAS uses now, or None where it cannot be read."""
    controls = _controls()
    return None if controls is None else int(controls[0]())


def largest_product(sizes: Sequence[int], batch: int) -> int:
    """Multiply-adds of a step's largest product, ``n_k (n_{k-1} + 1) B`` over the layers
    (the forward ``[W | b] [h; 1]`` and the gradient ``g [h; 1]ᵀ`` have the same count)."""
    return max(n * (m + 1) * batch for m, n in zip(sizes[:-1], sizes[1:], strict=False))


def choose(sizes: Sequence[int], batch: int, limit: int) -> int:
    """The thread count for a network of layer ``sizes`` on batches of ``batch`` samples,
    at most ``limit`` (the outer limit): one per :data:`GRAIN` multiply-adds of the largest
    product, at least one."""
    if limit < 1:
        raise ValueError(f"the thread limit must be at least 1, got {limit}")
    return max(1, min(limit, largest_product(sizes, batch) // GRAIN))


@functools.cache
def _cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def spare_cores(
    load: float | None = None, cores: int | None = None, others: int | None = None
) -> int:
    """How many cores a run may use, at least 1: the process's ``cores`` less the threads
    of ``others`` processes runnable now (:func:`others_running`, read when neither
    ``others`` nor ``load`` is given). Where they cannot be read, the 1-minute load average
    ``load`` (``os.getloadavg``) beyond one process, rounded, stands in; it lags a minute
    behind a load that starts or ends, the count does not. On a busy machine a second BLAS
    thread waits for a core at every product (2-14x slower on the development machine,
    docs/performance.md)."""
    cores = _cores() if cores is None else cores
    if others is None and load is None:
        others = _others_recently()
    if others is not None:
        return max(1, min(cores, cores - others))
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # no load average here (Windows)
            return cores
    # rounded, not floored: the average counts the process's own last run, so a quiet
    # machine right after a run (load 1.2 on 2 cores) keeps its cores
    return max(1, min(cores, cores - int(max(0.0, load - 1.0) + 0.5)))


_recent: list = [-1e9, None]  # (time.monotonic() of the last reading, its count)


def _others_recently(within: float = 1.0) -> int | None:
    """:func:`others_running`, read again only after ``within`` seconds: a loop of short
    fits (a warm start) pays its 2.5 ms once a second, not once a fit."""
    now = time.monotonic()
    if now - _recent[0] > within:
        _recent[:] = now, others_running()
    return _recent[1]


def others_running(samples: int = 5, gap: float = 5e-4) -> int | None:
    """The threads of other processes runnable throughout ``samples`` readings, ``gap``
    seconds apart (the fewest seen: a kernel thread's blip is not a load): the machine's
    runnable threads (/proc/loadavg) less this process's (its BLAS threads may still spin
    after a product, /proc/self/task/*/stat). None where those files are not (not Linux)."""
    fewest = None
    for i in range(samples):
        try:
            with open("/proc/loadavg", "rb") as f:
                machine = int(f.read().split()[3].split(b"/")[0])
            mine = sum(_runnable(task) for task in os.scandir("/proc/self/task"))
        except (OSError, IndexError, ValueError):
            return None
        fewest = machine - mine if fewest is None else min(fewest, machine - mine)
        if i + 1 < samples:
            time.sleep(gap)
    return max(0, fewest or 0)


def _runnable(task: os.DirEntry) -> bool:
    """Whether the thread ``/proc/self/task/<tid>`` is runnable (state R)."""
    try:
        with open(os.path.join(task.path, "stat"), "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"R"
    except (OSError, IndexError):
        return False


class limited:  # noqa: N801 - used as a function, ``with limited(sizes, B):``
    """Run the block with the thread count :func:`choose` picks under the count in force
    on entry (the outer limit), and restore that count on exit. ``as`` gives the count
    chosen, or None where the count cannot be set (nothing is changed then). A class, not a
    generator: entering and leaving cost about 1 µs plus the two switches."""

    __slots__ = ("sizes", "batch", "outer")

    def __init__(self, sizes: Sequence[int], batch: int) -> None:
        self.sizes, self.batch, self.outer = sizes, batch, None

    def __enter__(self) -> int | None:
        controls = _controls()
        if controls is None:
            return None
        get, put = controls
        outer = int(get())
        sizes = tuple(self.sizes)
        chosen = _choice(sizes, self.batch, max(1, outer))
        if chosen > 1:  # only a run that would take more than one thread asks about the load
            chosen = _choice(sizes, self.batch, max(1, min(outer, spare_cores())))
        if chosen != outer:
            put(chosen)
            self.outer = outer
        return chosen

    def __exit__(self, *exc: object) -> None:
        if self.outer is not None:
            _controls()[1](self.outer)
            self.outer = None


def for_members(work: int, busy: int = 0) -> int:
    """How many threads share a population's members in the fused kernel, at ``work``
    forward multiply-adds of all members per step: one per :data:`MEMBER_GRAIN`, no more
    than the BLAS count in force (the outer limit, as for :class:`limited`) nor the
    process's cores less the ``busy`` threads of its other population fits. One where fcnn
    cannot read the BLAS count (another BLAS, ``FCNN_THREAD_POLICY=0``): no outer limit is
    known there.

    Unlike BLAS threads, which wait for each other at every product (so a busy core stalls
    them all: :func:`spare_cores` caps those), the shares never wait for each other: on a
    busy machine each gets its fair part of the cores, and more shares get more. Measured
    (``docs/performance.md``): K = 256 seed networks with 4 other threads running, 670 ms on
    one thread and 317 ms on two."""
    outer = current()
    if outer is None or outer <= 1 or work < 2 * MEMBER_GRAIN:
        return 1
    return max(1, min(outer, _cores() - busy, work // MEMBER_GRAIN))


_members_lock = threading.Lock()
_members_busy = [0]  # the threads this process's population fits hold now


@contextlib.contextmanager
def members(work: int) -> Iterator[int]:
    """:func:`for_members`' count for a population fit of ``work`` multiply-adds a step,
    held for the block: population fits running at once in one process (threads of a
    user's, a Dask worker's) share its cores instead of each taking them all."""
    with _members_lock:
        count = for_members(work, _members_busy[0]) if work else 1
        _members_busy[0] += count
    try:
        yield count
    finally:
        with _members_lock:
            _members_busy[0] -= count


@functools.lru_cache(maxsize=64)
def _choice(sizes: tuple[int, ...], batch: int, limit: int) -> int:
    return choose(sizes, batch, limit)


@functools.cache
def _other_controls() -> tuple[Controls, ...]:
    """``(get, set)`` of each OpenBLAS other than NumPy's loaded when first asked (scipy's
    own, which ``fcnn.sklearn``'s L-BFGS-B calls; it is loaded with ``scipy.optimize``)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ()
    numpy_lib = blas._numpy_openblas()
    mine = None if numpy_lib is None else os.path.realpath(numpy_lib._name)
    found = []
    try:
        for info in threadpool_info():
            path = info.get("filepath") or ""
            if info.get("internal_api") != "openblas" or os.path.realpath(path) == mine:
                continue
            controls = _thread_functions(ctypes.CDLL(path), ("", "64_"))
            if controls is not None:
                found.append(controls)
    except (OSError, ValueError, RuntimeError):
        return ()
    return tuple(found)


@contextlib.contextmanager
def others_limited(limit: int = 1) -> Iterator[int]:
    """Hold the OpenBLAS libraries other than NumPy's to at most ``limit`` threads in the
    block (scipy's own, which L-BFGS-B calls on vectors of ``n_params`` numbers: far below
    any parallel grain, and slowed by a second thread on a busy machine); their counts are
    restored on exit. ``as`` gives how many were limited (0 with ``FCNN_THREAD_POLICY=0``)."""
    changed = []
    if not policy_off():
        for get, put in _other_controls():
            count = int(get())
            if count > limit:
                put(limit)
                changed.append((put, count))
    try:
        yield len(changed)
    finally:
        for put, count in changed:
            put(count)
