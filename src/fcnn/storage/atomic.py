"""Atomic writes: a reader sees the old file or the new one, never half of one.

A file is written to a temporary file beside it, fsynced, renamed over the target with
``os.replace`` and the folder fsynced. If anything fails the temporary file is removed, the
target is left as it was, and the ``OSError`` is raised again with a message that names the
file, the fix and what is left. Every file fcnn writes goes through here (``docs/reliability.md``).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_WRITE_PROBLEMS = {
    errno.ENOSPC: "no space left on device while writing {path}; free space and retry",
    getattr(errno, "EDQUOT", -1): "disk quota exceeded while writing {path}; free space and retry",
    errno.EACCES: "permission denied writing {path}; choose a folder you can write to",
    errno.EPERM: "permission denied writing {path}; choose a folder you can write to",
    errno.EROFS: "read-only file system: cannot write {path}; choose a writable folder",
    errno.ENOENT: "folder {folder} does not exist; create it first, then write {path}",
}


def _explain_write_error(exc: OSError, path: Path) -> OSError:
    """The same kind of OSError, with a message that names ``path``, the fix and what is left."""
    template = _WRITE_PROBLEMS.get(exc.errno, "could not write {path}: {reason}")
    if exc.errno == errno.ENOENT and os.path.isdir(path.parent):
        template = "could not write {path}: {reason}"
    problem = template.format(path=path, folder=path.parent, reason=exc.strerror or exc)
    left = "the previous file is intact" if os.path.exists(path) else "no file was created"
    message = f"{problem} ({left})"
    return OSError(exc.errno, message) if exc.errno is not None else OSError(message)


def _new_file_mode(path: Path) -> int:
    """Permission bits for the result: those of the file we replace, else 0o666 less umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable; skipped where folders cannot be opened or synced (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the rename itself already happened
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it atomically replaces ``path``.

    For writers that need a filename (``fig.savefig(tmp)``). The temporary name keeps the
    suffix of ``path`` so that such writers pick the right format. After the block the file is
    fsynced, renamed over ``path`` with ``os.replace`` and the folder is fsynced. If anything
    fails, the temporary file is removed and ``path`` is left exactly as it was; an ``OSError``
    is re-raised with a message naming ``path`` and the fix.
    """
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(
            # the stem cut short, so that a name near the file system's limit still fits
            dir=path.parent,
            prefix=f".{path.stem[:64]}.",
            suffix=f".tmp{path.suffix}",
        )
    except OSError as exc:
        raise _explain_write_error(exc, path) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _explain_write_error(exc, path) from exc
        raise
    _fsync_folder(path.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: readers see the old file or the new, never half."""
    with atomic_path(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | getattr(os, "O_BINARY", 0))
        try:
            view = memoryview(data)
            while len(view):
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically (no newline translation)."""
    atomic_write_bytes(path, text.encode(encoding))
