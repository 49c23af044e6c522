"""Ctrl-C while the ``fcnn`` command is still starting (importing NumPy, matplotlib, ...):
one line on stderr, not a traceback. The package's first import installs this only when the
process is the ``fcnn`` command (the console script, or ``python -m fcnn``), never in a
program that imports fcnn as a library."""

from __future__ import annotations

import os
import sys
from types import TracebackType


def _is_fcnn_command() -> bool:
    argv0 = sys.argv[0] if sys.argv else ""
    # "-m" while python -m locates the module it runs: the fcnn package is being imported
    # for it; the console script is named fcnn
    return argv0 == "-m" or os.path.basename(argv0) in ("fcnn", "fcnn.exe", "fcnn-script.py")


def _hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        print("fcnn: interrupted", file=sys.stderr)
        return
    _previous(kind, exc, tb)


_previous = sys.excepthook


def install() -> None:
    """Print one line for a KeyboardInterrupt that ends the ``fcnn`` command, wherever it
    comes from (an import at start-up, too)."""
    global _previous
    if _is_fcnn_command() and sys.excepthook is not _hook:
        _previous = sys.excepthook
        sys.excepthook = _hook


install()  # on the package's first import, before NumPy is imported
