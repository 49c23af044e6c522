"""The flags of ``fcnn train`` and ``fcnn gradcheck``: one table, :data:`TABLE`.

Each flag names the config key it sets (``--lr`` sets ``training.lr``), its help group, its
metavar and type, and its help. The parser (:mod:`fcnn.cli.parser`) builds its argument
groups from the table and adds "(default: ...)" from ``fcnn.runs.config.DEFAULTS``; the
commands (:mod:`fcnn.cli.commands`) turn the parsed flags back into config overrides with
:data:`FLAGS`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..data.datasets import DATASETS
from ..runs.config import AUTO

SWITCH = "switch"  # an on/off flag with a --no- form


def _layers(text: str) -> list[int | str]:
    try:
        return [t if t == AUTO else int(t) for t in map(str.strip, text.split(","))]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of widths like 2,16,16,3 (the first and last may be auto)"
        ) from None


def _names(text: str) -> str | list[str]:
    return text if "," not in text else [t.strip() for t in text.split(",")]


@dataclass(frozen=True)
class Flag:
    """One flag: the config key it sets (None for a flag that sets none, like ``--config``),
    its help group, its metavar (or :data:`SWITCH`), the type that parses it, and its help."""

    key: str | None
    group: str
    metavar: str
    type: Callable[[str], Any] | None
    help: str


TABLE: dict[str, Flag] = {
    "--dataset": Flag(
        "data.dataset",
        "data",
        "NAME",
        str,
        f"teaching data set, used unless --data is given: {', '.join(DATASETS)}",
    ),
    "--data": Flag(
        "data.file",
        "data",
        "FILE",
        str,
        "your own data: a .csv/.tsv/.txt file of numeric feature columns and a target "
        "column, or .npy/.npz (default: none, use --dataset)",
    ),
    "--target": Flag(
        "data.target",
        "data",
        "COLUMN",
        str,
        "name or index of the target column in --data (default: the last column)",
    ),
    "--val-split": Flag(
        "data.val_split", "data", "F", float, "fraction of the data held out for validation"
    ),
    "--standardize": Flag(
        "data.standardize",
        "data",
        SWITCH,
        None,
        "scale each feature to mean 0 and standard deviation 1 with statistics of the "
        "training data, stored in the model",
    ),
    "--layers": Flag(
        "network.layers",
        "network",
        "N,N,...",
        _layers,
        "layer widths, input first; the first and last may be 'auto': the data's feature "
        "and class counts",
    ),
    "--activation": Flag(
        "network.activation",
        "network",
        "NAME[,NAME...]",
        _names,
        "hidden activation, or one per hidden layer: tanh, sigmoid, relu, leaky_relu, "
        "identity, softplus",
    ),
    "--output": Flag(
        "network.output", "network", "NAME", str, "output function: softmax, sigmoid, identity, exp"
    ),
    "--loss": Flag(
        "network.loss",
        "network",
        "NAME",
        str,
        "cross_entropy, mse, mse+ce (seed 000's sum of the two), or poisson (with --output exp)",
    ),
    "--reduction": Flag(
        "network.reduction",
        "network",
        "NAME",
        str,
        "mean (J averaged over the batch) or sum (seed 002 eq. 3i)",
    ),
    "--init": Flag(
        "network.init",
        "network",
        "NAME",
        str,
        "weight initialiser: xavier, he, normal (seed 000's plain N(0, 1))",
    ),
    "--dtype": Flag("network.dtype", "network", "NAME", str, "float32 or float64"),
    "--optimizer": Flag(
        "training.optimizer",
        "training",
        "NAME",
        str,
        "gd, sgd, momentum, nesterov, adam, rmsprop, lbfgs (full batch: --batch-size 0)",
    ),
    "--lr": Flag("training.lr", "training", "RATE", float, "learning rate"),
    "--schedule": Flag(
        "training.schedule",
        "training",
        "NAME",
        str,
        "learning-rate schedule: constant, step, exponential, invscaling, adaptive",
    ),
    "--epochs": Flag(
        "training.epochs",
        "training",
        "N",
        int,
        "passes over the training data (with --resume: the new total)",
    ),
    "--batch-size": Flag(
        "training.batch_size",
        "training",
        "N",
        int,
        "samples per update; 0 = the full batch (gradient descent)",
    ),
    "--l2": Flag(
        "training.l2",
        "training",
        "LAMBDA",
        float,
        "L2 penalty (lambda/2) sum ||W||^2 on the weights",
    ),
    "--early-stopping": Flag(
        "training.early_stopping",
        "training",
        SWITCH,
        None,
        "stop when the loss (val_loss with --val-split) has not improved for --patience epochs",
    ),
    "--patience": Flag(
        "training.patience",
        "training",
        "N",
        int,
        "epochs without improvement before early stopping",
    ),
    "--checkpoint-every": Flag(
        "training.checkpoint_every",
        "training",
        "N",
        int,
        "write checkpoint.safetensors every N updates; 0 = at the start, the end and on "
        "Ctrl-C only",
    ),
    "--seed": Flag(
        "training.seed",
        "run",
        "N",
        int,
        "seed of the weights, the shuffling and the validation split",
    ),
    "--config": Flag(
        None,
        "run",
        "FILE",
        str,
        "TOML config file (its keys: fcnn docs cli); flags override its values (default: none)",
    ),
    "--out": Flag(
        None,
        "run",
        "DIR",
        str,
        "run folder to write (default: runs/<UTC time>, e.g. runs/20261123-154500)",
    ),
    "--resume": Flag(
        None,
        "run",
        "DIR",
        str,
        "continue the run in DIR from its checkpoint; only --epochs (the new total), "
        "--lr, --[no-]progress and --no-figures go with it (default: none)",
    ),
}

#: config key -> the ``fcnn train`` flag that sets it
FLAGS: dict[str, str] = {f.key: flag for flag, f in TABLE.items() if f.key is not None}


def in_group(group: str) -> list[str]:
    """The flags of help group ``group`` (data, network, training or run), in table order."""
    return [flag for flag, f in TABLE.items() if f.group == group]
