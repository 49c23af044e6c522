"""Fixtures of the sweep tests: a sweep file writer, and a real Dask cluster that is always
stopped. Tests that need Dask take the ``dask`` fixture: without ``dask[distributed]`` they are
skipped with the reason, unless FCNN_REQUIRE_DASK=1 (CI), where they fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_helpers import Cluster, require_dask


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
