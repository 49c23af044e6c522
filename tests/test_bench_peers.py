"""The compiled peers of benchmarks/run.py compute what fcnn computes (issue 19)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
compiled_runs = pytest.importorskip("compiled_runs")
peers = pytest.importorskip("peers")
pc = pytest.importorskip("peers_compiled")

pytestmark = pytest.mark.slow  # each compiles a peer: about a second


@pytest.fixture(scope="module")
def seed_data():
    X, y = peers.seed_data()
    return X, y, compiled_runs._fcnn_seed_loss(X, y, 50)


def test_numba_fused_seed_loop_reaches_fcnns_loss(seed_data):
    pytest.importorskip("numba")
    X, y, target = seed_data
    timer = pc.numba_seed_timer(X, y, 50)
    assert abs(pc.seed_loss(X, y, timer.params) - target) <= 1e-12


def test_jax_fori_loop_reaches_fcnns_loss(seed_data):
    pytest.importorskip("jax")
    X, y, target = seed_data
    timer = pc.jax_seed_timer(X, y, 50)
    assert abs(pc.seed_loss(X, y, timer.params) - target) <= 1e-12


def test_jax_gradient_equals_fcnns_on_a_batch():
    pytest.importorskip("jax")
    X, y = peers.synthetic(256, 40)
    compiled_runs.check_mlp("jax", X, y, (40, 16, 10), pc.jax_gradients)


def test_a_peer_that_disagrees_becomes_an_error_note(seed_data):
    pytest.importorskip("numba")
    X, y, target = seed_data
    note = compiled_runs._build(
        "numba",
        lambda: pc.numba_seed_timer(X, y, 50),
        lambda t: compiled_runs.check_seed("numba", X, y, t, target + 1e-6),
    )
    assert isinstance(note, str) and note.startswith("error: disagrees with fcnn")


def test_a_switched_off_or_missing_peer_names_its_reason():
    args = argparse.Namespace(no_jax=True, no_numba=False, no_torch_compile=False)
    assert compiled_runs._absent("jax", object(), args) == "off (--no-jax)"
    assert compiled_runs._absent("numba", None, args) == "not installed"
    assert compiled_runs._absent("torch.compile", object(), args) is None


def test_fcnn_fast_takes_the_kernels_on_a_wide_network_and_agrees(monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.delenv("FCNN_FUSED", raising=False)
    X, y = peers.synthetic(512, 40)
    compiled_runs.check_fast_mlp(X, y, (40, 64, 10))  # BLAS's products, the kernels between
    timer = compiled_runs._fcnn_fast_timer(lambda: float(os.environ["FCNN_FUSED"]))
    assert timer() == 1.0  # the timer runs fcnn with the kernels on
    assert "FCNN_FUSED" not in os.environ  # and leaves the setting as it was


def test_fcnn_fast_is_compared_with_the_bound_and_scikit_learn_per_round():
    cells = {
        "fcnn": {"runs": [2.0, 2.0, 2.0]},
        "fcnn[fast]": {"runs": [1.0, 1.5, 1.2]},
        "bound": {"runs": [1.0, 1.0, 1.0]},
        "sklearn": {"runs": [4.0, 3.0, 6.0]},
    }
    out = compiled_runs.round_ratios("mnist1d", cells)
    assert out["fcnn[fast] vs bound"]["ratio"] == 1.2
    assert out["fcnn[fast] vs bound"]["result"] == "PASS"  # <= 1.35
    assert out["fcnn[fast] vs sklearn"]["ratio"] == 0.25
    assert out["fcnn[fast] vs sklearn"]["result"] == "PASS"  # >= 2.5x faster
