"""The ``fcnn`` command: ``train``, ``evaluate``, ``predict``, ``gradcheck``, ``export``,
``explain``, ``report`` and ``docs``.

:func:`main` parses the arguments (:mod:`~fcnn.cli.parser`, whose config flags come from one
table, :mod:`~fcnn.cli.flags`), runs a command of :mod:`~fcnn.cli.commands` and turns every
error a user can cause into one line on stderr. The configuration lives in
``fcnn.runs.config``, run folders in ``fcnn.runs``, the math in the library.

Exit codes: 0 success; 1 a failure at run time (divergence, a failed gradient check, an
internal error); 2 a usage or input error; 130 interrupted (a checkpoint was saved).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

from .. import _startup
from ..errors import DivergenceError, FCNNError
from .commands import FAILED, INTERRUPTED, USAGE
from .parser import build_parser

__all__ = ["build_parser", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the ``fcnn`` command with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    _startup.started()
    previous = _terminate_as_interrupt()
    try:
        return _main(argv)
    except KeyboardInterrupt:  # before a command runs: building the parser, say
        print("fcnn: interrupted", file=sys.stderr)
        return INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _terminate_as_interrupt() -> Any:
    """SIGTERM stops a command as Ctrl-C does (one line and, for a run, the resume command),
    also outside the training loop, whose own handler (SignalStop) comes and goes inside it;
    the previous handler, or None where signals cannot be set (not the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _interrupt)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else USAGE
    try:
        return args.run(args)
    except DivergenceError as exc:
        return _fail(exc, FAILED)
    except BrokenPipeError:  # the reader went away (fcnn evaluate ... | head): end quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the flush at exit does not fail again
        return FAILED
    except (FCNNError, ValueError, OSError) as exc:
        return _fail(exc, USAGE)
    except ImportError as exc:  # an optional dependency, e.g. scikit-learn for digits
        return _fail(exc, FAILED)
    except KeyboardInterrupt:
        print("fcnn: interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception as exc:
        if os.environ.get("FCNN_DEBUG"):
            raise
        print(
            f"fcnn: internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(set FCNN_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return FAILED


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror + (f": {exc.filename}" if exc.filename else "")
    return " ".join(text.split()) or type(exc).__name__


def _fail(exc: BaseException, code: int) -> int:
    print(f"fcnn: error: {_one_line(exc)}", file=sys.stderr)
    return code
