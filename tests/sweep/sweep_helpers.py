"""Helpers of the sweep tests: small sweep files, child processes of this worktree's fcnn,
results.csv without the columns that vary, and a real Dask cluster (a ``dask scheduler`` and two
``dask worker`` processes on 127.0.0.1, random free port)."""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")


#: a tiny sweep: 2 learning rates x 2 seeds of a 2-4-2 network, 40 full-batch epochs
TINY = """
[data]
dataset = "gaussians"
[data.options]
n_samples = 60
seed = 3

[network]
layers = [2, 4, 2]

[training]
epochs = 40
record_params = false

[sweep]
metric = "accuracy"
seeds = 2
checkpoint_seconds = 0.1

[sweep.grid]
"training.lr" = [0.05, 0.5]
"""

#: trials long enough (about 2 s) to be killed in the middle: 2 points x 3 seeds of a
#: 2-24-24-3 spirals network on mini-batches, checkpoints sent home every 0.1 s
LONG = """
[data]
dataset = "spirals"
[data.options]
n_samples = 300
seed = 1

[network]
layers = [2, 24, 24, 3]
loss = "cross_entropy"

[training]
optimizer = "sgd"
lr = 0.1
epochs = 1500
batch_size = 10
record_params = false

[sweep]
metric = "accuracy"
seeds = 3
checkpoint_seconds = 0.1

[sweep.grid]
"training.l2" = [0.0, 1e-3]
"""


def require_dask() -> None:
    """Skip the calling test without dask.distributed, or fail it with FCNN_REQUIRE_DASK=1."""
    from fcnn.sweep import have_dask

    if not have_dask():
        reason = "dask[distributed] is not installed (pip install 'fcnn[sweep]')"
        if os.environ.get("FCNN_REQUIRE_DASK") == "1":
            pytest.fail(f"FCNN_REQUIRE_DASK=1 but {reason}")
        pytest.skip(reason)


def env() -> dict[str, str]:
    """The environment of a child process: this worktree's fcnn first, no BLAS threads."""
    out = dict(os.environ)
    out["PYTHONPATH"] = SRC + os.pathsep + out.get("PYTHONPATH", "")
    out.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return out


def fcnn(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run ``fcnn ARGS`` in a child process; its result."""
    cmd = [sys.executable, "-m", "fcnn", *args]
    return subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=240, **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rows(folder: Path, drop: tuple[str, ...] = ("wall_seconds", "worker")) -> list[dict]:
    """results.csv of a sweep folder, less the columns that vary between runs."""
    with open(folder / "results.csv", newline="") as f:
        return [{k: v for k, v in r.items() if k not in drop} for r in csv.DictReader(f)]


def trial_bytes(folder: Path, name: str) -> dict[str, bytes]:
    """trial -> the bytes of its file ``name``, for every trial folder."""
    return {p.name: (p / name).read_bytes() for p in sorted((folder / "trials").iterdir())}


class Cluster:
    """A real Dask cluster: one ``dask scheduler`` and two ``dask worker`` processes."""

    def __init__(self, logs: Path) -> None:
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        self.logs = logs

    def start(self) -> None:
        dask = shutil.which("dask") or "dask"
        scheduler = [dask, "scheduler", "--host", "127.0.0.1", "--port", str(self.port)]
        self._start("scheduler", [*scheduler, "--no-dashboard"])
        for i in range(2):
            worker = [dask, "worker", self.address, "--nthreads", "1", "--no-dashboard"]
            worker += ["--no-nanny", "--host", "127.0.0.1", "--name", f"w{i}"]
            self.workers.append(self._start(f"worker{i}", worker))
        self.wait_for_workers(2)

    def _start(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "w")
        proc = subprocess.Popen(cmd, env=env(), stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def wait_for_workers(self, n: int, timeout: float = 60) -> None:
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(n, timeout=timeout)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_until(test, timeout: float = 120, every: float = 0.05) -> None:
    """Poll ``test()`` until it is true; fail after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not test():
        if time.monotonic() > end:
            pytest.fail(f"timed out after {timeout} s waiting for {test.__doc__ or test}")
        time.sleep(every)


def models(folder: Path) -> dict[str, tuple[dict, dict[str, bytes]]]:
    """trial -> (metadata, tensor name -> bytes) of its model.safetensors: the file's bytes
    but for the order of its metadata keys, which safetensors does not keep."""
    from safetensors import safe_open

    out = {}
    for run in sorted((folder / "trials").iterdir()):
        if (run / "model.safetensors").is_file():
            with safe_open(run / "model.safetensors", "numpy") as f:
                out[run.name] = (f.metadata(), {k: f.get_tensor(k).tobytes() for k in f.keys()})
    return out


# ---- fixtures (a conftest.py here would shadow tests/conftest.py's helpers)
@pytest.fixture
def dask() -> None:
    """Skip (or, with FCNN_REQUIRE_DASK=1, fail) a test that needs dask.distributed."""
    require_dask()


@pytest.fixture
def write(tmp_path: Path):
    """write(text, name) -> the path of a sweep file holding ``text``."""

    def _write(text: str, name: str = "sweep.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return _write


@pytest.fixture
def cluster(dask, tmp_path: Path):
    """A scheduler and two workers on 127.0.0.1 (random free port), stopped after the test
    whatever happens."""
    logs = tmp_path / "cluster-logs"
    logs.mkdir()
    c = Cluster(logs)
    try:
        c.start()
        yield c
    finally:
        c.stop()
