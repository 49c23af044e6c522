"""The parameters at chosen epochs: which epochs a report's slider shows, and a callback that
keeps the parameters at those epochs while a run trains (no plotly here)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from ..callbacks import Callback

if TYPE_CHECKING:
    from ..train import Trainer

#: the most slider frames a report holds (issue 16): long runs are thinned to this many
MAX_FRAMES = 200


def frame_epochs(n_epochs: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """The epochs the slider shows for a run of ``n_epochs``: every one from 0 (the initial
    parameters) to ``n_epochs`` when they fit in ``max_frames``, else ``max_frames`` epochs
    spread evenly, always with the first (0) and the last. Returns sorted unique ints."""
    if n_epochs < 0 or max_frames < 2:
        raise ValueError(f"need n_epochs >= 0 and max_frames >= 2, got {n_epochs}, {max_frames}")
    if n_epochs + 1 <= max_frames:
        return np.arange(n_epochs + 1)
    return np.unique(np.round(np.linspace(0, n_epochs, max_frames)).astype(np.int64))


class EpochSnapshots(Callback):
    """A :class:`fcnn.Callback` that copies the flat parameter vector at the end of chosen
    epochs (and at the start, epoch 0, when training starts from scratch).

    ``epochs``: the epochs to keep, or None for :func:`frame_epochs` of the trainer's planned
    epochs. ``params`` maps epoch -> parameters as they were when that epoch ended (before a
    best epoch's parameters are restored at the end of the run). The last epoch trained is
    always kept, so a run that stops early still has its end.
    """

    def __init__(self, epochs: Iterable[int] | None = None) -> None:
        self.wanted: set[int] | None = None if epochs is None else {int(e) for e in epochs}
        self.params: dict[int, np.ndarray] = {}

    def on_train_begin(self, trainer: Trainer) -> None:
        if self.wanted is None:
            self.wanted = {int(e) for e in frame_epochs(trainer.epochs)}
        if trainer.epoch == 0 and trainer.pos == 0:
            self.params[0] = trainer.net.params.copy()

    def on_epoch_end(self, trainer: Trainer) -> None:
        if trainer.epoch in (self.wanted or ()) or trainer.done or trainer._stop:
            self.params[trainer.epoch] = self._last(trainer)

    def on_train_end(self, trainer: Trainer) -> None:
        if trainer.epoch and trainer.pos == 0 and trainer.epoch not in self.params:
            self.params[trainer.epoch] = self._last(trainer)

    @staticmethod
    def _last(trainer: Trainer) -> np.ndarray:
        # the last epoch's parameters, also where the best epoch's were restored into the net
        last = getattr(trainer, "_last_params", None)
        return (trainer.net.params if last is None else last).copy()
