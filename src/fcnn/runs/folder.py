"""A run folder's files: what ``fcnn train`` writes, in the order they are first written::

    config.toml              the resolved config (fcnn.runs.config.dump)
    checkpoint.safetensors   the training state (fcnn.runs.checkpoint): at the start, every
                             ``training.checkpoint_every`` steps, on SIGINT/SIGTERM, at the end
    history.csv              one row per epoch (History.columns)
    diagnostics.csv          one row per epoch of training-health diagnostics (fcnn.diagnostics)
    *.png, boundary.gif      the figures (fcnn.plots.save_all)
    model.safetensors        the trained network (fcnn.save), written last
    .fcnn-previous/          with --force, the finished run being replaced, until then

Claiming a folder, creating it, clearing what an earlier run left there, and writing the
outputs; the checkpoint is ``fcnn.runs.checkpoint``'s, the training ``fcnn.runs.start``'.
Every file is written atomically (``fcnn.storage.atomic``); what is written when:
``docs/reliability.md``.
"""

from __future__ import annotations

import csv
import io as _text
import shutil
from pathlib import Path
from typing import Any

from .. import storage
from ..data.files import Dataset
from ..history import History
from ..network import Network
from ..storage.atomic import atomic_write_text
from . import config
from .lock import LOCK

CONFIG, CHECKPOINT = "config.toml", "checkpoint.safetensors"
PREVIOUS = (
    ".fcnn-previous"  # a finished run that --force replaces waits here until the new one ends
)
HISTORY, MODEL, DIAGNOSTICS = "history.csv", "model.safetensors", "diagnostics.csv"
FIGURES = (
    "data.png",
    "loss.png",
    "accuracy.png",
    "parameters.png",
    "decision_boundary.png",
    "predictions.png",
    "fit.png",
    "diagnostics.png",
    "boundary.gif",
)
REPORT = "report.html"  # fcnn.reporting: written after the model, by fcnn train and fcnn report
RUN_FILES = (CONFIG, CHECKPOINT, HISTORY, DIAGNOSTICS, MODEL, *FIGURES, REPORT)


def claim(out: Path, force: bool) -> None:
    """Refuse a file, or a non-empty folder without ``force``; nothing is touched here."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} is a file, not a run folder; choose another --out")
    if out.is_dir() and not force and any(p.name != LOCK for p in out.iterdir()):
        hint = f", or continue it: fcnn train --resume {out}" if (out / CHECKPOINT).exists() else ""
        raise FileExistsError(
            f"run folder {out} is not empty; choose another --out, or pass --force to "
            f"overwrite it{hint}"
        )


def create(out: Path) -> None:
    """Create ``out`` and clear the files an earlier run left there (only fcnn's own). The
    files of an earlier *finished* run (one with a model) are moved into ``out/.fcnn-previous``,
    not deleted, until the new run has written its model (:func:`write_outputs`): a forced
    run that fails or is interrupted loses nothing. A folder without a model held a run that
    never finished; its files go, and a ``.fcnn-previous`` from before stays."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(
            exc.errno,
            f"cannot create the run folder {out}: {exc.strerror or exc}; choose a folder you "
            "can write to (--out)",
        ) from exc
    staging = out / f"{PREVIOUS}.new"
    if (out / MODEL).is_file() or staging.is_dir():  # a finished run, or a move cut short
        # into a staging folder first, the model last (while it is still in out, out still
        # holds a finished run); only a complete copy replaces .fcnn-previous, so a process killed
        # anywhere here leaves every file of the earlier run in out, staging or .fcnn-previous,
        # and the next call finishes the move
        staging.mkdir(exist_ok=True)
        for name in sorted(RUN_FILES, key=lambda n: n == MODEL):
            if (out / name).is_file():
                (out / name).replace(staging / name)
        shutil.rmtree(out / PREVIOUS, ignore_errors=True)
        staging.replace(out / PREVIOUS)
    for name in RUN_FILES:
        (out / name).unlink(missing_ok=True)
    remove_temporaries(out)


def previous_note(out: Path) -> str:
    """A sentence on where the replaced run's files wait, or "" when there are none."""
    if not (out / PREVIOUS).is_dir():
        return ""
    return (
        f"the files of the run this one replaces (--force) are kept in {out / PREVIOUS} until "
        "it finishes"
    )


