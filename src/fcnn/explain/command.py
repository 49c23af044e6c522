"""``fcnn explain RUN_FOLDER | --config FILE``: the command's parser and what it does.

``fcnn.cli`` adds the subcommand with :func:`build_parser` and :data:`EPILOG`, to run
:func:`run`; errors are raised as ``ValueError``/``OSError``, which ``fcnn.cli.main`` turns
into one line.
"""

from __future__ import annotations

import argparse

from ..runs import config
from . import FORMATS, ledger, render
from .source import from_config, from_run

OK = 0


#: the closing words of ``fcnn explain --help``
EPILOG = (
    "Prints every line of seed 002's Algorithms 1 and 2 for the first batch of an epoch: "
    "the equation, the shapes and the matrices, a finite-difference check beside each "
    "gradient, then the update W <- W - alpha grad W. See docs/seeing-inside.md."
)


def _samples(text: str) -> list[int]:
    try:
        rows = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--samples takes row numbers separated by commas, e.g. 0,1; got {text!r}"
        ) from None
    if not rows:
        raise argparse.ArgumentTypeError("--samples needs at least one row number, e.g. 0,1")
    return rows


def build_parser(p: argparse.ArgumentParser) -> None:
    """The options of ``fcnn explain``."""
    p.add_argument("run_folder", metavar="RUN_FOLDER", nargs="?", help="a run folder")
    p.add_argument("--config", metavar="FILE", help="a config file to retrain from its seed")
    p.add_argument(
        "--epoch",
        type=int,
        default=1,
        metavar="T",
        help="explain epoch T's first step (default: 1)",
    )
    p.add_argument(
        "--samples",
        type=_samples,
        metavar="ROWS",
        help="explain the step's parameters on these training rows, e.g. 0,1 (a teaching view; "
        "default: the step's batch)",
    )
    p.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    p.add_argument(
        "--seed000-gradient",
        action="store_true",
        help="also show seed 000's gradient (eq. 9-10, the softmax derivative taken "
        "elementwise) beside the correct one and finite differences (default: off)",
    )


def run(args: argparse.Namespace) -> int:
    """``fcnn explain``: print the ledger of the chosen step."""
    if (args.run_folder is None) == (args.config is None):
        raise ValueError("give a run folder or --config FILE (one of them)")
    if args.config is not None:
        step = from_config(config.resolve(args.config, {}), args.epoch, args.samples)
    else:
        step = from_run(args.run_folder, args.epoch, args.samples)
    entries = ledger(step.problem, seed000=args.seed000_gradient, rule=step.rule)
    print(render(entries, args.format, step.header), end="")
    return OK
