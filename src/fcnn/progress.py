"""The training progress bar (tqdm): what a run shows on stderr while it trains."""

from __future__ import annotations

from typing import Any

from tqdm.auto import tqdm

#: the progress bar: percentage, bar, epochs, time, then the losses (no rate: at 80 columns
#: with validation, tqdm's default left the bar one character wide and cut its end off)
BAR_FORMAT = "{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} epochs, {remaining} left{postfix}"


def progress_bar(total: int, initial: int = 0, **kwargs: Any) -> tqdm:
    """The training progress bar over ``total`` epochs, ``initial`` of them done: within the
    terminal's width, down to 80 columns with the validation loss (:data:`BAR_FORMAT`)."""
    options = {"unit": "epoch", "dynamic_ncols": True, "leave": False} | kwargs
    return tqdm(total=total, initial=initial, bar_format=BAR_FORMAT, **options)
