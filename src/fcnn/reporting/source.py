"""What a report is built from: a run folder's files, read back, and the parameters at the
slider's epochs, taken from where the run recorded them (no plotly here).

The frames' parameters come from, in order of preference:

1. the run's own trajectory (``record_params``), kept in ``checkpoint.safetensors``: exact;
2. an :class:`EpochSnapshots` recorded while the run trained (``fcnn train`` passes one);
3. a deterministic retraining from ``config.toml`` with the run's seed. fcnn's training is
   bit-reproducible (``docs/reliability.md``), so this is sound exactly when the retrained
   final parameters equal ``model.safetensors``; the builder checks that and the page says
   which source it used, and whether the check held.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import storage as io
from ..data.datasets import Dataset
from ..data.training import validation_rows
from ..errors import ModelFileError
from ..history import History
from ..network import Network
from ..runs import checkpoint, config
from ..runs import data as run_data
from ..runs.folder import CHECKPOINT, CONFIG, HISTORY, MODEL
from .snapshots import EpochSnapshots, frame_epochs

DIAGNOSTICS = "diagnostics.csv"


@dataclass
class Run:
    """A finished run, read back: everything a report shows."""

    folder: Path
    cfg: dict[str, Any]
    net: Network  # the saved model (model.safetensors)
    history: History  # from the checkpoint; params only where the run recorded them
    columns: dict[str, np.ndarray]  # history.csv, one array per column
    ds: Dataset  # the data, as the run's config loads them (raw units)
    held_out: np.ndarray  # (n_samples,) bool: the rows val_split held out
    epochs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # frame epochs
    params: np.ndarray | None = None  # (n_frames, n_params) at those epochs
    source: str = ""  # a sentence: where the frames' parameters come from
    diagnostics: dict[str, np.ndarray] | None = None


def held_out_rows(n: int, val_split: float, seed: Any) -> np.ndarray:
    """``(n,)`` bool mask of the rows ``Trainer(val_split=..., seed=...)`` holds out: the
    split's own generator (the first child of the seed's SeedSequence) and its own count
    (:func:`fcnn.batching.validation_rows`); ``tests/reporting`` proves it against the Trainer."""
    mask = np.zeros(n, bool)
    if not val_split:
        return mask
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    order = np.random.default_rng(seq.spawn(2)[0]).permutation(n)
    mask[order[: validation_rows(n, val_split)]] = True
    return mask


def read_csv_columns(path: Path) -> dict[str, np.ndarray]:
    """A CSV of numbers with a header row, as one float array per column (empty cells NaN)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError(f"{path} is empty; it needs a header row and one row per epoch")
    head, body = rows[0], rows[1:]
    out = {}
    for j, name in enumerate(head):
        cells = [r[j] if j < len(r) else "" for r in body]
        try:
            out[name] = np.array([float(c) if c.strip() else np.nan for c in cells])
        except ValueError:
            continue  # a column of text (a verdict, a name): not a curve
    return out


def load_run(folder: str | Path) -> Run:
    """Read the run in ``folder``: config.toml, model.safetensors, history.csv, the
    checkpoint's history (for a recorded trajectory), diagnostics.csv if any, and the data
    re-loaded with the run's own config. ``ValueError`` names a missing file and the fix."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"no run folder {folder}; pass the folder fcnn train wrote (--out)")
    for name in (CONFIG, MODEL, HISTORY):
        if not (folder / name).is_file():
            raise ValueError(
                f"{folder} has no {name}: a report needs a finished run; finish it with "
                f"fcnn train --resume {folder}"
            )
    cfg, ds = run_data.prepare(config.resolve(folder / CONFIG))
    net = io.load(folder / MODEL)
    columns = read_csv_columns(folder / HISTORY)
    history = _history(folder) or history_from_columns(columns)
    held = held_out_rows(len(ds.X), cfg["data"]["val_split"], cfg["training"]["seed"])
    diag = folder / DIAGNOSTICS
    run = Run(folder, cfg, net, history, columns, ds, held)
    run.diagnostics = read_csv_columns(diag) if diag.is_file() else None
    return run


def history_from_columns(cols: dict[str, np.ndarray]) -> History:
    """A History of history.csv's columns (no trajectory): for a folder without checkpoint."""
    h = History(epoch=[int(e) for e in cols.get("epoch", [])])
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        setattr(h, key, [float(v) for v in cols.get(key, [])])
    known = {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    parts = [k for k in cols if k not in known and not k.startswith("val_")]
    h.parts = {k: cols[k].tolist() for k in parts} or {"loss": list(h.loss)}
    h.val_parts = {k: cols[f"val_{k}"].tolist() for k in parts if f"val_{k}" in cols}
    return h


def _history(folder: Path) -> History:
    """The checkpoint's history (with the recorded trajectory), or an empty one when the
    checkpoint is gone: the curves come from history.csv anyway."""
    try:
        arrays, meta = checkpoint.load(folder / CHECKPOINT)
    except (ModelFileError, OSError, ValueError):
        return History()
    return History.from_state(arrays, meta["trainer"]["history"])


def attach_frames(run: Run, snapshots: EpochSnapshots | None = None, retrain: bool = True) -> None:
    """Fill ``run.epochs``, ``run.params`` and ``run.source`` (module docstring's order)."""
    n_epochs = int(run.columns["epoch"][-1]) if len(run.columns.get("epoch", ())) else 0
    epochs = frame_epochs(n_epochs)
    P = run.history.params
    steps = len(P) - 1
    if P and n_epochs and steps % n_epochs == 0 and len(run.history) == n_epochs:
        per_epoch = steps // n_epochs
        run.epochs, run.params = epochs, np.stack([P[e * per_epoch] for e in epochs])
        run.source = "the parameters the run recorded at every update (record_params)"
        return
    if snapshots is not None and 0 in snapshots.params and n_epochs in snapshots.params:
        have = np.array(sorted(e for e in snapshots.params if e in set(epochs.tolist())))
        have = np.union1d(have, [0, n_epochs]).astype(np.int64)
        run.epochs, run.params = have, np.stack([snapshots.params[int(e)] for e in have])
        run.source = "the parameters kept at these epochs while the run trained"
        return
    if not retrain:
        run.epochs, run.params = np.array([n_epochs]), run.net.params[None].copy()
        run.source = "the saved model only: the run recorded no parameters per epoch"
        return
    _retrain(run, epochs)


def _retrain(run: Run, epochs: np.ndarray) -> None:
    """Train the run again from its config and seed, keeping the frames' parameters, and
    check the result against model.safetensors."""
    from ..runs.start import build_trainer  # the run's own: same data, split, standardisation

    rec = EpochSnapshots(epochs)
    trainer = build_trainer(run.cfg, run.ds, [rec], progress=False)
    trainer.record_params = False
    trainer.history.params = []
    trainer.run()
    have = np.array(sorted(rec.params), dtype=np.int64)
    run.epochs, run.params = have, np.stack([rec.params[int(e)] for e in have])
    gap = float(np.max(np.abs(trainer.net.params - run.net.params), initial=0.0))
    if gap == 0.0:
        run.source = (
            "a deterministic retraining from config.toml and its seed (the run recorded no "
            "parameters per epoch); it ends on exactly the saved model's parameters, so "
            "these frames are the run's own"
        )
    else:
        run.source = (
            "a retraining from config.toml and its seed (the run recorded no parameters per "
            f"epoch). It does NOT end on the saved model (largest difference {gap:.3g}): the "
            "run was resumed with other settings, or the data changed. Read the frames as an "
            "approximation of this run"
        )
