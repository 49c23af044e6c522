"""Ctrl-C while the ``fcnn`` command is still starting (importing NumPy, matplotlib, ...):
one line on stderr, not a traceback. The package's first import installs this only when the
process is the ``fcnn`` command (the console script, or ``python -m fcnn``), never in a
program that imports fcnn as a library.

A KeyboardInterrupt may not survive an import: NumPy turns one that lands while its C core
imports into an ImportError about the installation. So until :func:`started` (the command's
``main``, which handles Ctrl-C itself) a SIGINT is also recorded, and whatever exception then
ends the process is reported as the interruption it came from.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType, TracebackType

_interrupted = [False]  # a SIGINT arrived while the command was starting


def _is_fcnn_command() -> bool:
    argv0 = sys.argv[0] if sys.argv else ""
    # "-m" while python -m locates the module it runs: the fcnn package is being imported
    # for it; the console script is named fcnn
    return argv0 == "-m" or os.path.basename(argv0) in ("fcnn", "fcnn.exe", "fcnn-script.py")


def _hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt) or _interrupted[0]:
        print("fcnn: interrupted", file=sys.stderr)
        return
    _previous(kind, exc, tb)


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _interrupted[0] = True
    raise KeyboardInterrupt


_previous = sys.excepthook


def install() -> None:
    """Print one line for a KeyboardInterrupt that ends the ``fcnn`` command, wherever it
    comes from (an import at start-up, too), and record a SIGINT until :func:`started`."""
    global _previous
    if _is_fcnn_command() and sys.excepthook is not _hook:
        _previous = sys.excepthook
        sys.excepthook = _hook
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _on_sigint)


def started() -> None:
    """The command runs: from here its own handlers answer Ctrl-C (Python's default again)."""
    if signal.getsignal(signal.SIGINT) is _on_sigint:
        signal.signal(signal.SIGINT, signal.default_int_handler)


install()  # on the package's first import, before NumPy is imported
