"""The numbers a run reports about the model it saved, each named for what it is.

A run's history keeps ``loss``, the training objective as configured (with
``reduction = "sum"`` the mean of per-batch sums), beside the per-sample means
(``loss_per_sample``, ``val_loss_per_sample``): only the latter compare between training and
validation, runs and batch sizes. :func:`model_numbers` picks those of the epoch whose
parameters the run saved (the best epoch's, when early stopping handed them back), and
:func:`fit_measures` scores a regression model on its training and validation rows: MSE,
RMSE and R². :func:`held_out` names the rows ``data.val_split`` held out.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import metrics
from ..data.training import split_indices
from ..history import History
from ..network import Network


def saved_epoch(history: History) -> int:
    """The 1-based epoch whose parameters the model holds: the best one's when the trainer
    handed them back (``restored_best``), else the last."""
    if history.restored_best and history.best_epoch is not None:
        return int(history.best_epoch)
    return int(history.epoch[-1])


def model_numbers(history: History) -> dict[str, Any]:
    """The recorded numbers of the saved model's epoch (:func:`saved_epoch`): ``epoch``,
    ``loss`` (the objective) and ``parts``, ``loss_per_sample`` and ``parts_per_sample``,
    ``accuracy``, and the ``val_`` ones; those not recorded are left out."""
    epoch = saved_epoch(history)
    i = history.epoch.index(epoch)
    out: dict[str, Any] = {"epoch": epoch}
    keys = ("loss", "loss_per_sample", "accuracy", "val_loss", "val_loss_per_sample")
    for key in (*keys, "val_accuracy"):
        values = getattr(history, key)
        if len(values) > i:
            out[key] = float(values[i])
    for key in ("parts", "parts_per_sample", "val_parts", "val_parts_per_sample"):
        parts = getattr(history, key)
        if len(parts) > 1 and all(len(v) > i for v in parts.values()):
            out[key] = {name: float(v[i]) for name, v in parts.items()}
    return out


def regression(net: Network, X: np.ndarray, Y: np.ndarray) -> dict[str, float]:
    """``{"mse", "rmse", "r2"}`` of ``net`` on ``X: (n, n_0)`` (as the network takes them:
    standardised where it was) and ``Y: (n, n_l)``: ``mse = mean((P - Y)^2)`` over samples and
    outputs, twice the per-sample ``mse`` loss (which carries a 1/2)."""
    P = net.forward(X)
    mse = metrics.mse(np.asarray(Y, np.float64).reshape(P.shape), P)
    return {"mse": mse, "rmse": math.sqrt(mse), "r2": metrics.r2(Y.reshape(P.shape), P)}


def fit_measures(net: Network, train: Any, val: Any = None) -> dict[str, float]:
    """MSE, RMSE and R² of a regression ``net`` on its training rows ``train`` and validation
    rows ``val`` (``fcnn.data.training.Data``, or None): keys ``mse``, ``rmse``, ``r2`` and
    ``val_mse``, ``val_rmse``, ``val_r2``. Empty for a classifier."""
    if net.is_classifier:
        return {}
    out = regression(net, train.X, train.Y)
    if val is not None:
        out |= {f"val_{k}": v for k, v in regression(net, val.X, val.Y).items()}
    return out


def held_out(n_samples: int, val_split: float, seed: int) -> np.ndarray:
    """The indices (sorted) of the rows that ``data.val_split = val_split`` holds out for
    validation in a run seeded ``seed``: those ``fcnn.Trainer`` draws (empty without a split)."""
    if not val_split:
        return np.zeros(0, np.int64)
    split_seq = np.random.SeedSequence(seed).spawn(2)[0]  # as fcnn.Trainer spawns it
    return split_indices(n_samples, val_split, np.random.default_rng(split_seq))[1]


def summary(history: History, trainer: Any) -> dict[str, Any]:
    """What a run's summary adds to its counts: ``saved`` (:func:`model_numbers`) and, for a
    regression, :func:`fit_measures` of the saved model."""
    out: dict[str, Any] = {"saved": model_numbers(history)} if len(history) else {}
    return out | fit_measures(trainer.net, trainer.data, trainer.val)