def remove_temporaries(out: Path) -> None:
    """Temporary files a killed writer left beside the run files (``storage.atomic_path``)."""
    stems = tuple(f".{Path(name).stem}." for name in RUN_FILES)
    for path in out.glob(".*.tmp*"):
        if path.name.startswith(stems) and path.is_file():
            path.unlink(missing_ok=True)


def write_config(out: Path, cfg: dict[str, Any]) -> Path:
    """config.toml: the resolved config ``cfg``."""
    atomic_write_text(out / CONFIG, config.dump(cfg))
    return out / CONFIG


def write_outputs(
    out: Path, net: Network, history: History, ds: Dataset, figures: bool
) -> list[Path]:
    """history.csv, the figures, then model.safetensors: the model last, so that a finished
    checkpoint beside a model with its parameters means every output is there."""
    atomic_write_text(out / HISTORY, _history_csv(history))
    files = [out / HISTORY]
    if history.diagnostics:
        atomic_write_text(out / DIAGNOSTICS, _csv(history.diagnostic_columns()))
        files.append(out / DIAGNOSTICS)
    if figures:
        from .. import plots  # matplotlib is imported only when figures are drawn

        try:
            labels = figure_labels(out, ds)
            files += plots.save_all(out, history, net, ds.X, ds.y, ds.classes, **labels)
        except Exception:  # a figure that cannot be drawn must not cost the model
            storage.save(net, out / MODEL)
            raise
    storage.save(net, out / MODEL)
    shutil.rmtree(out / PREVIOUS, ignore_errors=True)  # the run it replaced is no longer needed
    return [*files, out / MODEL]


def figure_labels(out: Path, ds: Dataset) -> dict[str, Any]:
    """What the figures name and mark: the columns' names, the rows held out for validation
    (those the run's config draws, ``fcnn.runs.measures.held_out``)."""
    from .measures import held_out

    names = {"feature_names": ds.feature_names, "target_name": ds.target_name}
    try:
        cfg = config.validate(config.load_toml(out / CONFIG))
    except ValueError:  # no config beside the outputs: nothing is known to be held out
        return names
    rows = held_out(len(ds.X), cfg["data"]["val_split"], cfg["training"]["seed"])
    return names | {"held_out": rows}


def remove_views(out: Path) -> list[str]:
    """Delete every view a run draws (:data:`FIGURES`) from ``out``; the names deleted. A
    resume with ``--no-figures`` calls it: the views showed the run before it and would
    disagree with its new model and history."""
    removed = [name for name in FIGURES if (out / name).is_file()]
    for name in removed:
        (out / name).unlink(missing_ok=True)
    return removed


def write_diverged(out: Path, history: History, figures: bool) -> list[Path]:
    """history.csv, and loss.png unless ``figures`` is off, of a run that diverged: the epochs
    completed before the blow-up, so that it can be seen. No model is written."""
    if not len(history):
        return []
    atomic_write_text(out / HISTORY, _history_csv(history))
    files = [out / HISTORY]
    if figures:
        from .. import plots

        files.append(plots.save(plots.loss_curve(history), out / "loss.png"))
    return files


def remove_stale_figures(out: Path, written: list[Path]) -> None:
    """Delete the figures of a resumed run that this part did not draw again: they show the
    run as it was, e.g. ``parameters.png`` of the first epochs after an extension stopped
    recording the parameters. Only :data:`FIGURES`, in a folder this run wrote."""
    for name in FIGURES:
        if out / name not in written:
            (out / name).unlink(missing_ok=True)


def _history_csv(history: History) -> str:
    return _csv(history.columns())


def _csv(cols: dict[str, list]) -> str:
    text = _text.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(cols)
    writer.writerows(zip(*cols.values(), strict=True))
    return text.getvalue()


def model_file(path: str | Path) -> Path:
    """The model file ``path`` names: the file itself, or a run folder's ``model.safetensors``;
    ``ValueError`` for a run folder without one (an interrupted run), saying how to finish it."""
    p = Path(path)
    if p.is_dir():
        p = p / MODEL
        if not p.is_file():
            raise ValueError(
                f"run folder {path} has no {MODEL}; if the run was interrupted, finish it "
                f"with: fcnn train --resume {path}"
            )
    return p


def timestamped(parent: str | Path) -> Path:
    """A new folder name under ``parent``: the UTC time, with ``-2``, ``-3``, ... when taken."""
    from datetime import datetime, timezone

    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    out, n = Path(parent) / stamp, 1
    while out.exists():
        n += 1
        out = Path(parent) / f"{stamp}-{n}"
    return out
