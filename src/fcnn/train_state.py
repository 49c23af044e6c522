"""A trainer's checkpoint state: every piece of the loop as plain arrays and JSON-able numbers
(the parameters, the epoch's running sums, the shuffled order, the optimiser's and schedule's
state, the RNG's ``bit_generator.state``, the history), so that a run stopped at any step
resumes bit-identical (``docs/reliability.md``). ``Trainer.state_dict`` and
``Trainer.load_state_dict`` call these."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .history import History

if TYPE_CHECKING:
    from .train import Trainer

Array = np.ndarray


def state_dict(self: Trainer) -> tuple[dict[str, Array], dict[str, Any]]:
    """The whole loop state as ``(arrays, meta)``: arrays for a tensor file, JSON-able
    metadata (including the RNG's ``bit_generator.state``) beside them."""
    arrays, hist_meta = self.history.to_state()
    arrays["params"] = self.net.params.copy()
    arrays["acc"] = np.array(self._acc, np.float64)
    arrays["acc_per_sample"] = np.array(self._acc_ps, np.float64)
    arrays["snapshot"] = self._snapshot.copy()
    if self.perm is not None:
        arrays["perm"] = self.perm.copy()
    if self.best_params is not None:
        arrays["best_params"] = self.best_params.copy()
    if self._last_params is not None:
        arrays["last_params"] = self._last_params.copy()
    opt_meta = {}
    for k, v in self.optimizer.state_dict().items():
        if isinstance(v, np.ndarray):
            arrays[f"optim.{k}"] = v
        else:
            opt_meta[k] = v
    meta = {
        "epoch": self.epoch,
        "step": self.step,
        "pos": self.pos,
        "done": self.done,
        "best_value": self.best_value,
        "wait": self.wait,
        "rng": self.rng.bit_generator.state,
        "optimizer": opt_meta,
        "schedule": self.schedule.state_dict(),
        "history": hist_meta,
        "fused": self._plan.count is not None,  # the step that computed it (fcnn._fast.fused)
    }
    return arrays, meta


def load_state_dict(self: Trainer, arrays: dict[str, Array], meta: dict[str, Any]) -> None:
    """Restore :func:`state_dict` output into a trainer built with the same arguments."""
    self.net.set_params(arrays["params"])
    self._acc = [float(v) for v in arrays["acc"]]
    # a checkpoint of fcnn 0.1 has no per-sample sums: unknown for an epoch in progress
    ps = arrays.get("acc_per_sample", np.full(len(self._acc_ps), np.nan))
    self._acc_ps = [float(v) for v in ps]
    np.copyto(self._snapshot, arrays["snapshot"])
    self.perm = arrays["perm"].astype(np.int64) if "perm" in arrays else None
    self.best_params = arrays["best_params"].copy() if "best_params" in arrays else None
    opt = dict(meta["optimizer"])
    opt.update({k[len("optim.") :]: v for k, v in arrays.items() if k.startswith("optim.")})
    self.optimizer.load_state_dict(opt)
    self.schedule.load_state_dict(meta["schedule"])
    self.epoch, self.step, self.pos = int(meta["epoch"]), int(meta["step"]), int(meta["pos"])
    self.done, self.wait = bool(meta["done"]), int(meta["wait"])
    self.best_value = float(meta["best_value"])
    self.rng.bit_generator.state = meta["rng"]
    self.history = h = History.from_state(arrays, meta["history"])
    if not self._sums and "history.loss_per_sample" not in arrays:
        # fcnn 0.1 with the mean reduction: the per-sample means are the losses themselves
        h.loss_per_sample, h.val_loss_per_sample = list(h.loss), list(h.val_loss)
        h.parts_per_sample = {k: list(v) for k, v in h.parts.items()}
        h.val_parts_per_sample = {k: list(v) for k, v in h.val_parts.items()}
    if not self.record_params:  # a part of the run that recorded: no trajectory of a part
        self.history.params = []
    # the step the run was trained with, so that it resumes to the last bit (a checkpoint
    # written before the fused kernel existed was trained with the NumPy step)
    fused = bool(meta.get("fused", False))
    if fused != (self._plan.count is not None):
        self._plan = self._choose_plan(kernel=fused)
        if fused and self._plan.count is None:
            warnings.warn(
                "this run was trained with the fused kernel of fcnn[fast], which cannot run "
                "here (numba is missing): it resumes with the NumPy step, whose numbers agree "
                "to rounding, not to the last bit. pip install 'fcnn[fast]' to resume it "
                "exactly",
                RuntimeWarning,
                stacklevel=3,
            )
    last = arrays.get("last_params")
    self._last_params = None if last is None else last.copy()
    if last is not None and not self.done:  # extended: on from the last epoch's parameters
        self.net.set_params(last)
        self._last_params, self.history.restored_best = None, False
