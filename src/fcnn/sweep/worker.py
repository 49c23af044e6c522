"""One trial, where it runs: on a Dask worker, or in the ``fcnn sweep`` process itself.

:func:`run_trial` takes everything a trial needs in its :class:`Task` (the run config, the
data, and the checkpoint of a trial that was cut short) and gives back every file of the
trial's run folder as bytes. The run folder is a temporary one on the worker; the sweep
process writes the files into the sweep folder (``fcnn.sweep.folder``). No file system is
shared, and no file is written on the worker's side that outlives the task.

While it trains, a trial sends its checkpoint home every ``checkpoint_seconds``
(:class:`_Stream`), so a sweep killed mid-trial resumes that trial from there. A trial runs on
one BLAS thread (``threadpoolctl``): small networks are fastest that way, several workers on
one machine do not fight over its cores, and the result does not depend on the worker.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from ..data.datasets import Dataset
from ..runs import resume_run, start_run
from ..runs.checkpoint import Checkpointer
from ..runs.checkpoint import load as load_checkpoint
from ..runs.folder import CHECKPOINT, CONFIG
from ..train import Callback, Trainer

#: the Dask event topic of streamed checkpoints
TOPIC = "fcnn-sweep-checkpoint"
Send = Callable[[dict[str, Any]], None]


@dataclass
class Task:
    """What a worker needs to run one trial: ``checkpoint`` and ``config_toml`` are the bytes
    of a trial cut short (None to start it), ``dataset`` its data as loaded (not
    standardised), ``sweep_id`` the sweep's own id (streamed checkpoints carry it)."""

    name: str
    config: dict[str, Any]
    dataset: Dataset
    metric: str
    sweep_id: str
    checkpoint: bytes | None = None
    config_toml: bytes | None = None
    figures: bool = True
    checkpoint_seconds: float = 30.0


class _Stream(Callback):
    """Saves the run's checkpoint every ``seconds`` of training and hands its bytes to
    ``send``. Runs after the run's own Checkpointer (``fcnn.runs`` puts that first)."""

    def __init__(self, task: Task, out: Path, send: Send) -> None:
        self.task, self.out, self.send = task, out, send
        self.last = time.monotonic()

    def on_step_end(self, trainer: Trainer) -> None:
        if not self.task.checkpoint_seconds or (
            time.monotonic() - self.last < self.task.checkpoint_seconds
        ):
            return
        ckpt = next(c for c in trainer.callbacks if isinstance(c, Checkpointer))
        state = ckpt.save(trainer)
        self.last = time.monotonic()
        if state is not None:
            self.send(
                {
                    "sweep": self.task.sweep_id,
                    "trial": self.task.name,
                    "step": int(state["step"]),
                    CHECKPOINT: (self.out / CHECKPOINT).read_bytes(),
                    CONFIG: (self.out / CONFIG).read_bytes(),
                }
            )


def run_trial(task: Task, send: Send | None = None) -> dict[str, Any]:
    """Run (or continue) one trial in a temporary folder; return its outcome and files.

    Returns ``name``, ``status`` (``ok``, ``failed`` or ``interrupted``), ``error`` (one
    line, or ""), ``metric`` (the metric per epoch), ``epochs``, ``files`` (file name ->
    bytes of the run folder), ``wall_seconds`` and ``worker``. A trial that fails (it
    diverges, its point does not fit the data) is a result with its error, not an exception.
    """
    send = send or _dask_sender()
    start = time.perf_counter()
    outcome: dict[str, Any] = {"name": task.name, "status": "ok", "error": "", "metric": []}
    with tempfile.TemporaryDirectory(prefix="fcnn-trial-") as tmp, threadpool_limits(1):
        out = Path(tmp) / task.name
        stream = [_Stream(task, out, send)] if send else []
        try:
            result = _run(task, out, stream, outcome)
        except Exception as exc:  # recorded with the trial: one failure must not stop a sweep
            outcome.update(status="failed", error=_one_line(exc), epochs=0)
            if os.environ.get("FCNN_DEBUG"):
                outcome["traceback"] = traceback.format_exc()
        else:
            columns = result.history.columns()
            if result.interrupted:
                outcome["status"] = "interrupted"
            elif task.metric not in columns:
                recorded = ", ".join(c for c in columns if c not in ("epoch", "lr"))
                outcome.update(
                    status="failed",
                    error=f"the run recorded no {task.metric!r} (it has {recorded}); "
                    "choose another sweep.metric",
                )
            outcome["metric"] = [float(v) for v in columns.get(task.metric, [])]
            outcome["epochs"] = len(result.history)
        outcome["files"] = (
            {p.name: p.read_bytes() for p in sorted(out.glob("*")) if p.is_file()}
            if out.is_dir()
            else {}
        )
    outcome["wall_seconds"] = time.perf_counter() - start
    outcome["worker"] = _worker_name()
    return outcome


def _run(task: Task, out: Path, callbacks: list[Callback], outcome: dict[str, Any]) -> Any:
    """Start the trial, or resume it from its checkpoint (``outcome["resumed_from"]``: the
    optimiser step it continues from, 0 for a fresh start)."""
    kwargs = {"progress": False, "figures": task.figures, "callbacks": callbacks}
    outcome["resumed_from"] = 0
    if task.checkpoint is None:
        return start_run(task.config, out, dataset=task.dataset, **kwargs)
    out.mkdir(parents=True)
    (out / CHECKPOINT).write_bytes(task.checkpoint)
    if task.config_toml is not None:
        (out / CONFIG).write_bytes(task.config_toml)
    outcome["resumed_from"] = int(load_checkpoint(out / CHECKPOINT)[1]["trainer"]["step"])
    return resume_run(out, dataset=task.dataset, **kwargs)


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _dask_worker() -> Any:
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):  # no dask, or not inside a Dask task
        return None


def _dask_sender() -> Send | None:
    worker = _dask_worker()
    return None if worker is None else lambda msg: worker.log_event(TOPIC, msg)


def _worker_name() -> str:
    worker = _dask_worker()
    return str(worker.address) if worker is not None else f"{socket.gethostname()}:{os.getpid()}"
