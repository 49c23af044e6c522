"""Shared pieces of the ``fcnn`` command's tests: running it in-process, CSV files, and the
module-scoped runs the tests read (imported by each ``tests/cli/test_cli_*.py``)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from fcnn import cli
from fcnn.data.datasets import gaussians

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FAST = ["--no-progress", "--no-figures"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``fcnn argv`` in-process: (exit code, stdout, stderr)."""
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path: Path, header: list[str], rows) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def default_run(cli_default_run) -> tuple[Path, int, str]:
    """``fcnn train --out DIR``: the main job with every default, figures included (trained
    once a session, by ``cli_default_run`` in tests/conftest.py; the tests only read it)."""
    return cli_default_run


@pytest.fixture(scope="module")
def labelled_csv(tmp_path_factory) -> tuple[Path, Path, np.ndarray]:
    """Two Gaussians as a CSV with a string target column ``species`` (cat/dog), and the same
    rows without the target column; returns (with_target, features_only, labels)."""
    folder = tmp_path_factory.mktemp("csv")
    X, y = gaussians(n_samples=120, seed=3)
    names = np.array(["cat", "dog"])[y]
    rows = [[f"{a:.6f}", f"{b:.6f}", s] for (a, b), s in zip(X, names, strict=True)]
    with_target = write_csv(folder / "animals.csv", ["x1", "x2", "species"], rows)
    features = write_csv(folder / "features.csv", ["x1", "x2"], [r[:2] for r in rows])
    return with_target, features, names
