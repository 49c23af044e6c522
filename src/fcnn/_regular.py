"""Regular files only: a model, data or config path that names a FIFO, a device or a socket
(or a symlink to one) is refused before it is opened, so that reading it can neither hang
(a FIFO with no writer) nor run on without end (``/dev/zero``)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str:
    """What ``mode`` (``os.stat().st_mode``) names, in words: "a FIFO (named pipe)", ..."""
    if stat.S_ISDIR(mode):
        return "a folder"
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def not_regular(path: str | os.PathLike[str]) -> str | None:
    """None when ``path`` is a regular file (symlinks followed) or does not exist, else what
    it is in words (``"a FIFO (named pipe)"``, ``"a character device"``, ``"a folder"``)."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    return None if stat.S_ISREG(mode) else file_kind(mode)


def open_regular(path: str | os.PathLike[str]) -> int:
    """A read-only file descriptor of ``path``, checked to be a regular file after opening
    (no race with a file swapped in between): ``O_NONBLOCK`` keeps a FIFO from blocking the
    open. Raises ``FileNotFoundError``/``IsADirectoryError`` and ``ValueError`` naming what
    the path is instead."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory", str(path))
        if not stat.S_ISREG(mode):
            raise ValueError(f"{Path(path)} is {file_kind(mode)}, not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd
