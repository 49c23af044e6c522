"""A run's checkpoint: what ``checkpoint.safetensors`` holds, when it is written, how Ctrl-C
(SIGINT) or SIGTERM becomes a clean stop with a checkpoint instead of a traceback, and what
is checked before a run resumes from it.

The file is an ``fcnn.storage`` checkpoint (safetensors, written atomically): the arrays of
``Trainer.state_dict()`` as tensors, and one JSON ``meta``::

    {"format": "fcnn-run", "version": 1,
     "config": {...},          # the resolved run config (config.toml)
     "trainer": {...},         # Trainer.state_dict() metadata: epoch, step, pos, RNG state, ...
     "data_sha256": "...",     # digest of the data as loaded, before standardisation
     "arrays_sha256": "...",   # digest of every tensor: a flipped bit is caught on load
     "seconds": 1.23}          # training time so far, over every resume

See ``docs/reliability.md``.
"""

from __future__ import annotations

import hashlib
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .. import storage
from .._checks import check_number, in_range
from ..callbacks import Callback
from ..errors import ModelFileError
from ..train import Trainer
from . import config

Array = np.ndarray
RUN_FORMAT = "fcnn-run"
RUN_FORMAT_VERSION = 1
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def digest(arrays: dict[str, Array]) -> str:
    """SHA-256 over every array's name, dtype, shape and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def load(path: Path) -> tuple[dict[str, Array], dict[str, Any]]:
    """``(arrays, meta)`` of a run checkpoint, checked: ``ModelFileError`` if the file is
    missing, corrupted, not a run checkpoint, or its tensors do not match their digest."""
    arrays, meta = storage.load_checkpoint(path)
    if meta.get("format") != RUN_FORMAT:
        raise ModelFileError(f"{path} is an fcnn checkpoint but not one of a run folder")
    if meta.get("version") != RUN_FORMAT_VERSION:
        raise ModelFileError(
            f"{path} is a run checkpoint of version {meta.get('version')!r}, this fcnn reads "
            f"version {RUN_FORMAT_VERSION}; upgrade fcnn"
        )
    for key, kind in (("config", dict), ("trainer", dict), ("data_sha256", str)):
        if not isinstance(meta.get(key), kind):
            raise ModelFileError(f"bad checkpoint file {path}: meta has no valid {key!r}")
    state = meta["trainer"]
    if not (
        all(type(state.get(k)) is int for k in ("epoch", "step"))
        and type(state.get("done")) is bool
        and isinstance(state.get("history"), dict)
        and type(state["history"].get("stopped_early")) is bool
        and "params" in arrays
        and "history.epoch" in arrays
    ):
        raise ModelFileError(f"bad checkpoint file {path}: the trainer state is incomplete")
    if meta.get("arrays_sha256") != digest(arrays):
        raise ModelFileError(
            f"bad checkpoint file {path}: its tensors do not match their SHA-256 (the file "
            "was changed or damaged after it was written)"
        )
    return arrays, meta


class Checkpointer(Callback):
    """Writes the run checkpoint every ``every`` optimiser steps (0: only when :meth:`save`
    is called), and never a state with NaN or infinite parameters or optimiser state, so the
    file on disk is always the last finite state.

    ``step`` counts optimiser steps from the start of the run (across resumes); ``saved`` is
    the step of the last state written, or None.
    """

    def __init__(
        self, path: Path, cfg: dict, data_sha256: str, every: int, state: dict, seconds: float
    ) -> None:
        self.path, self.config, self.data_sha256 = path, cfg, data_sha256
        self.every, self.step = int(every), int(state["step"])
        self.saved: int | None = None
        self._seconds, self._since = float(seconds), None

    @property
    def seconds(self) -> float:
        """Training time over every call to ``run``, this one included."""
        since = 0.0 if self._since is None else time.perf_counter() - self._since
        return self._seconds + since

    def on_train_begin(self, trainer: Trainer) -> None:
        self._since = time.perf_counter()

    def on_step_end(self, trainer: Trainer) -> None:
        self.step += 1
        if self.every and self.step % self.every == 0:
            self.save(trainer)

    def on_train_end(self, trainer: Trainer) -> None:
        self._seconds, self._since = self.seconds, None

    def save(self, trainer: Trainer) -> dict[str, Any] | None:
        """Write the trainer's state atomically; return its metadata, or None (nothing
        written) when the state is not finite."""
        arrays, state = trainer.state_dict()
        if not all(np.isfinite(a).all() for k, a in arrays.items() if _guarded(k)):
            return None
        meta = {
            "format": RUN_FORMAT,
            "version": RUN_FORMAT_VERSION,
            "config": self.config,
            "trainer": state,
            "data_sha256": self.data_sha256,
            "arrays_sha256": digest(arrays),
            "seconds": self.seconds,
        }
        storage.save_checkpoint(self.path, arrays, meta)
        self.saved = int(state["step"])
        return state


def _guarded(name: str) -> bool:
    return name == "params" or name.startswith("optim.")


class SignalStop(Callback):
    """Turns SIGINT/SIGTERM into ``trainer.request_stop()``; a second signal raises
    ``KeyboardInterrupt`` at once. ``signum`` is the first signal received, or None."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._trainer: Trainer | None = None

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum
        if self._trainer is not None:
            self._trainer.request_stop()

    def on_train_begin(self, trainer: Trainer) -> None:
        self._trainer = trainer
        if self.signum is not None:  # arrived before ``run`` reset the stop flag
            trainer.request_stop()

    @contextmanager
    def installed(self) -> Iterator[SignalStop]:
        """Install the handlers for the block (main thread only), then restore the old ones."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        old = {s: signal.signal(s, self._handle) for s in SIGNALS}
        try:
            yield self
        finally:
            for s, handler in old.items():
                signal.signal(s, handler)


# ------------------------------------------------------------------------- resume checks


def check_config(path: Path, saved: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint's config ``saved``, after checking that the run's config.toml at
    ``path`` (if present) still says the same: a resumed run keeps its config, except what
    :func:`apply_overrides` changes."""
    if not path.exists():
        return saved
    diffs = _differences(config.validate(saved), config.validate(config.load_toml(path)))
    if diffs:
        raise ValueError(
            f"{path} was changed since the checkpoint was written ({'; '.join(diffs[:3])}); a "
            "resumed run keeps its config: restore the file, or start a new run with "
            f"--config {path}. To train longer or at another rate, resume with --epochs or --lr"
        )
    return saved


def _differences(saved: dict, found: dict, prefix: str = "") -> list[str]:
    diffs = []
    for key in sorted(saved.keys() | found.keys()):
        a, b = saved.get(key), found.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            diffs += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            diffs.append(f"{prefix}{key} is {b!r}, the checkpoint's is {a!r}")
    return diffs


def apply_overrides(
    cfg: dict[str, Any], state: dict[str, Any], epochs: int | None, lr: float | None
) -> bool:
    """Set ``training.epochs`` and ``training.lr`` of ``cfg`` in place, and mark the trainer
    ``state`` not done when ``epochs`` extends it; return whether anything changed."""
    training, changed = cfg["training"], False
    if lr is not None and lr != training["lr"]:
        lr = check_number("lr", lr, 0, low_open=True, what="a positive number")
        training["lr"], changed = lr, True
    if epochs is not None and epochs != training["epochs"]:
        done = int(state["epoch"])
        least = done + (1 if state.get("pos") else 0)  # an epoch in progress is finished
        if not in_range(epochs, least, integer=True):
            raise ValueError(
                f"epochs must be an integer of at least {least} (the epochs already trained"
                f"{', and the one in progress' if least > done else ''}), got {epochs!r}"
            )
        if state["history"]["stopped_early"]:
            raise ValueError(
                "this run was ended by early stopping and its best parameters restored; it "
                "cannot be extended: start a new run with more --epochs or a larger --patience"
            )
        training["epochs"], changed = int(epochs), True
        # a run that already has its epochs is finished by Trainer.run (best weights included)
        state["done"] = state["done"] and epochs <= done
    return changed


def model_matches(path: Path, params: Array) -> bool:
    """Whether ``path`` holds a model file with exactly the parameters ``params``."""
    try:
        net = storage.load(path)
    except (ModelFileError, OSError):
        return False
    return net.params.dtype == params.dtype and net.params.tobytes() == params.tobytes()
