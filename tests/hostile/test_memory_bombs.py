"""Issue 14, item 5: what a header, a file or a network asks for is estimated before it is
allocated, and refused over the memory fcnn may use with ``fcnn.MemoryLimitError`` (a
``ValueError``) naming the estimate and the limit; ``FCNN_MEMORY_LIMIT`` and
``fcnn.memory_limit`` set the limit."""

from __future__ import annotations

import resource
import zipfile

import numpy as np
import pytest
from hostile_helpers import deadline, fcnn_cli

import fcnn
from fcnn import memory
from fcnn.data.datasets import load_file


def _magic_header(shape, dtype="<f8") -> bytes:
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    return buf.getvalue()  # the magic string, then the header


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_an_npy_header_claiming_1e12_rows_is_refused_before_allocating(tmp_path):
    path = tmp_path / "bomb.npy"
    path.write_bytes(_magic_header((10**12, 3)) + b"\0" * 240)
    before = _rss_kib()
    with deadline(10), pytest.raises(ValueError, match="claims an array \\(1000000000000, 3\\)"):
        load_file(path)
    with memory.memory_limit(10**20), pytest.raises(ValueError, match="truncated"):
        load_file(path)
    assert _rss_kib() - before < 100_000


def test_an_npz_header_claiming_1e12_rows_is_a_memory_limit_error(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("X.npy", _magic_header((10**12, 2)) + b"\0" * 64)
        z.writestr("y.npy", _magic_header((10**12,), "<i8") + b"\0" * 64)
    with deadline(10), pytest.raises(fcnn.MemoryLimitError, match="TiB, over the") as info:
        load_file(path)
    assert info.value.estimate >= 24 * 10**12 and info.value.limit > 0


@pytest.mark.slow
def test_a_deflated_npz_expanding_to_1e8_rows_is_refused_before_inflating(tmp_path):
    path = tmp_path / "zip_bomb.npz"
    rows = 10**8
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("X.npy", "w", force_zip64=True) as member:
            member.write(_magic_header((rows, 1)))
            chunk = b"\0" * 2**23
            for _ in range(rows * 8 // len(chunk)):
                member.write(chunk)
        z.writestr("y.npy", _magic_header((rows,), "<i8"))
    assert path.stat().st_size < 5 * 2**20
    before = _rss_kib()
    with deadline(10), memory.memory_limit("256M"):
        with pytest.raises(fcnn.MemoryLimitError, match="1.5 GiB, over the 256.0 MiB"):
            load_file(path)
    assert _rss_kib() - before < 100_000


@pytest.mark.slow
def test_a_csv_with_1e5_distinct_labels_is_refused_counting_the_one_hot_targets(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100_000, 2))
    path = tmp_path / "many.csv"
    path.write_text("x0,x1,y\n" + "".join(f"{a:.3f},{b:.3f},c{i}\n" for i, (a, b) in enumerate(X)))
    done = fcnn_cli(
        "train",
        "--data",
        path,
        "--layers",
        "auto,4,auto",
        "--out",
        tmp_path / "r",
        "--no-figures",
        "--no-progress",
        "--epochs",
        "1",
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "one-hot targets of 100000 samples x 100000 classes" in done.stderr
    assert "FCNN_MEMORY_LIMIT" in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_network_of_1e12_hidden_units_is_refused_by_name():
    with (
        deadline(10),
        pytest.raises(fcnn.MemoryLimitError, match="sizes \\[2, 1000000000000, 2\\]"),
    ):
        fcnn.Network([2, 10**12, 2])


def test_the_limit_comes_from_the_argument_then_the_environment(monkeypatch):
    monkeypatch.setenv(memory.ENV, "1M")
    assert memory.limit() == 2**20
    with pytest.raises(fcnn.MemoryLimitError, match="over the 1.0 MiB"):
        fcnn.Network([2, 100_000, 2])
    with fcnn.memory_limit("1G"):
        assert memory.limit() == 2**30
        fcnn.Network([2, 100_000, 2])
    monkeypatch.setenv(memory.ENV, "lots")
    with pytest.raises(ValueError, match="FCNN_MEMORY_LIMIT: memory limit 'lots' is not a size"):
        memory.limit()
    monkeypatch.delenv(memory.ENV)
    assert 0 < memory.limit() == memory.available()
    assert memory.parse_size("1.5G") == 3 * 2**29 and memory.parse_size("512") == 512


def test_small_requests_skip_reading_free_memory_but_a_set_limit_still_applies(monkeypatch):
    def unreadable() -> int:
        raise AssertionError("the free memory was read for a small request")

    monkeypatch.delenv(memory.ENV, raising=False)
    monkeypatch.setattr(memory, "available", unreadable)
    fcnn.Network([2, 1000, 2])  # 4 x 5002 float64 parameters-sized arrays: under FLOOR
    memory.check(memory.FLOOR, "a request at the floor")
    with pytest.raises(AssertionError, match="free memory was read"):
        memory.check(memory.FLOOR + 1, "a request above the floor")
    with fcnn.memory_limit("1K"), pytest.raises(fcnn.MemoryLimitError, match="over the 1.0 KiB"):
        fcnn.Network([2, 1000, 2])
    monkeypatch.setenv(memory.ENV, "1K")
    with pytest.raises(fcnn.MemoryLimitError, match="over the 1.0 KiB"):
        fcnn.Network([2, 1000, 2])


@pytest.mark.slow
def test_a_csv_whose_parsed_cells_would_not_fit_is_refused_before_parsing(tmp_path):
    path = tmp_path / "cells.csv"
    path.write_text("1,2,3\n" * 200_000)  # 1.2 MB of text, 600,000 cells
    with fcnn.memory_limit("10M"), pytest.raises(fcnn.MemoryLimitError, match="600001 cells"):
        load_file(path)
    with fcnn.memory_limit("200M"):
        assert load_file(path).X.shape == (200_000, 2)
