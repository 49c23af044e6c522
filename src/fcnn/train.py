"""THE training loop. It knows nothing of the math: every step it gathers a batch, runs the
step function (forward, loss, backward: ``Network._step``, or the variant of it that
``fcnn._fast.step.choose`` picked once for the run), applies the update, and records the
history. A full batch is a batch: the same loop runs it.

Every piece of loop state is a plain array or number (``Trainer.state_dict``), so a run that
is stopped at any step and resumed from a checkpoint ends with bit-identical parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ._fast import step as fast_step
from ._fast.batch import Batch
from .callbacks import Callback, as_callback
from .data.training import Data, split
from .diagnostics import Diagnostics
from .errors import DivergenceError
from .history import History
from .network import Network
from .optim import Optimizer, Schedule, get_optimizer, get_schedule
from .validation import as_pair, check_seed, check_training_options

Array = np.ndarray
MONITORS = ("loss", "val_loss", "accuracy", "val_accuracy")


class Trainer:
    """Trains ``net`` on ``(X, y)``; the options are :meth:`fcnn.Network.fit`'s. ``run()``
    trains and returns the History; callbacks see the trainer, and ``state_dict`` /
    ``load_state_dict`` hold everything a resumed run needs."""

    def __init__(
        self,
        net: Network,
        X: Array,
        y: Array,
        *,
        epochs: int = 200,
        lr: float = 0.1,
        batch_size: int | None = None,
        optimizer: str | Optimizer = "gd",
        optimizer_options: dict[str, Any] | None = None,
        schedule: str | Schedule = "constant",
        schedule_options: dict[str, Any] | None = None,
        l2: float = 0.0,
        clip: float | None = None,
        shuffle: bool = True,
        validation_data: tuple[Array, Array] | None = None,
        val_split: float = 0.0,
        early_stopping: bool = False,
        patience: int = 10,
        min_delta: float = 0.0,
        monitor: str | None = None,
        restore_best: bool = True,
        sample_weight: Array | None = None,
        callbacks: Sequence[Callback | Callable[[Trainer], Any]] = (),
        record_params: bool = False,
        progress: bool = False,
        seed: int | None = None,
        diagnostics: bool = False,
    ) -> None:
        check_training_options(epochs, l2, clip, val_split, patience, batch_size, min_delta)
        self.net, self.epochs = net, int(epochs)
        seed = net.seed if seed is None else check_seed("seed", seed, generators=False)
        seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        split_seq, shuffle_seq = seq.spawn(2)
        data = Data(net, X, y, sample_weight)
        if val_split and validation_data is not None:
            raise ValueError("give validation_data or val_split, not both")
        if val_split:
            data, val = split(data, val_split, np.random.default_rng(split_seq))
        else:
            val = (
                None
                if validation_data is None
                else Data(net, *as_pair(validation_data, "validation_data"), None)
            )
        self.data, self.val = data, val
        n = len(data)
        self.B = n if batch_size is None else min(int(batch_size), n)
        self.n_batches = -(-n // self.B)
        self.shuffle = bool(shuffle) and self.n_batches > 1  # a full batch's order is moot
        self.optimizer = get_optimizer(optimizer, **(optimizer_options or {}))
        self.schedule = get_schedule(schedule, lr, **(schedule_options or {}))
        # whether the schedule reacts to the epoch's loss (the base class's hook does nothing)
        self._adapts = type(self.schedule).on_epoch_end is not Schedule.on_epoch_end
        self.l2, self.clip = float(l2), clip
        self.monitor = monitor or ("val_loss" if val is not None else "loss")
        if self.monitor not in MONITORS:
            raise ValueError(f"unknown monitor {self.monitor!r}; choose one of {MONITORS}")
        if self.monitor.startswith("val_") and val is None:
            raise ValueError(f"monitor={self.monitor!r} needs validation_data or val_split")
        if self.monitor.endswith("accuracy") and data.kind is None:
            raise ValueError(
                f"monitor={self.monitor!r}, but a network with a {net.output} output and "
                f"{net.loss_name} loss has no accuracy; monitor 'loss' or 'val_loss'"
            )
        self._maximise = self.monitor.endswith("accuracy")
        self.early_stopping, self.patience = bool(early_stopping), int(patience)
        self.min_delta, self.restore_best = float(min_delta), bool(restore_best)
        self.callbacks = [as_callback(c) for c in callbacks]
        if diagnostics and not any(isinstance(c, Diagnostics) for c in self.callbacks):
            self.callbacks.append(Diagnostics())
        # the one choice of the step function; a callback that reads the gradient buffer
        # (needs_gradient) gets a step that leaves ∇J there (or α ∇J, where all such
        # callbacks say needs_gradient = "scaled")
        wants = {getattr(c, "needs_gradient", False) for c in self.callbacks} - {False}
        self._plan = fast_step.choose(
            net,
            self.optimizer,
            l2=self.l2,
            clip=clip,
            weighted=data.w is not None,
            gradient=True if True in wants else ("scaled" if wants else False),
        )
        self.record_params, self.progress = bool(record_params), bool(progress)
        self.rng = np.random.default_rng(shuffle_seq)
        # ---- loop state: plain arrays and numbers only (state_dict) ----
        self.history = History(parts={p: [] for p in self._part_names()}, sizes=net.sizes)
        self.epoch = self.step = self.pos = 0
        self.perm: Array | None = None
        # running sums of the epoch as Python floats (cheaper than a NumPy array per step):
        # weight, correct, loss, parts; state_dict stores them as one float64 array
        self._zero_acc = [0.0] * (3 + len(self._part_names()))
        self._acc = self._zero_acc.copy()
        self.best_value, self.best_params, self.wait = math.inf, None, 0
        self._last_params: Array | None = None  # the last epoch's, when the best were restored
        self.done = False
        self._stop = False
        self._batches: dict[int, Batch] = {}
        self._whole: Batch | None = None  # the full batch, gathered once
        self.batch: Batch | None = None  # the batch of the latest update
        # what a DivergenceError advises, in the caller's terms ({lr}: the rate then)
        self.divergence_fix = (
            "Lower the learning rate (now {lr:g}), standardise the inputs, or set clip= to "
            "bound the gradient norm"
        )
        if val is not None:
            self._val_ws = Batch(net, len(val), val)
            self._val_ws.gather(val, None)
        self._snapshot = net.params.copy()
        self._zeros = np.zeros_like(net.params)  # the other operand of _finite
        if record_params:
            self.history.params.append(net.params.copy())

    def _part_names(self) -> tuple[str, ...]:
        return self.net.parts + (("l2",) if self.l2 else ())

    def request_stop(self) -> None:
        """Ask the loop to stop after the current update (state stays resumable)."""
        self._stop = True

    # ------------------------------------------------------------------- the loop
    def run(self) -> History:
        """Train until ``epochs`` are done, early stopping fires or a stop is requested."""
        # a loss or parameter that overflows is reported by DivergenceError, with where and
        # what to do; NumPy's floating-point warnings on the way would only repeat it
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._run()

    def _run(self) -> History:
        self._stop = False
        self._step, self._apply = self._plan.step, self._plan.update
        if not self.done and self.pos == 0 and self.epochs <= self.epoch:
            self._last_epoch_done()  # resumed with epochs = the epochs already trained
        # no bar at all without progress: even a disabled tqdm costs 10-40 µs a fit
        bar = (
            tqdm(
                total=self.epochs,
                initial=self.epoch,
                unit="epoch",
                dynamic_ncols=True,
                leave=False,
            )
            if self.progress
            else None
        )
        for cb in self.callbacks:
            cb.on_train_begin(self)
        try:
            while not self.done and not self._stop:
                if self.pos == 0:
                    self._begin_epoch()
                    # at least one update after _begin_epoch, whatever stop request came
                    # since: a checkpoint at pos 0 must not hold an epoch whose shuffle was
                    # already drawn (resuming would draw it again, from the advanced generator)
                    self._update()
                while self.pos < self.n_batches and not self._stop:
                    self._update()
                if self.pos == self.n_batches:
                    self._end_epoch()
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(self._postfix(), refresh=False)
        finally:
            if bar is not None:
                bar.close()
            for cb in self.callbacks:
                cb.on_train_end(self)
        return self.history

    def _begin_epoch(self) -> None:
        if self.shuffle:
            self.perm = self.rng.permutation(len(self.data))
        self._acc = self._zero_acc.copy()
        np.copyto(self._snapshot, self.net.params)

    def _batch(self) -> Batch:
        """The workspace holding the next batch."""
        if self.n_batches == 1:  # the full batch, gathered once
            self._whole = Batch(self.net, len(self.data), self.data)
            self._whole.gather(self.data, None)
            return self._whole
        start = self.pos * self.B
        idx = None if self.perm is None else self.perm[start : start + self.B]
        if idx is None and self.n_batches > 1:
            idx = np.arange(start, min(start + self.B, len(self.data)))
        size = len(self.data) if idx is None else len(idx)
        ws = self._batches.get(size)
        if ws is None:
            ws = self._batches[size] = Batch(self.net, size, self.data, rows=idx is not None)
            if idx is None:
                ws.gather(self.data, None)  # full batch: gathered once for the whole run
        if idx is not None:
            ws.gather(self.data, idx)
        return ws

    def _update(self) -> None:
        ws = self.batch = self._whole or self._batch()  # the batch, for callbacks
        rate = self.schedule.lr(self.epoch, self.step)
        parts = self._step(ws, rate)  # forward, loss, backward (fcnn._fast.step.choose)
        loss = parts[0] if len(parts) == 1 else sum(parts)
        if not math.isfinite(loss):
            self._diverged(loss)
        correct = ws.correct()  # before the update's pass over the parameters evicts P
        self._apply(rate)
        acc, B = self._acc, ws.B
        acc[0] += B
        acc[1] += correct
        acc[2] += loss * B
        for i, v in enumerate(parts, 3):
            acc[i] += v * B
        self.history.step_loss.append(loss)
        if self.record_params:
            self.history.params.append(self.net.params.copy())
        self.pos += 1
        self.step += 1
        for cb in self.callbacks:
            cb.on_step_end(self)

    def _diverged(self, loss: float) -> None:
        net = self.net
        if not self._finite(net.params):
            np.copyto(net.params, self._snapshot)
        self._stop = True
        raise DivergenceError(
            f"training diverged at epoch {self.epoch + 1}, step {self.step + 1}: the loss is "
            f"{loss}. The network keeps its last finite parameters. "
            + self.divergence_fix.format(lr=self.schedule.lr(self.epoch, self.step)),
            epoch=self.epoch + 1,
            step=self.step + 1,
        )

    def _end_epoch(self) -> None:
        h, acc, n = self.history, self._acc, self._acc[0]
        if not self._finite(self.net.params):
            self._diverged(math.nan)
        h.epoch.append(self.epoch + 1)
        h.loss.append(acc[2] / n)
        for values, total in zip(h.parts.values(), acc[3:], strict=True):
            values.append(total / n)
        if self.data.kind is not None:
            h.accuracy.append(acc[1] / n)
        h.lr.append(self.schedule.lr(self.epoch, self.step - 1))
        if self.val is not None:
            self._validate()
        if self._adapts:
            self.schedule.on_epoch_end(h.loss[-1])
        self.epoch += 1
        self.pos = 0
        self._early_stopping()
        if self.epoch >= self.epochs:
            self._last_epoch_done()
        for cb in self.callbacks:
            cb.on_epoch_end(self)

    def _validate(self) -> None:
        h, val, ws = self.history, self.val, self._val_ws
        parts = self.net._loss_parts(ws, ws.Y, self.l2, ws.w)
        for name in self.net.parts:
            h.val_parts.setdefault(name, []).append(parts[name])
        h.val_loss.append(sum(parts.values()))
        if val.kind is not None:
            h.val_accuracy.append(ws.correct() / ws.B)

    def _finite(self, params: Array) -> bool:
        """Whether every parameter is finite, in one BLAS call: ``Σ 0·θ_i`` is 0 when every
        ``θ_i`` is finite, however large, and NaN when one is NaN or infinite (``0·∞`` is NaN).
        ``isfinite`` into a mask and ``count_nonzero`` took two calls, ``np.isfinite(θ).all()``
        three times as long."""
        return math.isfinite(np.vdot(self._zeros, params))

    def _early_stopping(self) -> None:
        h = self.history
        # loss and val_loss are minimised; accuracies are maximised, so their sign is flipped
        value = getattr(h, self.monitor)[-1]
        if self._maximise:
            value = -value
        if value < self.best_value - self.min_delta:
            self.best_value, self.wait, h.best_epoch = value, 0, self.epoch
            if self.early_stopping and self.restore_best:
                self.best_params = self.net.params.copy()
        else:
            self.wait += 1
        if self.early_stopping and self.wait >= self.patience:
            h.stopped_early, self.done = True, True
            if self.best_params is not None:
                np.copyto(self.net.params, self.best_params)
                h.restored_best = True

    def _last_epoch_done(self) -> None:
        """The run reached ``epochs``. With early stopping that did not fire and
        ``restore_best``, the network takes the best epoch's parameters all the same (as
        scikit-learn's ``MLPClassifier`` does); the last ones are kept (``state_dict``), so a
        run that is extended later goes on from where training left it."""
        self.done, h = True, self.history
        if h.stopped_early or self.best_params is None or h.best_epoch == self.epoch:
            return
        self._last_params = self.net.params.copy()
        np.copyto(self.net.params, self.best_params)
        h.restored_best = True

    def _postfix(self) -> dict[str, str]:
        h = self.history
        post = {"loss": f"{h.loss[-1]:.4g}"}
        if h.val_loss:
            post["val_loss"] = f"{h.val_loss[-1]:.4g}"
        return post

    # ------------------------------------------------------------ checkpoint state
    def state_dict(self) -> tuple[dict[str, Array], dict[str, Any]]:
        """The whole loop state as ``(arrays, meta)``: arrays for a tensor file, JSON-able
        metadata (including the RNG's ``bit_generator.state``) beside them."""
        arrays, hist_meta = self.history.to_state()
        arrays["params"] = self.net.params.copy()
        arrays["acc"] = np.array(self._acc, np.float64)
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
        }
        return arrays, meta

    def load_state_dict(self, arrays: dict[str, Array], meta: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` output into a trainer built with the same arguments."""
        self.net.set_params(arrays["params"])
        self._acc = [float(v) for v in arrays["acc"]]
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
        self.history = History.from_state(arrays, meta["history"])
        if not self.record_params:  # a part of the run that recorded: no trajectory of a part
            self.history.params = []
        last = arrays.get("last_params")
        self._last_params = None if last is None else last.copy()
        if last is not None and not self.done:  # extended: on from the last epoch's parameters
            self.net.set_params(last)
            self._last_params, self.history.restored_best = None, False


def fit(net: Network, X: Array, y: Array, **options: Any) -> History:
    """Train ``net`` in place and return the History: ``net.fit(X, y, **options)``, whose
    signature and docstring list every option (:meth:`fcnn.Network.fit`)."""
    return net.fit(X, y, **options)
