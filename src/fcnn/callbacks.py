"""Callbacks: hooks the training loop calls. They observe the ``Trainer`` and may stop it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .train import Trainer


class Callback:
    """Hooks the loop calls; override any of them. ``trainer.request_stop()`` ends the run
    after the current step, with its state intact."""

    def on_train_begin(self, trainer: Trainer) -> None:
        """Before the first update of this call to ``run``."""

    def on_step_end(self, trainer: Trainer) -> None:
        """After every update."""

    def on_epoch_end(self, trainer: Trainer) -> None:
        """After every epoch's history row is written."""

    def on_train_end(self, trainer: Trainer) -> None:
        """When ``run`` returns, whatever the reason."""


class _FunctionCallback(Callback):
    """Calls a plain function after every epoch."""

    def __init__(self, fn: Callable[[Trainer], Any]) -> None:
        self.fn = fn

    def on_epoch_end(self, trainer: Trainer) -> None:
        self.fn(trainer)


def as_callbacks(cbs: Any) -> list[Callback]:
    """``fit``'s ``callbacks``: a list (or other iterable) of callbacks, or one callback or
    function on its own (as ``callbacks=print`` reads), each through :func:`as_callback`;
    None for none."""
    if cbs is None:
        return []
    if isinstance(cbs, Callback) or callable(cbs):
        return [as_callback(cbs)]
    if isinstance(cbs, str | bytes) or not isinstance(cbs, Iterable):
        raise ValueError(
            f"callbacks must be a list of fcnn.Callback objects or functions of the trainer, "
            f"got {type(cbs).__name__} {cbs!r}"
        )
    return [as_callback(c) for c in cbs]


def as_callback(cb: Callback | Callable[[Trainer], Any]) -> Callback:
    """``cb`` itself when it is a :class:`Callback`, else a callback calling it every epoch;
    ``ValueError`` for anything else."""
    if isinstance(cb, Callback):
        return cb
    if not callable(cb):
        raise ValueError(
            f"callbacks must be fcnn.Callback objects or functions of the trainer, got "
            f"{type(cb).__name__} {cb!r}"
        )
    return _FunctionCallback(cb)
