"""The ``fcnn`` command: ``train``, ``evaluate``, ``predict``, ``gradcheck``, ``export`` and
``explain``.

Argument parsing only: the parser, its help text and :func:`main`, which runs a command from
``fcnn.cli_commands`` and turns every error a user can cause into one line on stderr. The
configuration lives in ``fcnn.config``, run folders in ``fcnn.runs``, the math in the library.

Exit codes: 0 success; 1 a failure at run time (divergence, a failed gradient check, an
internal error); 2 a usage or input error; 130 interrupted (a checkpoint was saved).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from . import __version__, config
from . import cli_commands as commands
from .cli_commands import FAILED, INTERRUPTED, USAGE
from .datasets import DATASETS
from .errors import DivergenceError, FCNNError
from .explain.command import build_parser as _explain_parser
from .export.command import build_parser as _export_parser
from .run_folder import MODEL

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
  fcnn explain --config examples/seed000.toml one step of backprop, line by line

exit codes: 0 success, 1 run-time failure (divergence, gradcheck FAIL), 2 usage or input
error, 130 interrupted. Set FCNN_DEBUG=1 to see the traceback of an internal error.
Documentation: docs/cli.md"""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line that points at ``--help``."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def main(argv: list[str] | None = None) -> int:
    """Run the ``fcnn`` command with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
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
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name, build, summary in (
        ("train", _train_parser, "train a network and write a run folder"),
        ("evaluate", _evaluate_parser, "print a saved model's metrics on a data set"),
        ("predict", _predict_parser, "write a saved model's predictions to a CSV file"),
        ("gradcheck", _gradcheck_parser, "check backprop against finite differences"),
        ("export", _export_parser, "write a saved model as an ONNX graph"),
        ("explain", _explain_parser, "print one step of backprop with the run's own numbers"),
    ):
        sub = commands.add_parser(name, help=summary, description=summary[0].upper() + summary[1:])
        sub.set_defaults(parser=sub)
        build(sub)
    return parser


def _layers(text: str) -> list[int | str]:
    try:
        return [t if t == config.AUTO else int(t) for t in map(str.strip, text.split(","))]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of widths like 2,16,16,3 (the first and last may be auto)"
        ) from None


def _names(text: str) -> str | list[str]:
    return text if "," not in text else [t.strip() for t in text.split(",")]


SWITCH = "switch"  # an on/off flag with a --no- form
# flag: (metavar or SWITCH, type, help); "(default: ...)" is added from config.DEFAULTS
_DATA_OPTIONS = {
    "--dataset": (
        "NAME",
        str,
        f"teaching data set, used unless --data is given: {', '.join(DATASETS)}",
    ),
    "--data": (
        "FILE",
        str,
        "your own data: a .csv/.tsv/.txt file of numeric feature columns and a target "
        "column, or .npy/.npz (default: none, use --dataset)",
    ),
    "--target": (
        "COLUMN",
        str,
        "name or index of the target column in --data (default: the last column)",
    ),
    "--val-split": ("F", float, "fraction of the data held out for validation"),
    "--standardize": (
        SWITCH,
        None,
        "scale each feature to mean 0 and standard deviation 1 with statistics of the "
        "training data, stored in the model",
    ),
}
_NETWORK_OPTIONS = {
    "--layers": (
        "N,N,...",
        _layers,
        "layer widths, input first; the first and last may be 'auto': the data's feature "
        "and class counts",
    ),
    "--activation": (
        "NAME[,NAME...]",
        _names,
        "hidden activation, or one per hidden layer: tanh, sigmoid, relu, leaky_relu, "
        "identity, softplus",
    ),
    "--output": ("NAME", str, "output function: softmax, sigmoid, identity"),
    "--loss": ("NAME", str, "cross_entropy, mse, or mse+ce (seed 000's sum of the two)"),
    "--reduction": ("NAME", str, "mean (J averaged over the batch) or sum (seed 002 eq. 3i)"),
    "--init": ("NAME", str, "weight initialiser: xavier, he, normal (seed 000's plain N(0, 1))"),
    "--dtype": ("NAME", str, "float32 or float64"),
}
_TRAINING_OPTIONS = {
    "--optimizer": ("NAME", str, "gd, sgd, momentum, nesterov, adam, rmsprop"),
    "--lr": ("RATE", float, "learning rate"),
    "--schedule": (
        "NAME",
        str,
        "learning-rate schedule: constant, step, exponential, invscaling, adaptive",
    ),
    "--epochs": ("N", int, "passes over the training data (with --resume: the new total)"),
    "--batch-size": ("N", int, "samples per update; 0 = the full batch (gradient descent)"),
    "--l2": ("LAMBDA", float, "L2 penalty (lambda/2) sum ||W||^2 on the weights"),
    "--early-stopping": (
        SWITCH,
        None,
        "stop when the loss (val_loss with --val-split) has not improved for --patience epochs",
    ),
    "--patience": ("N", int, "epochs without improvement before early stopping"),
    "--checkpoint-every": (
        "N",
        int,
        "write checkpoint.safetensors every N updates; 0 = at the start, the end and on "
        "Ctrl-C only",
    ),
}
_SEED_OPTIONS = {
    "--seed": ("N", int, "seed of the weights, the shuffling and the validation split"),
    "--config": (
        "FILE",
        str,
        "TOML config file (docs/cli.md); flags override its values (default: none)",
    ),
}
_KEYS = {flag: key for key, flag in config.FLAGS.items()}


def _add_options(group: Any, options: dict[str, tuple[str, Any, str]]) -> None:
    for flag, (metavar, kind, text) in options.items():
        if "(default" not in text:
            text += " " + _default(_KEYS[flag])
        if metavar == SWITCH:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, help=text)
        else:
            group.add_argument(flag, metavar=metavar, type=kind, help=text)


def _default(key: str) -> str:
    section, name = key.split(".")
    value = config.DEFAULTS[section][name]
    if isinstance(value, list):
        value = ",".join(map(str, value))
    return f"(default: {str(value).lower() if isinstance(value, bool) else value})"


def _add_network_options(p: argparse.ArgumentParser) -> None:
    """The data and network groups: train and gradcheck build the same network from them."""
    _add_options(p.add_argument_group("data"), _DATA_OPTIONS)
    _add_options(p.add_argument_group("network"), _NETWORK_OPTIONS)


def _train_parser(p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "Values resolve in the order: defaults <- --config FILE <- flags; the resolved "
        "config is written to the run folder as config.toml. Ctrl-C saves a checkpoint."
    )
    _add_network_options(p)
    _add_options(p.add_argument_group("training"), _TRAINING_OPTIONS)
    g = p.add_argument_group("run")
    _add_options(g, _SEED_OPTIONS)
    _add_options(
        g,
        {
            "--out": (
                "DIR",
                str,
                "run folder to write (default: runs/<UTC time>, e.g. runs/20261123-154500)",
            ),
            "--resume": (
                "DIR",
                str,
                "continue the run in DIR from its checkpoint; only --epochs (the new total), "
                "--lr, --[no-]progress and --no-figures go with it (default: none)",
            ),
        },
    )
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
    g.add_argument(
        "--no-figures",
        action="store_true",
        help="do not draw the PNG figures, which take most of a short run's time (default: drawn)",
    )
    g.add_argument(
        "--no-diagnostics",
        action="store_true",
        help="do not record the training-health diagnostics (diagnostics.csv, diagnostics.png "
        "and their verdicts; docs/seeing-inside.md) (default: recorded)",
    )
    p.set_defaults(run=commands.train)


def _evaluate_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help=f"a model file, or a run folder (its {MODEL})")
    _add_options(
        p,
        {
            "--data": (
                "FILE",
                str,
                "data file with a target column (default: a run folder's own data)",
            ),
            "--target": _DATA_OPTIONS["--target"],
            "--dataset": (
                "NAME",
                str,
                f"a teaching data set instead: {', '.join(DATASETS)} (default: none)",
            ),
        },
    )
    p.set_defaults(run=commands.evaluate)


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
    p.set_defaults(run=commands.predict)


def _gradcheck_parser(p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "Builds the network 'fcnn train' would build from the same options and compares its "
        "backpropagated gradients with central finite differences on a batch of the data."
    )
    _add_network_options(p)
    g = p.add_argument_group("check")
    _add_options(g, _SEED_OPTIONS | {"--l2": _TRAINING_OPTIONS["--l2"]})
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
    p.set_defaults(run=commands.gradcheck)
