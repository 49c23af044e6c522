"""The ``fcnn`` parser: its subcommands, their argument groups and help text.

The flags that set a config value come from one table (:mod:`fcnn.cli.flags`); each
subcommand runs a function of :mod:`fcnn.cli.commands`.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from .. import __version__
from ..data.datasets import DATASETS
from ..explain import command as _explain
from ..export import command as _export
from ..runs.config import DEFAULTS
from ..runs.folder import MODEL
from ..sweep import command as _sweep
from . import commands
from . import docs as _docs
from .commands import USAGE
from .flags import SWITCH, TABLE, Flag, in_group

_EXAMPLES = """\
examples:
  fcnn train                                  seed 000's experiment: 2-2-2 tanh/softmax, MSE + CE
  fcnn train --config examples/seed002.toml   an l-layer network on mini-batches
  fcnn train --dataset spirals --layers 2,32,32,3 --loss cross_entropy --epochs 500
  fcnn train --data iris.csv --target species --layers auto,16,auto --standardize
  fcnn train --resume runs/20261123-154500    continue an interrupted run
  fcnn evaluate runs/20261123-154500          metrics on the data the run trained on
  fcnn predict runs/20261123-154500 --data new.csv --out predictions.csv
  fcnn gradcheck --layers 2,8,8,3 --dataset spirals
  fcnn export runs/20261123-154500 --format onnx --out model.onnx
  fcnn sweep examples/sweep-seed000.toml      seed 000's learning rate over 1e-6..1, 5 seeds
  fcnn explain --config examples/seed000.toml one step of backprop, line by line

