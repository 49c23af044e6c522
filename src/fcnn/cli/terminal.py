"""What ``fcnn train`` tells the terminal between the progress bar and the summary."""

from __future__ import annotations

import sys
from typing import Any

from ..callbacks import Callback


class FiguresNote(Callback):
    """Says ``writing figures ...`` on stderr once training is done and the bar is erased, so
    that the seconds the figures take are not a blank, silent terminal."""

    def on_train_end(self, trainer: Any) -> None:
        if trainer.done:  # not after an interruption or a divergence: no figures follow
            print("writing figures ...", file=sys.stderr, flush=True)
