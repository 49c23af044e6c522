"""One process owns a run folder at a time: an exclusive ``fcntl.flock`` on the lock file
``.fcnn-lock`` inside it, which the OS releases when the process ends, however it ends. A
second run (or a resume) of the folder is refused at once with a :class:`RunFolderBusyError`
naming the process that holds it (its PID is written into the lock file); a lock left by a
killed process blocks nothing, since its flock died with it.

:func:`hold` is the context manager; ``fcnn.runs.start`` holds it around a whole run, and a
sweep can hold it around anything that writes into a run folder.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import FCNNError

LOCK = ".fcnn-lock"


class RunFolderBusyError(FCNNError, BlockingIOError):
    """Another process is running in the run folder; ``pid`` names it (None if unknown)."""

    def __init__(self, message: str, pid: int | None = None) -> None:
        super().__init__(message)
        self.pid = pid


def _holder(path: Path, wait: float = 0.5) -> int | None:
    """The PID the holder wrote into the lock file; it writes it just after taking the lock,
    so an empty file is read again for up to ``wait`` seconds."""
    end = time.monotonic() + wait
    while True:
        try:
            text = path.read_text().split()
            if text:
                return int(text[0])
        except (OSError, ValueError):
            return None
        if time.monotonic() >= end:
            return None
        time.sleep(0.01)


def _acquire(path: Path) -> int:
    """A file descriptor of ``path`` holding its exclusive flock; the path still names the
    locked file (a holder that removed it on release did not leave us a stale inode)."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            pid = _holder(path)
            who = f"process {pid}" if pid else "another process"
            raise RunFolderBusyError(
                f"run folder {path.parent} is in use by {who} (a run or a resume in it); wait "
                f"for it to end, or stop it"
                + (f" (kill {pid})" if pid else "")
                + ", then try again",
                pid,
            ) from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the file was removed (and maybe replaced) meanwhile: lock the new one


@contextmanager
def hold(folder: str | os.PathLike[str], *, create: bool = False) -> Iterator[Path]:
    """Own ``folder`` while the block runs: take the lock in ``folder/.fcnn-lock`` or raise
    :class:`RunFolderBusyError` at once. ``create`` makes the folder first where it is
    missing (it is removed again on the way out if nothing but the lock was put there).
    On exit the lock file is removed and the lock released."""
    folder = Path(folder)
    made = False
    if create and not folder.exists():
        try:
            folder.mkdir(parents=True)
            made = True
        except FileExistsError:
            pass
        except OSError as exc:
            raise OSError(
                exc.errno,
                f"cannot create the run folder {folder}: {exc.strerror or exc}; choose a "
                "folder you can write to (--out)",
            ) from exc
    if not folder.is_dir():
        raise FileNotFoundError(2, "no such run folder", str(folder))
    path = folder / LOCK
    fd = _acquire(path)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {' '.join(sys.argv[:3])}\n".encode(), 0)
        yield folder
    finally:
        try:
            path.unlink(missing_ok=True)  # removed while still locked: see _acquire
        finally:
            os.close(fd)
        if made:
            try:
                folder.rmdir()  # only if empty: a run that stopped before writing anything
            except OSError:
                pass