exit codes: 0 success, 1 run-time failure (divergence, gradcheck FAIL), 2 usage or input
error, 130 interrupted. Set FCNN_DEBUG=1 to see the traceback of an internal error.
Documentation: fcnn docs lists the guides installed with fcnn; fcnn docs cli prints the
command line's (every flag, the config file, the run folder's files)."""


#: each command's one line in ``fcnn --help``
_SUMMARIES = {
    "train": "train a network and write a run folder",
    "evaluate": "print a saved model's metrics on a data set",
    "predict": "write a saved model's predictions to a CSV file",
    "gradcheck": "check backprop against finite differences",
    "export": "write a saved model as an ONNX graph",
    "explain": "print one step of backprop with the run's own numbers",
    "report": "rebuild a run's report.html and its PNG figures",
    "docs": "print the guides installed with fcnn (fcnn docs cli)",
    "sweep": _sweep.SUMMARY,
}

#: the closing words of ``fcnn COMMAND --help``
_EPILOGS = {
    "train": (
        "Values resolve in the order: defaults <- --config FILE <- flags; the resolved "
        "config is written to the run folder as config.toml. Ctrl-C saves a checkpoint."
    ),
    "gradcheck": (
        "Builds the network 'fcnn train' would build from the same options and compares its "
        "backpropagated gradients with central finite differences on a batch of the data."
    ),
    "report": (
        "Rebuilds RUN/report.html (one self-contained page: open it in a browser) and redraws "
        "the run's PNG figures from the folder's files, without training again."
    ),
    "export": _export.EPILOG,
    "explain": _explain.EPILOG,
    "sweep": _sweep.EPILOG,
}


#: fcnn train's switches that leave a part of the run out
_LEAVE_OUT = {
    "--no-figures": "do not draw the PNG figures, which take most of a short run's time "
    "(default: drawn)",
    "--no-report": "do not write report.html, the run's page (default: written; fcnn report "
    "RUN writes it later)",
    "--no-diagnostics": "do not record the training-health diagnostics (diagnostics.csv, "
    "diagnostics.png and their verdicts; docs/seeing-inside.md) (default: recorded)",
}


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line that points at ``--help``."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ------------------------------------------------------------------------------------- parsers


def build_parser() -> argparse.ArgumentParser:
    """The ``fcnn`` parser and its subcommands."""
    parser = _Parser(
        prog="fcnn",
        description="Fully connected neural networks trained by explicit, hand-written "
        "backpropagation in NumPy.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fcnn {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name, build, run in (
        ("train", _train_parser, commands.train),
        ("evaluate", _evaluate_parser, commands.evaluate),
        ("predict", _predict_parser, commands.predict),
        ("gradcheck", _gradcheck_parser, commands.gradcheck),
        ("export", _export.build_parser, _export.run),
        ("explain", _explain.build_parser, _explain.run),
        ("report", _report_parser, commands.report),
        ("docs", _docs.build_parser, _docs.show),
        ("sweep", _sweep.build_parser, _sweep.sweep),
    ):
        summary, epilog = _SUMMARIES[name], _EPILOGS.get(name)
        description = summary[0].upper() + summary[1:]
        sub = subparsers.add_parser(name, help=summary, description=description, epilog=epilog)
        sub.set_defaults(parser=sub, run=run)
        build(sub)
    return parser


def _add_options(group: Any, flags: dict[str, Flag]) -> None:
    for name, flag in flags.items():
        text = flag.help
        if "(default" not in text:
            text += " " + _default(flag.key)
        if flag.metavar == SWITCH:
            group.add_argument(name, action=argparse.BooleanOptionalAction, help=text)
        else:
            group.add_argument(name, metavar=flag.metavar, type=flag.type, help=text)


def _table(*names: str) -> dict[str, Flag]:
    return {name: TABLE[name] for name in names}


def _default(key: str) -> str:
    section, name = key.split(".")
    value = DEFAULTS[section][name]
    if isinstance(value, list):
        value = ",".join(map(str, value))
    return f"(default: {str(value).lower() if isinstance(value, bool) else value})"


def _add_network_options(p: argparse.ArgumentParser) -> None:
    """The data and network groups: train and gradcheck build the same network from them."""
    _add_options(p.add_argument_group("data"), _table(*in_group("data")))
    _add_options(p.add_argument_group("network"), _table(*in_group("network")))


def _train_parser(p: argparse.ArgumentParser) -> None:
    _add_network_options(p)
    _add_options(p.add_argument_group("training"), _table(*in_group("training")))
    g = p.add_argument_group("run")
    _add_options(g, _table(*in_group("run")))
    g.add_argument(
        "--force", action="store_true", help="overwrite an existing run folder (default: off)"
    )
    g.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show the progress bar on stderr, or hide it with --no-progress (default: shown "
        "when stderr is a terminal, so that logs and pipes get no bar frames)",
    )
    for flag, text in _LEAVE_OUT.items():
        g.add_argument(flag, action="store_true", help=text)


def _evaluate_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help=f"a model file, or a run folder (its {MODEL})")
    data = "data file with a target column (default: a run folder's own data)"
    dataset = f"a teaching data set instead: {', '.join(DATASETS)} (default: none)"
    _add_options(
        p,
        {
            "--data": dataclasses.replace(TABLE["--data"], help=data),
            "--target": TABLE["--target"],
            "--dataset": dataclasses.replace(TABLE["--dataset"], help=dataset),
        },
    )
    p.add_argument(
        "--split",
        choices=commands.evaluation.SPLITS,
        default="all",
        help="rows of a run folder's own data to score: validation (those --val-split held "
        "out), training (the others) or all (default: all)",
    )


def _predict_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help=f"a model file, or a run folder (its {MODEL})")
    p.add_argument(
        "--data",
        metavar="FILE",
        required=True,
        help="file of feature columns, with or without a target column (required)",
    )
    p.add_argument(
        "--target",
        metavar="COLUMN",
        help="name or index of a target column to drop (default: the last column, when the "
        "file has one column more than the model's inputs)",
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        required=True,
        help="CSV file to write: the predicted label and p_<class> per class, or the "
        "predicted values (required)",
    )
    p.add_argument(
        "--force", action="store_true", help="overwrite an existing --out file (default: off)"
    )


def _gradcheck_parser(p: argparse.ArgumentParser) -> None:
    _add_network_options(p)
    g = p.add_argument_group("check")
    _add_options(g, _table("--seed", "--config", "--l2"))
    g.add_argument(
        "--batch", type=int, default=16, metavar="N", help="samples to check on (default: 16)"
    )
    g.add_argument(
        "--eps", type=float, default=1e-3, help="finite-difference step (default: 0.001)"
    )
    g.add_argument(
        "--tolerance",
        type=float,
        default=1e-6,
        help="largest relative error that passes (default: 1e-06)",
    )


def _report_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_folder", metavar="RUN_FOLDER", help="a finished run's folder")
    p.add_argument(
        "--features",
        metavar="I,J",
        help="data of more than 2 features: show these two columns (0-based) instead of the "
        "first two principal components (default: PCA)",
    )
