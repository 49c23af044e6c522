"""Shared pieces of the hostile-input tests: a deadline for calls that could hang, the
``fcnn`` command in a subprocess, and a small trained model to attack."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

import fcnn

SRC = Path(__file__).resolve().parents[2] / "src"


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (TimeoutError) a block that runs longer than ``seconds``: a hang becomes a failure."""

    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def fcnn_cli(*argv, timeout: float = 60, cwd=None) -> subprocess.CompletedProcess:
    """``python -m fcnn argv`` in a subprocess with this worktree's sources."""
    env = os.environ | {"PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", "fcnn", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
    )


def small_model(path: Path, classes=("a", "b")) -> Path:
    """A 2-3-2 softmax classifier with ``classes``, saved to ``path``."""
    net = fcnn.Network([2, 3, len(classes)], seed=0)
    net.classes = list(classes)
    fcnn.save(net, path)
    return path


def small_csv(path: Path, labels=("a", "b"), n: int = 20) -> Path:
    """``n`` rows ``x0,x1,label`` cycling through ``labels``."""
    rng = np.random.default_rng(0)
    lines = ["x0,x1,label"] + [
        f"{a:.4f},{b:.4f},{labels[i % len(labels)]}"
        for i, (a, b) in enumerate(rng.normal(size=(n, 2)))
    ]
    path.write_text("\n".join(lines) + "\n")
    return path
