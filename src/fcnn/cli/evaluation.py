"""What ``fcnn evaluate`` scores and how it names it: the rows a run held out
(``--split``), the loss as a mean per sample, and a warning when the data's classes do not
cover the model's."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..network import Network
from ..runs import config
from ..runs.measures import held_out

SPLITS = ("all", "training", "validation")


def split_rows(args: Any, n_samples: int) -> np.ndarray | None:
    """The row indices ``--split`` picks from a run folder's own data (None: every row).

    ``validation``: the rows the run's ``data.val_split`` held out (drawn with its seed, as
    training drew them); ``training``: the others. Refused for data given with ``--data`` or
    ``--dataset`` (their rows were never split) and for a run without a validation split."""
    split = getattr(args, "split", None) or "all"
    if split == "all":
        return None
    if args.data or args.dataset:
        raise ValueError(
            f"--split {split} picks rows of the run folder's own data; drop --data/--dataset, "
            "or --split"
        )
    cfg = config.resolve(Path(args.model) / "config.toml")
    fraction = cfg["data"]["val_split"]
    if not fraction:
        raise ValueError(
            f"--split {split}: the run in {args.model} held no rows out (data.val_split = 0), "
            "so every row is a training row; drop --split"
        )
    val = held_out(n_samples, fraction, cfg["training"]["seed"])
    if split == "validation":
        return val
    return np.setdiff1d(np.arange(n_samples), val)


def loss_per_sample(net: Network, X: np.ndarray, y: np.ndarray) -> float:
    """The model's loss as a mean over the ``len(X)`` samples, whatever its reduction (with
    ``reduction = "sum"``, ``Network.loss`` is a sum over them)."""
    loss = float(net.loss(X, y))
    return loss / len(X) if net.reduction == "sum" else loss


def warn_classes(model_classes: list[str], data_classes: list[Any]) -> None:
    """A warning on stderr when the data's labels are a strict subset of the model's classes
    (a 3-class model on 2-class data: the accuracy counts no row of the missing class)."""
    found = {str(c) for c in data_classes}
    known = set(model_classes)
    if found < known:
        missing = [c for c in model_classes if c not in found]
        print(
            f"fcnn: warning: the data hold only {len(found)} of the model's "
            f"{len(known)} classes (none of {', '.join(missing)}); check that this is the data "
            "the model is meant for",
            file=sys.stderr,
        )
