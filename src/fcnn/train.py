"""THE training loop. It knows nothing of the math: every step it gathers a batch, runs the
step function (forward, loss, backward: ``Network._step``, or the variant of it that
``fcnn._fast.step.choose`` picked once for the run), applies the update, and records the
history. A full batch is a batch: the same loop runs it.

Every piece of loop state is a plain array or number (``Trainer.state_dict``), so a run that
is stopped at any step and resumed from a checkpoint ends with bit-identical parameters.
"""

from __future__ import annotations

import inspect
import math
from types import SimpleNamespace
from typing import Any

import numpy as np

from . import _checks, train_state
from ._checks import check_monitor, check_seed, check_training_options
from ._fast import cache as ws_cache
from ._fast import step as fast_step
from ._fast import threads
from ._fast.batch import Batch
from ._fast.sparse import is_sparse
from .callbacks import Callback as Callback  # fcnn.train.Callback, as before
from .callbacks import as_callbacks
from .data.training import training_and_validation
from .diagnostics import Diagnostics
from .errors import DivergenceError
from .history import History
from .network import Network
from .optim import Schedule, get_optimizer, get_schedule
from .progress import postfix, progress_bar

Array = np.ndarray
MONITORS = _checks.MONITORS


class Trainer:
    """Trains ``net`` on ``(X, y)``; the options are :meth:`fcnn.Network.fit`'s. ``run()``
    trains and returns the History; callbacks see the trainer, and ``state_dict`` /
    ``load_state_dict`` hold everything a resumed run needs."""

    def __init__(self, net: Network, X: Array, y: Array, **options: Any) -> None:
        o = SimpleNamespace(**fit_options(options))
        check_training_options(
            o.epochs, o.l2, o.clip, o.val_split, o.patience, o.batch_size, o.min_delta
        )
        self.net, self.epochs = net, int(o.epochs)
        o.seed = net.seed if o.seed is None else check_seed("seed", o.seed, generators=False)
        seq = o.seed
        if not isinstance(seq, np.random.SeedSequence):
            seq = np.random.SeedSequence(seq)
        split_seq, shuffle_seq = seq.spawn(2)
        self.data, self.val = data, val = training_and_validation(
            net,
            X,
            y,
            o.sample_weight,
            o.val_split,
            o.validation_data,
            np.random.default_rng(split_seq),
        )
        n = len(data)
        self.B = n if o.batch_size is None else min(int(o.batch_size), n)
        self.n_batches = -(-n // self.B)
        self.shuffle = bool(o.shuffle) and self.n_batches > 1  # a full batch's order is moot
        self.optimizer = get_optimizer(o.optimizer, **(o.optimizer_options or {}))
        if self.n_batches > 1 and getattr(self.optimizer, "name", None) == "lbfgs":
            raise ValueError(
                f"optimizer='lbfgs' needs the full batch, got batch_size={o.batch_size} for {n} "
                "samples: leave batch_size=None (--batch-size 0); each epoch is one iteration"
            )
        self.schedule = get_schedule(o.schedule, o.lr, **(o.schedule_options or {}))
        # whether the schedule reacts to the epoch's loss (the base class's hook does nothing)
        self._adapts = type(self.schedule).on_epoch_end is not Schedule.on_epoch_end
        self.l2, self.clip = float(o.l2), o.clip
        self.monitor = o.monitor or ("val_loss" if val is not None else "loss")
        check_monitor(self.monitor, net, val is not None, data.kind is not None)
        self._maximise = self.monitor.endswith("accuracy")
        self.early_stopping, self.patience = bool(o.early_stopping), int(o.patience)
        self.min_delta, self.restore_best = float(o.min_delta), bool(o.restore_best)
        self.callbacks = as_callbacks(o.callbacks)
        if o.diagnostics and not any(isinstance(c, Diagnostics) for c in self.callbacks):
            self.callbacks.append(Diagnostics())
        self._plan = self._choose_plan()
        threads.policy_off()  # FCNN_THREAD_POLICY checked now, before a run folder is written
        self.record_params, self.progress = bool(o.record_params), bool(o.progress)
        self.rng = np.random.default_rng(shuffle_seq)
        # ---- loop state: plain arrays and numbers only (state_dict) ----
        names = self._part_names()
        self.history = History(
            parts={p: [] for p in names}, parts_per_sample={p: [] for p in names}, sizes=net.sizes
        )
        self.epoch = self.step = self.pos = 0
        self.perm: Array | None = None
        # running sums of the epoch as Python floats (cheaper than a NumPy array per step):
        # weight, correct, loss, parts; state_dict stores them as one float64 array
        self._zero_acc = [0.0] * (3 + len(self._part_names()))
        self._acc = self._zero_acc.copy()
        # with the sum reduction the per-sample means need sums of their own: Σ_k J_k per part
        # (the L2 penalty weighted by batch size, as in the objective); with the mean
        # reduction they are the objective's averages themselves
        self._sums = net.reduction == "sum"
        self._l2_index = len(net.parts) if self.l2 else -1
        self._acc_ps = [0.0] * len(self._part_names())
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
        self._val_ws: Batch | None = None  # taken when a run starts (fcnn._fast.cache)
        self._snapshot = net.params.copy()
        self._zero_dot = np.zeros_like(net.params).dot  # _finite's product, bound once
        if o.record_params:
            self.history.params.append(net.params.copy())
        self._bind()

    def _choose_plan(self, kernel: bool | None = None) -> fast_step.Plan:
        """The one choice of the step function (``kernel``: a resumed run's recorded use of
        the fused kernel). A callback that reads the gradient buffer (``needs_gradient``)
        gets a step that leaves ∇J there (α ∇J, where all say ``"scaled"``)."""
        wants = {getattr(c, "needs_gradient", False) for c in self.callbacks} - {False}
        data = self.data
        return fast_step.choose(
            self.net,
            self.optimizer,
            l2=self.l2,
            clip=self.clip,
            weighted=data.w is not None,
            gradient=True if True in wants else ("scaled" if wants else False),
            sparse=is_sparse(data.X),
            steps=(self.epochs * self.n_batches) if data.kind == "argmax" else 0,
            batch=self.B,
            kernel=kernel,
        )

    def _bind(self) -> None:
        """What every update calls, looked up once: the plan's step and update (a test may
        have swapped the plan), the schedule's rate, the history's step losses."""
        self._step, self._apply, self._count = self._plan.step, self._plan.update, self._plan.count
        self._lr, self._step_losses = self.schedule.lr, self.history.step_loss
        # a constant schedule's rate, read once: Schedule.lr is lr0 whatever the step
        self._fixed_lr = self.schedule.lr0 if type(self.schedule) is Schedule else None
        self._one_part = len(self._zero_acc) == 4
        h = self.history
        self._part_lists = list(zip(h.parts.values(), h.parts_per_sample.values(), strict=True))

    def _part_names(self) -> tuple[str, ...]:
        return self.net.parts + (("l2",) if self.l2 else ())

    def request_stop(self) -> None:
        """Ask the loop to stop after the current update (state stays resumable)."""
        self._stop = True

    # ------------------------------------------------------------------- the loop
    def run(self) -> History:
        """Train until ``epochs`` are done, early stopping fires or a stop is requested."""
        # a loss or parameter that overflows is reported by DivergenceError, with where and
        # what to do; NumPy's floating-point warnings on the way would only repeat it. BLAS
        # threads: chosen once per run, restored after it (fcnn._fast.threads)
        with (
            np.errstate(over="ignore", invalid="ignore", divide="ignore"),
            threads.limited(self.net.sizes, self.B),
        ):
            try:
                return self._run()
            finally:  # the batches go to the network's next run (fcnn._fast.cache)
                ws_cache.give_back(self.net, [*self._batches.values(), self._whole, self._val_ws])
                self._batches, self._whole, self._val_ws = {}, None, None

    def _run(self) -> History:
        self._stop = False
        self._bind()
        if self.val is not None and self._val_ws is None:
            self._val_ws = ws_cache.take(self.net, len(self.val), self.val)
            self._val_ws.gather(self.val, None)
        if not self.done and self.pos == 0 and self.epochs <= self.epoch:
            self._last_epoch_done()  # resumed with epochs = the epochs already trained
        # no bar at all without progress: even a disabled tqdm costs time (docs/performance.md)
        bar = progress_bar(self.epochs, self.epoch) if self.progress else None
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
                        bar.set_postfix_str(postfix(self.history), refresh=False)
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
        if self._sums:
            self._acc_ps = [0.0] * len(self._acc_ps)
        np.copyto(self._snapshot, self.net.params)

    def _batch(self) -> Batch:
        """The workspace holding the next batch."""
        if self.n_batches == 1:  # the full batch, gathered once
            self._whole = ws_cache.take(self.net, len(self.data), self.data)
            self._whole.gather(self.data, None)
            return self._whole
        start = self.pos * self.B
        idx = None if self.perm is None else self.perm[start : start + self.B]
        if idx is None and self.n_batches > 1:
            idx = np.arange(start, min(start + self.B, len(self.data)))
        size = len(self.data) if idx is None else len(idx)
        ws = self._batches.get(size)
        if ws is None:
            ws = self._batches[size] = ws_cache.take(self.net, size, self.data, idx is not None)
            if idx is None:
                ws.gather(self.data, None)  # full batch: gathered once for the whole run
        if idx is not None:
            ws.gather(self.data, idx)
        return ws

    def _update(self) -> None:
        ws = self.batch = self._whole or self._batch()  # the batch, for callbacks
        rate = self._fixed_lr
        if rate is None:
            rate = self._lr(self.epoch, self.step)
        parts = self._step(ws, rate)  # forward, loss, backward (fcnn._fast.step.choose)
        loss = parts[0] if len(parts) == 1 else sum(parts)
        if not math.isfinite(loss):
            self._diverged(loss)
        # before the update's pass over the parameters evicts P; the fused kernel counts itself
        correct = ws.correct() if self._count is None else self._count()
        self._apply(rate)
        acc, B = self._acc, ws.B
        acc[0] += B
        acc[1] += correct
        loss_B = loss * B
        acc[2] += loss_B
        if self._one_part:  # the loss is the part
            acc[3] += loss_B
        else:
            for i, v in enumerate(parts, 3):
                acc[i] += v * B
        if self._sums:
            ps = self._acc_ps
            for i, v in enumerate(parts):
                ps[i] += v * B if i == self._l2_index else v
        self._step_losses.append(loss)
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
        loss = acc[2] / n
        h.loss.append(loss)
        if self.data.kind is not None:
            h.accuracy.append(acc[1] / n)
        if self._sums:
            for values, total in zip(h.parts.values(), acc[3:], strict=True):
                values.append(total / n)
            per = [total / n for total in self._acc_ps]
            h.loss_per_sample.append(sum(per))
            for values, v in zip(h.parts_per_sample.values(), per, strict=True):
                values.append(v)
        else:  # the mean reduction: the per-sample means are the epoch's means
            h.loss_per_sample.append(loss)
            for (values, per_sample), total in zip(self._part_lists, acc[3:], strict=True):
                v = total / n
                values.append(v)
                per_sample.append(v)
        rate = self._fixed_lr
        h.lr.append(self.schedule.lr(self.epoch, self.step - 1) if rate is None else rate)
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
        # per sample: Σ_k J_k / n for the data parts, the L2 penalty as it is
        per = {k: v if k == "l2" else v / (ws.scale * ws.B) for k, v in parts.items()}
        for name in self.net.parts:
            h.val_parts_per_sample.setdefault(name, []).append(per[name])
        h.val_loss_per_sample.append(sum(per.values()))
        if val.kind is not None:
            h.val_accuracy.append(ws.correct() / ws.B)

    def _finite(self, params: Array) -> bool:
        """Whether every parameter is finite: ``Σ 0·θ_i`` is 0 if so, however large, else
        NaN; one BLAS call, within ``run``'s ``np.errstate`` (docs/performance.md)."""
        return math.isfinite(self._zero_dot(params))

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

    # ------------------------------------------------------------ checkpoint state
    def state_dict(self) -> tuple[dict[str, Array], dict[str, Any]]:
        """The whole loop state as ``(arrays, meta)``: arrays for a tensor file, JSON-able
        metadata (including the RNG's ``bit_generator.state``) beside them."""
        return train_state.state_dict(self)

    def load_state_dict(self, arrays: dict[str, Array], meta: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` output into a trainer built with the same arguments."""
        train_state.load_state_dict(self, arrays, meta)


def fit_options(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` over the defaults of :meth:`fcnn.Network.fit`'s keywords, the one list of
    training options; ``TypeError`` naming an unknown one."""
    unknown = sorted(set(options) - set(_FIT_DEFAULTS))
    if unknown:
        raise TypeError(
            f"unknown training option(s) {', '.join(unknown)}; the options are those of "
            f"Network.fit: {', '.join(_FIT_DEFAULTS)}"
        )
    return _FIT_DEFAULTS | options


_FIT_DEFAULTS = {
    name: p.default
    for name, p in inspect.signature(Network.fit).parameters.items()
    if p.kind is p.KEYWORD_ONLY
}


def fit(net: Network, X: Array, y: Array, **options: Any) -> History:
    """Train ``net`` in place and return the History: ``net.fit(X, y, **options)``, whose
    signature and docstring list every option (:meth:`fcnn.Network.fit`)."""
    return net.fit(X, y, **options)
