"""A sweep folder, written by the ``fcnn sweep`` process alone::

    sweep.toml            the sweep file, as given (a resumed sweep reads this one)
    sweep.json            the sweep's id, the folder it was started from, its trial count
    .lock                 held (flock) while a sweep process works here
    trials/trial-0007/    an ordinary run folder per trial (fcnn evaluate, fcnn train --resume),
                          plus trial.json: the trial's outcome, written last
    results.csv           one row per trial (fcnn.sweep.results)
    summary.txt           the best trial and the best point
    metric.png seeds.png  the figures (fcnn.plots.sweep)

A trial with a ``trial.json`` is finished (``ok`` or ``failed``) and never runs again; one with
only a checkpoint was cut short and continues from it; one with neither starts afresh.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ModelFileError
from ..runs.checkpoint import load as load_checkpoint
from ..runs.config import load_toml
from ..runs.folder import CHECKPOINT, CONFIG, FIGURES, HISTORY, MODEL
from ..runs.lock import hold
from ..storage.atomic import atomic_write_bytes, atomic_write_text
from .spec import SweepSpec, parse
from .trials import Trial

SWEEP_FILE, META, LOCK, RECORD, TRIALS = "sweep.toml", "sweep.json", ".lock", "trial.json", "trials"
#: the order a trial's files are written in: the model last, then its record
_ORDER = (CONFIG, CHECKPOINT, HISTORY, *FIGURES, MODEL)


def check_new(out: Path) -> None:
    """Refuse a file, or a folder that holds anything (a lock left by a sweep that never
    started aside)."""
    if out.exists() and (not out.is_dir() or any(p.name != LOCK for p in out.iterdir())):
        hint = (
            f", or continue it: fcnn sweep --resume {out}" if (out / SWEEP_FILE).is_file() else ""
        )
        raise FileExistsError(
            f"sweep folder {out} exists and is not empty; choose another --out{hint}"
        )


def create(out: Path, sweep_file: Path, n_trials: int) -> dict[str, Any]:
    """Start a sweep folder: refuse a non-empty one, save the sweep file and its meta."""
    check_new(out)
    (out / TRIALS).mkdir(parents=True, exist_ok=True)
    text = sweep_file.read_bytes().decode("utf-8-sig")
    meta = {"id": uuid.uuid4().hex, "cwd": os.getcwd(), "trials": n_trials}
    atomic_write_text(out / SWEEP_FILE, text)
    atomic_write_text(out / META, json.dumps(meta, indent=2) + "\n")
    return meta


def reopen(out: Path, given: Path | None) -> tuple[SweepSpec, dict[str, Any]]:
    """The spec and meta of the sweep in ``out``, read from its saved sweep file; a
    ``given`` sweep file must say the same (comments and layout aside)."""
    if not (out / SWEEP_FILE).is_file() or not (out / META).is_file():
        raise ValueError(
            f"{out} is not a sweep folder (no {SWEEP_FILE}); pass the folder of a sweep"
        )
    saved = load_toml(out / SWEEP_FILE)
    if given is not None and load_toml(given) != saved:
        raise ValueError(
            f"{given} is not the sweep file {out} was started with ({out / SWEEP_FILE}); a "
            "resumed sweep keeps its file: resume without it, or start a new sweep (--out)"
        )
    try:
        meta = json.loads((out / META).read_text())
        sweep_id, cwd = str(meta["id"]), str(meta["cwd"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{out / META} is damaged ({exc}); start a new sweep") from None
    return absolute_data(parse(saved, str(out / SWEEP_FILE)), cwd), {**meta, "id": sweep_id}


def absolute_data(spec: SweepSpec, cwd: str) -> SweepSpec:
    """``spec`` with a relative ``data.file`` taken from ``cwd``, the folder the sweep was
    started in, so that a resumed sweep reads the same file from anywhere."""
    file = spec.base["data"]["file"]
    if file and not Path(file).is_absolute():
        spec.base["data"]["file"] = str(Path(cwd) / file)
    return spec


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the sweep folder's lock for the block; refuse a folder another live sweep holds.
    The kernel drops the lock when its process dies, so a killed sweep leaves none behind."""
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise ValueError(
                f"another fcnn sweep (pid {pid}) is working in {out}; wait for it to end, or "
                "stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def trial_dir(out: Path, trial: Trial) -> Path:
    """The run folder of ``trial``."""
    return out / TRIALS / trial.name


def record(out: Path, trial: Trial) -> dict[str, Any] | None:
    """The outcome of a finished trial (its ``trial.json``), or None."""
    path = trial_dir(out, trial) / RECORD
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError:  # written atomically, so only a hand-edited file gets here
        return None


def partial(out: Path, trial: Trial) -> tuple[bytes, bytes | None, int] | None:
    """``(checkpoint bytes, config.toml bytes, step)`` of a trial that was cut short, or None
    when it has no usable checkpoint (it starts afresh)."""
    folder = trial_dir(out, trial)
    try:
        _, meta = load_checkpoint(folder / CHECKPOINT)
    except (ModelFileError, OSError):
        return None
    config = (folder / CONFIG).read_bytes() if (folder / CONFIG).is_file() else None
    return (folder / CHECKPOINT).read_bytes(), config, int(meta["trainer"]["step"])


def write_checkpoint(out: Path, trial: Trial, message: dict[str, Any]) -> None:
    """A running trial's streamed checkpoint (``fcnn.sweep.worker._Stream``), written under
    the run folder's lock (``fcnn.runs.lock``: a ``fcnn train --resume`` of it meanwhile is
    refused, and a sweep never writes into a run folder another process works in)."""
    folder = trial_dir(out, trial)
    with hold(folder, create=True):
        atomic_write_bytes(folder / CONFIG, message[CONFIG])
        atomic_write_bytes(folder / CHECKPOINT, message[CHECKPOINT])


def write_trial(out: Path, trial: Trial, outcome: dict[str, Any]) -> dict[str, Any]:
    """Write a trial's files (the model last) and then its record; return the record. An
    interrupted or lost trial gets its files but no record: it continues when the sweep
    resumes."""
    folder = trial_dir(out, trial)
    files = outcome.get("files", {})
    rec = {k: v for k, v in outcome.items() if k not in ("files", "traceback")}
    rec.update(point=trial.point, seed=trial.seed, point_index=trial.point_index)
    with hold(folder, create=True):  # as in write_checkpoint
        for name in sorted(files, key=lambda n: _ORDER.index(n) if n in _ORDER else len(_ORDER)):
            atomic_write_bytes(folder / name, files[name])
        if outcome["status"] in ("ok", "failed"):
            atomic_write_text(folder / RECORD, json.dumps(rec, indent=1) + "\n")
    return rec
