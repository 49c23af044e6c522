"""The full-batch training loop: ``Trainer.run`` in one function, for runs with one batch.

Each epoch is one update, so ``_begin_epoch``, ``_update`` and ``_end_epoch`` are inlined with
their lookups bound to locals once and the features the run does not use left out. Same
arithmetic in the same order as the general loop, so histories, parameters and checkpoint
state are bit-identical to it (``tests/test_fastpath.py``). On the 2-2-2 seed network a step
is 26 NumPy calls of 0.3-1.0 µs each; the Python around them is kept to about a microsecond
(``docs/performance.md``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from .optim import Schedule

if TYPE_CHECKING:
    from .train import Trainer


def full_batch_epochs(trainer: Trainer, bar: tqdm | None) -> None:
    """Run the trainer's remaining epochs, one full-batch update each (see the module);
    ``bar`` is the progress bar, or None without progress."""
    net, h, ws = trainer.net, trainer.history, trainer._batch()
    params, grad, snapshot, zeros = net.params, net.grad, trainer._snapshot, trainer._zeros
    Y, w, B, l2, kind = ws.Y, ws.w, ws.B, trainer.l2, trainer.data.kind
    schedule, optimizer, fold = trainer.schedule, trainer.optimizer, trainer._fold
    fixed_lr = schedule.lr0 if type(schedule) is Schedule else None
    lr, update, update_scaled = schedule.lr, optimizer.step, optimizer.step_scaled
    count_step = optimizer.count_step
    # the constant schedule's on_epoch_end does nothing
    epoch_end = None if fixed_lr is not None else schedule.on_epoch_end
    # softmax with cross-entropy: the compiled step, called straight (Network._step would
    # pick it too, after its checks); its delta scale is set once for a fixed rate. Where
    # the trainer descends in the step (Trainer._update), so does this loop
    descend = trainer._descend
    compiled = (
        net._compiled_step(ws, descend) if (net._softmax_ce and w is None and not l2) else None
    )
    if compiled is not None and fixed_lr is not None:
        net._set_rate(ws, fixed_lr if fold else 1.0)
    scale, fB = ws.scale, float(B)
    copyto, vdot, isfinite = np.copyto, np.vdot, math.isfinite
    correct = ws.correct
    step_losses, epochs, losses, accuracies, lrs = (
        h.step_loss,
        h.epoch,
        h.loss,
        h.accuracy,
        h.lr,
    )
    part_lists = list(enumerate(h.parts.values(), 3))  # (index in acc, history list)
    many, only_part = len(part_lists) > 1, part_lists[0][1]
    step_hooks = [c.on_step_end for c in trainer.callbacks]
    epoch_hooks = [c.on_epoch_end for c in trainer.callbacks]
    validate, n_epochs = trainer.val is not None, trainer.epochs
    early_stopping = trainer.early_stopping
    monitored, flip = getattr(h, trainer.monitor), trainer.monitor.endswith("accuracy")
    while not trainer.done and not trainer._stop:
        # _begin_epoch (a full batch is never shuffled)
        copyto(snapshot, params)
        # _update
        rate = fixed_lr if fixed_lr is not None else lr(trainer.epoch, trainer.step)
        if compiled is not None:
            if fixed_lr is None and fold:
                net._set_rate(ws, rate)
            loss = 0 + compiled(Y) * scale  # sum((part,)), as _update adds its parts
            parts = (loss,)
        else:
            parts = net._step(ws, Y, l2, w, rate) if fold else net._step(ws, Y, l2, w)
            loss = sum(parts)
        if not isfinite(loss):
            trainer._acc = [0.0] * len(trainer._acc)
            trainer._diverged(loss)
        n_correct = correct()  # before the update, as Trainer._update
        if descend:
            count_step()
        elif fold:
            update_scaled(params, grad)
        else:
            update(params, grad, rate)
        loss_B = loss * B
        acc = (
            [fB, n_correct, loss_B, *[p * B for p in parts]]
            if many
            else [fB, n_correct, loss_B, loss_B]
        )
        trainer._acc = acc
        step_losses.append(loss)
        trainer.pos, trainer.step = 1, trainer.step + 1
        for hook in step_hooks:
            hook(trainer)
        # _end_epoch
        if not isfinite(vdot(zeros, params)):  # _finite
            trainer._diverged(math.nan)
        epochs.append(trainer.epoch + 1)
        losses.append(loss_B / fB)
        if many:
            for i, values in part_lists:
                values.append(acc[i] / fB)
        else:  # one part: the loss itself
            only_part.append(loss_B / fB)
        if kind is not None:
            accuracies.append(acc[1] / fB)
        lrs.append(fixed_lr if fixed_lr is not None else lr(trainer.epoch, trainer.step - 1))
        if validate:
            trainer._validate()
        if epoch_end is not None:
            epoch_end(losses[-1])
        trainer.epoch += 1
        trainer.pos = 0
        if early_stopping:
            trainer._early_stopping()
        else:  # _early_stopping without early stopping: track the best epoch only
            value = -monitored[-1] if flip else monitored[-1]
            if value < trainer.best_value - trainer.min_delta:
                trainer.best_value, trainer.wait, h.best_epoch = value, 0, trainer.epoch
            else:
                trainer.wait += 1
        if trainer.epoch >= n_epochs:
            trainer._last_epoch_done()
        for hook in epoch_hooks:
            hook(trainer)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(trainer._postfix(), refresh=False)
