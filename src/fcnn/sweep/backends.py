"""Where a sweep's trials run: Dask workers, or the ``fcnn sweep`` process itself.

:class:`DaskBackend` submits each trial (``fcnn.sweep.worker.run_trial``) to a
``dask.distributed`` cluster: a LocalCluster started for the sweep (N worker processes, one
thread and one BLAS thread each), or an existing cluster at ``--scheduler`` /
``DASK_SCHEDULER_ADDRESS``. Dask reschedules the trials of a worker that dies. Without Dask
installed, :class:`SerialBackend` runs the trials one after another in this process.

Both hand back each trial's outcome as it finishes, and each streamed checkpoint as it
arrives, to the sweep process, which alone writes the sweep folder.
"""

from __future__ import annotations

import logging
import os
import queue
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from .worker import TOPIC, Task, run_trial

#: the environment of a local worker process: one BLAS/OpenMP thread, set before NumPy loads
ONE_THREAD = {
    name: "1"
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")
}
INSTALL_HINT = "pip install 'fcnn[sweep]' (Dask) to run trials on several cores or machines"
OnCheckpoint = Callable[[dict[str, Any]], None]


def have_dask() -> bool:
    """Whether ``dask.distributed`` can be imported."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def cores() -> int:
    """The CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def local_cluster(n_workers: int | None = None, **kwargs: Any) -> Any:
    """A ``distributed.LocalCluster`` of ``n_workers`` processes (default: the cores), each
    with one thread and one BLAS thread: for ``fcnn sweep`` and for scikit-learn searches
    under ``joblib.parallel_backend("dask")``."""
    from distributed import LocalCluster

    n = cores() if n_workers is None else n_workers
    if type(n) is not int or n < 1:
        raise ValueError(f"n_workers = {n!r}; give an integer >= 1")
    options = {
        "processes": True,
        "threads_per_worker": 1,
        "dashboard_address": None,
        "silence_logs": logging.ERROR,  # not the warnings of tasks cancelled by Ctrl-C
    }
    return LocalCluster(n_workers=n, env=dict(ONE_THREAD), **(options | kwargs))


class SerialBackend:
    """Runs the trials one by one in this process (no Dask)."""

    description = f"1 process, no Dask ({INSTALL_HINT})"

    def run(self, tasks: list[Task], on_checkpoint: OnCheckpoint) -> Iterator[dict[str, Any]]:
        """Each task's outcome, in order."""
        for task in tasks:
            yield run_trial(task, send=on_checkpoint)

    def close(self) -> None:
        """Nothing to release."""


class DaskBackend:
    """Runs the trials on a Dask cluster: ``scheduler`` (an address) or a LocalCluster of
    ``workers`` processes started here and stopped by :meth:`close`."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        from distributed import Client

        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="20s")
            except ValueError as exc:  # Dask's own words for an address it cannot parse
                raise ValueError(
                    f"--scheduler {scheduler!r} is not a Dask scheduler address ({exc}); give "
                    "one like tcp://host:8786"
                ) from None
            except (OSError, TimeoutError) as exc:
                raise OSError(
                    f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one "
                    "(dask scheduler) or drop --scheduler to run on this machine"
                ) from None
            n = len(self.client.scheduler_info().get("workers", {}))
            self.description = f"Dask cluster at {scheduler} ({n} workers now)"
        else:
            self.cluster = local_cluster(workers)
            self.client = self.cluster.get_client()
            n = len(self.cluster.workers)
            self.description = f"Dask LocalCluster, {n} worker process{'es' * (n > 1)}"

    def run(self, tasks: list[Task], on_checkpoint: OnCheckpoint) -> Iterator[dict[str, Any]]:
        """Each task's outcome as it finishes; streamed checkpoints go to ``on_checkpoint``
        in this thread, between outcomes."""
        from distributed import wait

        inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.client.subscribe_topic(TOPIC, lambda event: inbox.put(event[1]))
        futures = {
            self.client.submit(run_trial, task, key=f"fcnn-{task.name}-{uuid.uuid4().hex}"): task
            for task in tasks
        }
        pending = set(futures)
        try:
            while pending:
                try:
                    done, pending = wait(pending, timeout=0.5, return_when="FIRST_COMPLETED")
                except TimeoutError:  # nothing finished yet: pass on the checkpoints
                    done = set()
                _drain(inbox, on_checkpoint)
                for future in sorted(done, key=lambda f: futures[f].name):
                    yield _outcome(future, futures[future])
            _drain(inbox, on_checkpoint)
        finally:
            self.client.unsubscribe_topic(TOPIC)
            for future in pending:
                future.cancel()

    def close(self) -> None:
        """Disconnect, and stop the LocalCluster if this backend started one."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _drain(inbox: queue.SimpleQueue, on_checkpoint: OnCheckpoint) -> None:
    while True:
        try:
            message = inbox.get_nowait()
        except queue.Empty:
            return
        on_checkpoint(message)


def _outcome(future: Any, task: Task) -> dict[str, Any]:
    """The trial's outcome; a task Dask gave up on (its workers kept dying) is ``lost``: not
    the trial's fault, so it is not recorded and runs again when the sweep resumes."""
    try:
        return future.result()
    except Exception as exc:
        error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        return {"name": task.name, "status": "lost", "error": error, "metric": [], "epochs": 0}
