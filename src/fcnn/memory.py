"""How much memory fcnn may ask for, and the check made before a large allocation.

A header (.npy, .npz, CSV labels) or a network's sizes can ask for more memory than the
machine has: fcnn estimates the bytes first and raises :class:`fcnn.MemoryLimitError` (a
``ValueError``) naming the estimate and the limit, instead of failing inside NumPy with a
``MemoryError`` after gigabytes were taken. The limit is, in order:

1. the ``limit`` of an enclosing ``with fcnn.memory_limit(...)`` block (the library argument);
2. the environment variable ``FCNN_MEMORY_LIMIT`` (bytes, or a number with K, M, G or T);
3. the memory available to the process: the smaller of ``MemAvailable`` in /proc/meminfo
   and the cgroup limit (/sys/fs/cgroup/memory.max less memory.current), else the
   machine's physical memory.

Without a limit of the first two kinds, a request of at most :data:`FLOOR` (64 MiB) is not
checked: reading the free memory costs more than building a small network, and no machine
that runs fcnn lacks 64 MiB for long. A limit that is set applies to every request.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
from collections.abc import Iterator
from pathlib import Path

from .errors import MemoryLimitError

__all__ = ["available", "check", "limit", "memory_limit", "parse_size"]

ENV = "FCNN_MEMORY_LIMIT"
#: requests up to this size are checked only against a limit that is set (see the module)
FLOOR = 64 * 1024**2
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_override: contextvars.ContextVar[int | None] = contextvars.ContextVar("fcnn_memory", default=None)


def parse_size(text: str | int) -> int:
    """Bytes from ``text``: ``"123"``, ``"512M"``, ``"2G"``, ``"1.5G"`` (K/M/G/T are
    powers of 1024, an optional trailing ``B`` or ``iB``); ``ValueError`` otherwise."""
    if isinstance(text, int) and not isinstance(text, bool) and text > 0:
        return text
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(?:i?B)?\s*", str(text), re.I)
    if match is None or float(match[1]) <= 0:
        raise ValueError(
            f"memory limit {text!r} is not a size; give bytes, or a number with K, M, G or T "
            "(e.g. 512M, 8G)"
        )
    return int(float(match[1]) * _UNITS[match[2].upper()])


def _meminfo_available() -> int | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    match = re.search(r"^MemAvailable:\s+(\d+) kB", text, re.M)
    return int(match[1]) * 1024 if match else None


def _cgroup_available() -> int | None:
    try:
        raw = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return None
    if raw == "max" or not raw.isdigit():
        return None
    try:
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
    except (OSError, ValueError):
        used = 0
    return max(int(raw) - used, 0)


def available() -> int:
    """Bytes available to this process: the smaller of MemAvailable and the cgroup's room,
    else the physical memory."""
    found = [n for n in (_meminfo_available(), _cgroup_available()) if n is not None]
    if found:
        return min(found)
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**63 - 1


def _set_limit() -> int | None:
    """The limit the user set: ``memory_limit``'s, else ``FCNN_MEMORY_LIMIT``'s, else None."""
    value = _override.get()
    if value is not None:
        return value
    env = os.environ.get(ENV)
    if env:
        try:
            return parse_size(env)
        except ValueError as exc:
            raise ValueError(f"{ENV}: {exc}") from None
    return None


def limit() -> int:
    """The limit in force: ``memory_limit``'s, else ``FCNN_MEMORY_LIMIT``'s, else
    :func:`available`."""
    value = _set_limit()
    return available() if value is None else value


@contextlib.contextmanager
def memory_limit(nbytes: int | str | None) -> Iterator[int | None]:
    """Within the block, fcnn refuses what needs more than ``nbytes`` (an int, or a size
    such as ``"8G"``); None: the default limit (``FCNN_MEMORY_LIMIT``, else what is free)."""
    token = _override.set(None if nbytes is None else parse_size(nbytes))
    try:
        yield _override.get()
    finally:
        _override.reset(token)


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.3g} EiB"


def check(nbytes: int | float, what: str, fix: str = "") -> None:
    """Raise :class:`fcnn.MemoryLimitError` when ``what`` needs ``nbytes``, more than
    :func:`limit`; ``fix`` says how to ask for less. Up to :data:`FLOOR` bytes only a
    limit that is set (``memory_limit``, ``FCNN_MEMORY_LIMIT``) is checked."""
    cap = _set_limit()
    if cap is None:
        if nbytes <= FLOOR:
            return
        cap = available()
    if nbytes > cap:
        hint = f"{fix}; or " if fix else ""
        raise MemoryLimitError(
            f"{what} would take about {_size(nbytes)}, over the {_size(cap)} of memory available "
            f"to fcnn; {hint}raise the limit with {ENV} (e.g. {ENV}=64G) or "
            "fcnn.memory_limit(...)",
            int(nbytes),
            cap,
        )
