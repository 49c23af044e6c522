"""Issue 14, item 1: one process owns a run folder at a time. Two ``fcnn train --out SAME``
started together: exactly one runs, the other is refused at once naming the first's PID; a
resume while a run goes on is refused alike; a run killed with SIGKILL leaves a lock that
blocks nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from hostile_helpers import SRC

from fcnn import storage
from fcnn.runs import lock

pytestmark = pytest.mark.slow

# long enough to be still running when the second command starts, however fast the machine
# (the test kills it when done)
SLOW_RUN = ["--dataset", "spirals", "--epochs", "100000", "--layers", "2,64,64,3", "--no-figures"]


def _start(*argv: str) -> subprocess.Popen:
    env = os.environ | {"PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-m", "fcnn", "train", "--no-progress", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_runs_started_at_once_into_one_folder_one_runs_one_is_refused(tmp_path):
    out = tmp_path / "run"
    fast = ["--dataset", "xor", "--epochs", "30", "--no-figures"]
    for _ in range(2):
        procs = [_start("--out", str(out), "--force", *fast) for _ in range(2)]
        results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
        codes = sorted(code for code, _, _ in results)
        refused = [err for code, _, err in results if code != 0]
        # either they overlapped (one refused, naming the other) or ran one after the other
        assert codes in ([0, 0], [0, 2]), results
        for err in refused:
            assert "is in use by process" in err and len(err.strip().splitlines()) == 1, err
        done = subprocess.run(
            [sys.executable, "-m", "fcnn", "train", "--resume", str(out)],
            capture_output=True,
            text=True,
            env=os.environ | {"PYTHONPATH": str(SRC)},
        )
        assert "already finished" in done.stderr, done.stderr  # one run's files, not mixed
        assert not (out / lock.LOCK).exists()


def test_a_second_run_or_resume_while_one_runs_is_refused_naming_its_pid(tmp_path):
    out = tmp_path / "run"
    first = _start("--out", str(out), *SLOW_RUN)
    try:
        _wait_for(out / "checkpoint.safetensors", first)
        for argv in (["--out", str(out), "--force", *SLOW_RUN], ["--resume", str(out)]):
            start = time.perf_counter()
            second = _start(*argv)
            code, (_, err) = second.wait(timeout=60), second.communicate()
            assert code == 2, err
            assert f"in use by process {first.pid}" in err, err
            assert time.perf_counter() - start < 30
    finally:
        first.kill()
        first.wait()


def test_a_run_killed_with_sigkill_leaves_no_lock_that_blocks_its_resume(tmp_path):
    out = tmp_path / "run"
    # a run that cannot finish before the kill (a 60-epoch one once did, on a fast turn);
    # the resume then stops a few epochs after the checkpoint
    first = _start("--out", str(out), *SLOW_RUN)
    _wait_for(out / "checkpoint.safetensors", first)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert (out / lock.LOCK).exists()  # stale: its flock died with the process
    trainer = storage.load_checkpoint(out / "checkpoint.safetensors")[1]["trainer"]
    epochs = int(trainer["epoch"]) + 3
    resumed = _start("--resume", str(out), "--epochs", str(epochs))
    code, (_, err) = resumed.wait(timeout=300), resumed.communicate()
    assert code == 0, err
    assert (out / "model.safetensors").exists() and not (out / lock.LOCK).exists()


def test_hold_is_a_reusable_context_manager(tmp_path):
    with lock.hold(tmp_path / "new", create=True) as folder:
        assert (folder / lock.LOCK).read_text().split()[0] == str(os.getpid())
        with pytest.raises(lock.RunFolderBusyError, match=f"process {os.getpid()}"):
            child = subprocess.run(
                [sys.executable, "-c", _TRY_LOCK, str(folder)],
                capture_output=True,
                text=True,
                env=os.environ | {"PYTHONPATH": str(SRC)},
            )
            raise lock.RunFolderBusyError(child.stdout.strip())
    assert not (tmp_path / "new").exists()  # made for the lock and left empty: removed
    with lock.hold(tmp_path, create=True):
        pass


_TRY_LOCK = """
import sys
from fcnn import storage
from fcnn.runs import lock
try:
    with lock.hold(sys.argv[1]):
        print("got it")
except lock.RunFolderBusyError as exc:
    print(exc)
"""


def _wait_for(path, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.05)
