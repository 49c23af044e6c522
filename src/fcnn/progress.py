"""The training progress bar (tqdm): what a run shows on stderr while it trains."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

if TYPE_CHECKING:
    from .history import History

#: the progress bar: percentage, bar, epochs, time, then the losses (no rate: at 80 columns
#: with validation, tqdm's default left the bar one character wide and cut its end off)
BAR_FORMAT = "{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} epochs, {remaining} left{postfix}"


def progress_bar(total: int, initial: int = 0, **kwargs: Any) -> tqdm:
    """The training progress bar over ``total`` epochs, ``initial`` of them done: within the
    terminal's width, down to 80 columns with the validation loss (:data:`BAR_FORMAT`)."""
    options = {"unit": "epoch", "dynamic_ncols": True, "leave": False} | kwargs
    return tqdm(total=total, initial=initial, bar_format=BAR_FORMAT, **options)


def postfix(history: History) -> str:
    """The bar's numbers: the latest losses per sample (one scale for training and
    validation)."""
    h = history
    loss, val = h.loss_per_sample or h.loss, h.val_loss_per_sample or h.val_loss
    return f"loss {loss[-1]:.3g}" + (f" val {val[-1]:.3g}" if val else "")
