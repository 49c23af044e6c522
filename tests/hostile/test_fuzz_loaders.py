"""Issue 14: every loader (fcnn.load, checkpoint loading, the data file loaders, the config
loader) fed a generated corpus of >= 500 hostile files (``fuzz_corpus``) ends each case in
correct work, or ``ValueError`` (``ModelFileError``, ``MemoryLimitError`` and the other
subclasses) with a clear message, within 10 s and 500 MB."""

from __future__ import annotations

import time
import tracemalloc
import warnings

import pytest
from fuzz_corpus import cases
from hostile_helpers import deadline

import fcnn

N_CASES = 900
SECONDS, BYTES = 10, 500 * 2**20


@pytest.mark.slow
def test_every_loader_ends_each_hostile_case_in_work_or_a_clear_value_error(tmp_path):
    failures, outcomes = [], {"ok": 0, "refused": 0}
    tracemalloc.start()
    try:
        for name, suffix, blob, loader in cases(N_CASES, seed=14, tmp=tmp_path):
            path = tmp_path / f"{name}{suffix}"
            path.write_bytes(blob)
            tracemalloc.reset_peak()
            start = time.perf_counter()
            try:
                with deadline(SECONDS), fcnn.memory_limit(BYTES), warnings.catch_warnings():
                    warnings.simplefilter("error", RuntimeWarning)  # overflow is no answer
                    loader(path)
                outcomes["ok"] += 1
            except ValueError as exc:
                message = str(exc).strip()
                if not message or "Traceback" in message or len(message) > 2000:
                    failures.append(f"{name}: unclear message {message[:200]!r}")
                outcomes["refused"] += 1
            except Exception as exc:  # anything else is a defect: name it
                failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
            seconds = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1]
            if seconds > SECONDS or peak > BYTES:
                failures.append(f"{name}: {seconds:.1f} s, {peak / 2**20:.0f} MiB")
            path.unlink()
    finally:
        tracemalloc.stop()
    failures = sorted(set(failures), key=lambda f: f.split(":", 1)[1])
    assert not failures, "\n".join(failures[:40]) + f"\n({len(failures)} failures)"
    assert sum(outcomes.values()) == N_CASES >= 500
    assert outcomes["ok"] > 20 and outcomes["refused"] > 300, outcomes
