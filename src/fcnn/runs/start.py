"""Run folders: ``fcnn train`` as two library calls.

:func:`start_run` loads the data a config names, checks them against the layer sizes, builds
the network and the trainer, trains, and writes the run folder; :func:`resume_run` continues a
stopped run from its checkpoint and ends with the parameters an uninterrupted run would have,
bit for bit. :func:`prepare` (``fcnn.runs.data``) is the first step alone: the config with
its layers filled, and its data. The folder's files, and the order they are written in:
``fcnn.runs.folder``. Why a resumed run is bit-identical: ``docs/reliability.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..callbacks import Callback
from ..data.datasets import Dataset, standardize
from ..data.training import validation_rows
from ..errors import DivergenceError, ModelFileError
from ..history import History
from ..network import Network
from ..train import Trainer
from . import checkpoint, config, folder, lock, measures
from .checkpoint import Checkpointer, SignalStop
from .data import prepare, standardisation
from .folder import CHECKPOINT, CONFIG, MODEL


@dataclass
class RunResult:
    """What a call to :func:`start_run` or :func:`resume_run` did.

    ``interrupted`` is True when the run stopped before its last epoch (SIGINT/SIGTERM or
    ``trainer.request_stop()``); its checkpoint is saved and :func:`resume_run` continues it.
    ``summary`` holds ``epochs``, ``steps``, ``seconds`` (training time over every resume)
    and the last ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy`` that exist, plus
    ``stopped_early`` and ``best_epoch`` when early stopping fired, and ``restored_best`` and
    ``best_epoch`` when the model holds the best epoch's parameters, not the last one's.
    """

    out: Path
    net: Network
    history: History
    interrupted: bool
    files: list[Path]
    summary: dict[str, Any]


# ------------------------------------------------------------------------------------- data


#: with record_params = "auto", trajectories are kept while they fit in this many bytes
RECORD_PARAMS_AUTO_BYTES = 64 * 2**20


def _record_params(tr: dict[str, Any], net: Network, n_samples: int, val_split: float) -> bool:
    """Resolve ``record_params = "auto"``: keep every parameter vector (seed 000's trajectory
    plots) only while the copies, one per update of the whole run and the initial one, stay
    under ``RECORD_PARAMS_AUTO_BYTES``. The updates are counted over the training rows, the
    ones ``val_split`` leaves (:func:`fcnn.data.training.validation_rows`). A resumed run decides
    again for its epochs then: an extension past the budget drops what was recorded
    (``Trainer``)."""
    if tr["record_params"] != "auto":
        return bool(tr["record_params"])
    # at least one: a split that leaves none is refused by the Trainer, by name
    n_train = max(n_samples - validation_rows(n_samples, val_split), 1)
    steps = tr["epochs"] * -(-n_train // min(tr["batch_size"] or n_train, n_train))
    return (steps + 1) * net.n_params * net.dtype.itemsize <= RECORD_PARAMS_AUTO_BYTES


def _data_sha256(ds: Dataset) -> str:
    classes = np.frombuffer(json.dumps(ds.classes).encode(), np.uint8)
    return checkpoint.digest({"X": ds.X, "y": ds.y, "classes": classes})


# ---------------------------------------------------------------------------------- training


def build_trainer(
    cfg: dict[str, Any], ds: Dataset, callbacks: list[Callback], progress: bool
) -> Trainer:
    """The network and its trainer, exactly as a config and its data describe them: the
    same calls on resume rebuild the same data, split and standardisation."""
    net = Network(**config.network_kwargs(cfg))
    net.classes = ds.classes
    tr = cfg["training"]
    kwargs = {
        "epochs": tr["epochs"],
        "lr": tr["lr"],
        "batch_size": tr["batch_size"] or None,
        "optimizer": tr["optimizer"],
        "schedule": tr["schedule"],
        "l2": tr["l2"],
        "early_stopping": tr["early_stopping"],
        "patience": tr["patience"],
        "seed": tr["seed"],
        "record_params": _record_params(tr, net, len(ds.X), cfg["data"]["val_split"]),
        "val_split": cfg["data"]["val_split"],
    }
    X = ds.X
    if cfg["data"]["standardize"]:
        # statistics of the training rows only: the rows val_split leaves for training
        train_X = Trainer(net, X, ds.y, **kwargs).data.X
        net.feature_mean, net.feature_scale = standardisation(train_X, ds)
        X = standardize(X, net.feature_mean, net.feature_scale)
    trainer = Trainer(net, X, ds.y, **kwargs, callbacks=callbacks, progress=progress)
    if ds.classes is not None and kwargs["val_split"]:
        split = cfg["data"]["val_split"]
        found = np.unique(trainer.data.labels)
        if len(found) < 2:
            raise ValueError(
                f"data.val_split = {split:g} leaves {len(trainer.data)} training rows, all of "
                f"class {ds.classes[found[0]]!r}; classification needs at least two classes "
                "to train on: lower --val-split, or add samples"
            )
    trainer.divergence_fix = "Lower --lr (now {lr:g}) or standardise the inputs (--standardize)"
    return trainer


def _train(
    out: Path,
    cfg: dict[str, Any],
    ds: Dataset,
    trainer: Trainer,
    resume: tuple[dict, dict] | None,
    *,
    figures: bool,
    files: list[Path],
) -> RunResult:
    """Run ``trainer`` (:func:`_trainer`) from the start, or from ``resume = (arrays,
    meta)``, checkpointing as we go; write the outputs when the last epoch is done."""
    meta = resume[1] if resume else {"trainer": {"step": 0}, "seconds": 0.0}
    every = cfg["training"]["checkpoint_every"]
    ckpt = Checkpointer(
        out / CHECKPOINT, cfg, _data_sha256(ds), every, meta["trainer"], meta["seconds"]
    )
    stop = SignalStop()
    trainer.callbacks[:0] = [ckpt, stop]  # before the caller's own
    if resume:
        _load_state(trainer, *resume, out / CHECKPOINT)
    with stop.installed():
        ckpt.save(trainer)  # the state this call starts from: resumable from here on
        try:
            history = trainer.run()
        except DivergenceError as exc:
            raise _kept(exc, out, ckpt, cfg, _diverged(out, trainer, figures)) from exc
        state = ckpt.save(trainer)
    if state is None:
        error = DivergenceError("training diverged: the parameters hold NaN or inf")
        raise _kept(error, out, ckpt, cfg, _diverged(out, trainer, figures))
    files.append(out / CHECKPOINT)
    interrupted = not state["done"]
    if not interrupted:
        written = folder.write_outputs(out, trainer.net, history, ds, figures)
        if resume and figures:  # this run's figures from before that it no longer draws
            folder.remove_stale_figures(out, written)
        files += written
    summary = _summary(history, state, ckpt.seconds) | measures.summary(history, trainer)
    if resume and not figures and not interrupted:  # views of the run before: they would lie
        summary["removed_views"] = folder.remove_views(out)
    return RunResult(out, trainer.net, history, interrupted, files, summary)


def _load_state(trainer: Trainer, arrays: dict, meta: dict, path: Path) -> None:
    try:
        trainer.load_state_dict(arrays, meta["trainer"])
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise ModelFileError(
            f"bad checkpoint file {path}: its state does not fit the run's config "
            f"({type(exc).__name__}: {exc})"
        ) from exc


def _diverged(out: Path, trainer: Trainer, figures: bool) -> str:
    """Write the history (and loss.png) up to a divergence; a sentence naming them, or ""."""
    try:
        files = folder.write_diverged(out, trainer.history, figures)
    except Exception:  # the divergence is the news; a file that cannot be written is not
        return ""
    names, n = " and ".join(f.name for f in files), len(trainer.history)
    show = "show" if len(files) > 1 else "shows"
    epochs = "the epoch" if n == 1 else f"the {n} epochs"
    return f"{names} {show} {epochs} before it. " if files else ""


def _kept(
    exc: DivergenceError, out: Path, ckpt: Checkpointer, cfg: dict, written: str = ""
) -> DivergenceError:
    """The divergence message, plus what was written, where the last finite state is and how
    to go on."""
    lr = cfg["training"]["lr"]
    return DivergenceError(
        f"{str(exc).rstrip('.')}. {written}The last finite checkpoint (after step {ckpt.saved}) is "
        f"kept at {out / CHECKPOINT}: resume from it at a lower rate with fcnn train --resume "
        f"{out} --lr {lr / 10:g}, or, if the loss had already grown by then, start a new run "
        "with a lower --lr" + (f"; {note}" if (note := folder.previous_note(out)) else ""),
        epoch=exc.epoch,
        step=exc.step,
    )


def _summary(history: History, state: dict, seconds: float) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "epochs": len(history),
        "steps": int(state["step"]),
        "seconds": round(seconds, 3),
    }
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        values = getattr(history, key)
        if values:
            summary[key] = float(values[-1])
    if history.stopped_early:
        summary["stopped_early"], summary["best_epoch"] = True, history.best_epoch
    if history.restored_best:
        summary["restored_best"], summary["best_epoch"] = True, history.best_epoch
    return summary


# ------------------------------------------------------------------------------- public API


def start_run(
    cfg: dict[str, Any],
    out: str | Path,
    *,
    force: bool = False,
    progress: bool = True,
    figures: bool = True,
    callbacks: Sequence[Callback] = (),
    dataset: Dataset | None = None,
    finish: Callable[[RunResult], None] | None = None,
) -> RunResult:
    """Train the run ``cfg`` describes (a config as ``fcnn.runs.config.resolve`` returns it;
    missing keys take their defaults) and write its folder ``out``.

    Refuses (``FileExistsError``) an existing non-empty ``out`` unless ``force``, which
    replaces the files of an earlier run there. ``figures=False`` skips the PNGs;
    ``callbacks`` are extra :class:`fcnn.Callback` objects for the trainer; ``finish(result)``
    runs after a finished run's outputs, still holding the folder's lock; ``dataset``, the
    data ``load_data(cfg)`` would give, loaded elsewhere (``fcnn.sweep``). SIGINT/SIGTERM
    during training stop it after the current step with a checkpoint saved
    (``interrupted=True``). Raises ``ValueError`` for a config that does not fit its data,
    ``OSError`` when a file cannot be written (the previous checkpoint stays intact) and
    ``fcnn.DivergenceError`` naming the last finite checkpoint.
    """
    out = Path(out)
    if not out.is_dir():
        folder.claim(out, force)  # a file: refused before anything is made
    with lock.hold(out, create=True):  # one process per run folder (fcnn.runs.lock)
        folder.claim(out, force)
        cfg, ds = prepare(cfg, dataset)
        # built before any file is touched, so that every check on the data comes first
        trainer = build_trainer(cfg, ds, list(callbacks), progress)
        folder.create(out)
        files = [folder.write_config(out, cfg)]
        return _finished(_train(out, cfg, ds, trainer, None, figures=figures, files=files), finish)


def _finished(result: RunResult, finish: Callable[[RunResult], None] | None) -> RunResult:
    """``finish(result)`` for a run that reached its end, still under the run folder's lock:
    what the caller adds to the folder (``fcnn train``'s report.html) cannot meet another
    process's files."""
    if finish is not None and not result.interrupted:
        finish(result)
    return result


def resume_run(
    out: str | Path,
    *,
    progress: bool = True,
    epochs: int | None = None,
    lr: float | None = None,
    figures: bool = True,
    callbacks: Sequence[Callback] = (),
    dataset: Dataset | None = None,
    finish: Callable[[RunResult], None] | None = None,
) -> RunResult:
    """Continue the run in folder ``out`` from its checkpoint.

    With the same config, the final parameters and history are bit-identical to those of an
    uninterrupted run, wherever it stopped (Ctrl-C, SIGTERM, ``kill -9``, a crash).
    ``epochs`` larger than the config's extends a run (a finished one too, unless it stopped
    early); ``lr`` changes the base learning rate (after a divergence, say). Both are written
    to config.toml; ``dataset`` as in :func:`start_run`. Raises ``ValueError`` for a finished
    run, a config.toml that was edited or data that changed, and ``fcnn.ModelFileError`` for
    a missing or corrupt checkpoint.
    """
    out = Path(out)
    if not out.is_dir():
        raise ValueError(f"no run folder {out}; pass the folder a run was written to")
    with lock.hold(out):  # one process per run folder (fcnn.runs.lock)
        return _finished(_resume(out, progress, epochs, lr, figures, callbacks, dataset), finish)


def _resume(
    out: Path,
    progress: bool,
    epochs: int | None,
    lr: float | None,
    figures: bool,
    callbacks: Sequence[Callback],
    dataset: Dataset | None,
) -> RunResult:
    """:func:`resume_run` in a folder this process holds."""
    if not (out / CHECKPOINT).exists():
        again = (
            f"start it again with fcnn train --config {out / CONFIG} --out {out} --force"
            if (out / CONFIG).is_file()
            else f"start a run there with fcnn train --out {out} --force"
        )
        raise ModelFileError(
            f"{out} has no {CHECKPOINT}: the run stopped before training began, or this is not "
            f"a run folder; {again}"
        )
    arrays, meta = checkpoint.load(out / CHECKPOINT)
    cfg = checkpoint.check_config(out / CONFIG, meta["config"])
    changed = checkpoint.apply_overrides(cfg, meta["trainer"], epochs, lr)
    state = meta["trainer"]
    if state["done"] and checkpoint.model_matches(out / MODEL, arrays["params"]):
        n = len(arrays["history.epoch"])
        if state["history"]["stopped_early"]:
            early, longer = " (early stopping fired)", "start a new run (a larger --patience)"
        else:
            n_epochs = cfg["training"]["epochs"]
            early, longer = "", f"train longer with --epochs N (N > {n_epochs}), or start a new run"
        raise ValueError(
            f"the run in {out} is already finished: {n} epochs{early}, model in "
            f"{out / MODEL}; nothing to resume. To draw its figures again (if some are "
            f"missing): fcnn report {out}. To go on, {longer}"
        )
    cfg, ds = prepare(cfg, dataset)
    if _data_sha256(ds) != meta["data_sha256"]:
        raise ValueError(
            f"the data of the run in {out} have changed since its checkpoint (the "
            f"{'file ' + cfg['data']['file'] if cfg['data']['file'] else 'data set'} no longer "
            "gives the same samples); a resumed run needs the same data: restore them, or "
            "start a new run"
        )
    folder.remove_temporaries(out)
    files = [folder.write_config(out, cfg)] if changed or not (out / CONFIG).exists() else []
    trainer = build_trainer(cfg, ds, list(callbacks), progress)
    return _train(out, cfg, ds, trainer, (arrays, meta), figures=figures, files=files)
