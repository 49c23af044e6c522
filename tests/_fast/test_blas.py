"""fcnn._fast.blas: the in-place GEMM ``C ← C - A B`` on NumPy's own BLAS, and the training step
that descends inside its backward pass with it (fcnn._fast.step.descending)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fcnn
from fcnn._fast import blas
from fcnn._fast import step as fast_step

DTYPES = ["float32", "float64"]
needs_blas = pytest.mark.skipif(
    not blas.available("float64") or not blas.available("float32"),
    reason="NumPy's own BLAS (the OpenBLAS of its wheels) is not reachable here",
)


def _operand(rng, rows: int, cols: int, dtype: str, transposed: bool) -> np.ndarray:
    """A (rows, cols) operand, stored as it is or as the transpose of a contiguous array."""
    if transposed:
        return rng.standard_normal((cols, rows)).astype(dtype).T
    return rng.standard_normal((rows, cols)).astype(dtype)


@needs_blas
@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(1, 33),
    k=st.integers(1, 33),
    n=st.integers(1, 33),
    extra=st.integers(0, 3),
    dtype=st.sampled_from(DTYPES),
    a_t=st.booleans(),
    b_t=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_descent_subtracts_the_product_in_place(m, k, n, extra, dtype, a_t, b_t, seed):
    """C ← C - A B for either layout of A and B, into a C that is a block of wider rows (as
    [W | b] is a block of the flat parameter buffer); the columns beside it are untouched."""
    rng = np.random.default_rng(seed)
    A, B = _operand(rng, m, k, dtype, a_t), _operand(rng, k, n, dtype, b_t)
    wide = rng.standard_normal((m, n + extra)).astype(dtype)
    before = wide.copy()
    blas.descent(A, B, wide[:, :n])()
    expected = before[:, :n].astype(np.float64) - A.astype(np.float64) @ B.astype(np.float64)
    tol = 1e-4 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(wide[:, :n], expected, rtol=tol, atol=tol * k)
    np.testing.assert_array_equal(wide[:, n:], before[:, n:])


@needs_blas
def test_a_bound_descent_reads_its_arrays_as_they_are_at_each_call():
    """The call is bound to the arrays, not to their values: refilled operands are read anew,
    and each call subtracts again (the workspaces are refilled every step)."""
    rng = np.random.default_rng(0)
    A, B, C = (rng.standard_normal(s) for s in ((4, 3), (3, 5), (4, 5)))
    step = blas.descent(A, B, C)
    for _ in range(2):
        expected = C - A @ B
        step()
        np.testing.assert_allclose(C, expected, rtol=1e-12)
        A[...] = rng.standard_normal(A.shape)


@needs_blas
def test_a_shared_rate_scales_every_call_bound_to_it_as_it_is_at_each_call():
    rng = np.random.default_rng(1)
    rate = blas.Rate("float64", 0.5)
    A, B, C = (rng.standard_normal(s) for s in ((4, 3), (3, 5), (4, 5)))
    D = rng.standard_normal((4, 5))
    steps = [blas.descent(A, B, C, rate), blas.descent(A, B, D, rate)]
    for r in (0.5, -2.0):
        rate.value = r
        assert rate.value == r
        expected = [C - r * (A @ B), D - r * (A @ B)]
        for step in steps:
            step()
        np.testing.assert_allclose(C, expected[0], rtol=1e-12)
        np.testing.assert_allclose(D, expected[1], rtol=1e-12)


def test_a_rate_is_float32_or_float64():
    assert blas.Rate("float32", 0.25).value == 0.25
    with pytest.raises(ValueError, match="float32 or float64"):
        blas.Rate("float16")


@needs_blas
def test_descent_rejects_a_rate_of_another_dtype():
    with pytest.raises(ValueError, match="the rate is for float32"):
        blas.descent(np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2)), blas.Rate("float32"))


@needs_blas
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: (np.ones((2, 3)), np.ones((4, 5)), np.ones((2, 5))), "do not give"),
        (lambda: (np.ones((2, 3)), np.ones((3, 5)), np.ones((5, 2))), "do not give"),
        (lambda: (np.ones((2, 3), np.float32), np.ones((3, 5)), np.ones((2, 5))), "one dtype"),
        (lambda: (np.ones((4, 6))[::2, ::2], np.ones((3, 5)), np.ones((2, 5))), "unit stride"),
        (lambda: (np.ones((2, 3)), np.ones((3, 5)), np.ones((2, 10))[:, ::2]), "unit stride"),
    ],
)
def test_descent_rejects_operands_that_do_not_fit(make, message):
    with pytest.raises(ValueError, match=message):
        blas.descent(*make())


@needs_blas
def test_descent_rejects_an_updated_matrix_that_overlaps_an_operand():
    M = np.ones((3, 3))
    with pytest.raises(ValueError, match="overlap"):
        blas.descent(M, np.ones((3, 3)), M)


@pytest.fixture
def no_direct_blas(monkeypatch):
    """FCNN_DIRECT_BLAS=0, with the cached lookup cleared before and after."""
    monkeypatch.setenv("FCNN_DIRECT_BLAS", "0")
    blas._gemm.cache_clear()
    yield
    monkeypatch.delenv("FCNN_DIRECT_BLAS")
    blas._gemm.cache_clear()


def test_fcnn_direct_blas_0_turns_it_off_and_training_takes_the_numpy_path(no_direct_blas):
    assert not blas.available("float32") and not blas.available("float64")
    with pytest.raises(ValueError, match="no direct BLAS"):
        blas.descent(np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2)))
    X, y = fcnn.datasets.moons(n_samples=64, seed=0)
    trainer = fcnn.Trainer(fcnn.Network([2, 8, 2], seed=0), X, y, epochs=3, batch_size=16)
    assert trainer._plan.kind == "folded"
    assert np.isfinite(trainer.run().loss).all()


@pytest.mark.parametrize(
    "found",
    [
        [],  # no BLAS loaded that threadpoolctl knows
        [{"internal_api": "openblas", "filepath": "/sp/scipy.libs/libscipy_openblas.so"}],
        [{"internal_api": "mkl", "filepath": "/opt/lib/libmkl_rt.so"}],
        OSError("a library threadpoolctl cannot inspect"),
    ],
    ids=["none", "scipy's 32-bit openblas", "mkl", "threadpoolctl fails"],
)
def test_without_numpys_own_openblas_there_is_no_direct_blas(monkeypatch, found):
    import threadpoolctl

    def info():
        if isinstance(found, Exception):
            raise found
        return found

    monkeypatch.setattr(threadpoolctl, "threadpool_info", info)
    blas._gemm.cache_clear()
    try:
        assert blas._numpy_openblas() is None
        assert not blas.available("float32") and not blas.available("float64")
    finally:
        monkeypatch.undo()
        blas._gemm.cache_clear()


def test_only_a_dtype_with_a_gemm_is_available():
    assert not blas.available("float16") and not blas.available("int64")


# ---------------------------------------------------------------------------------------------
# the step that descends inside its backward pass
# ---------------------------------------------------------------------------------------------
def _trainer(dtype="float32", sizes=(20, 16, 12, 5), n=300, **options):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    net = fcnn.Network(list(sizes), seed=3, dtype=dtype)
    kw = dict(epochs=4, lr=0.2, batch_size=32, optimizer="sgd", seed=5) | options
    return fcnn.Trainer(net, X, y, **kw)


@needs_blas
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_size", [32, None])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_descending_in_the_step_trains_as_the_gradient_then_the_update(
    dtype, batch_size, reduction
):
    """GEMM with α = -1, β = 1 into [W | b] gives the run that θ -= α g after the backward pass
    gives (the rate folded either way), up to rounding."""
    runs = []
    for descend in (True, False):
        net = fcnn.Network([20, 16, 12, 5], seed=3, dtype=dtype, reduction=reduction)
        rng = np.random.default_rng(7)
        X, y = rng.standard_normal((300, 20)), rng.integers(0, 5, 300)
        lr = 0.2 if reduction == "mean" else 0.002
        trainer = fcnn.Trainer(
            net, X, y, epochs=4, lr=lr, batch_size=batch_size, schedule="invscaling", seed=5
        )
        assert trainer._plan.kind == "descend"
        if not descend:
            trainer._plan = fast_step.folded(net, trainer.optimizer, l2=0.0, weighted=False)
        runs.append((net, trainer.run()))
    (a, ha), (b, hb) = runs
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(a.params, b.params, rtol=tol, atol=tol)
    np.testing.assert_allclose(ha.loss, hb.loss, rtol=tol)


@needs_blas
def test_the_descending_step_leaves_the_gradient_buffer_alone():
    trainer = _trainer()
    trainer.net._grad[...] = 7.0
    before = trainer.net.params.copy()
    trainer.run()
    assert (trainer.net._grad == 7.0).all()
    assert not np.array_equal(trainer.net.params, before)
    assert trainer.optimizer.state["t"] == trainer.step == 4 * 10


@needs_blas
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_descending_step_whose_loss_is_not_finite_leaves_the_parameters_alone():
    """The loss is computed before the backward pass: when it is not finite, the step returns
    before touching the parameters."""
    trainer = _trainer(dtype="float64")
    net = trainer.net
    trainer._begin_epoch()
    ws = trainer._batch()
    net.weights[-1][...] = 1e308  # the logits overflow: inf - inf in the softmax
    before = net.params.copy()
    (loss,) = fast_step.descending(net, trainer.optimizer).step(ws, 0.1)
    assert not np.isfinite(loss)
    np.testing.assert_array_equal(net.params, before)


@needs_blas
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("batch_size", [16, None])
def test_a_diverging_run_stops_as_the_two_pass_update_stops(batch_size):
    """Same step, same error, same finite parameters kept (Trainer._diverged) as with the
    update after the backward pass: here the output weights are set to 1e308 after step 2,
    so step 3's logits overflow."""
    X, y = fcnn.datasets.moons(n_samples=64, seed=0)

    class Overflow(fcnn.Callback):
        def on_step_end(self, trainer):
            if trainer.step == 2:
                trainer.net.weights[-1][...] = 1e308
                self.params = trainer.net.params.copy()

    ends = []
    for descend in (True, False):
        net, overflow = fcnn.Network([2, 8, 2], seed=0), Overflow()
        trainer = fcnn.Trainer(net, X, y, epochs=50, batch_size=batch_size, callbacks=[overflow])
        assert trainer._plan.kind == "descend"
        if not descend:
            trainer._plan = fast_step.folded(net, trainer.optimizer, l2=0.0, weighted=False)
        with pytest.raises(fcnn.DivergenceError) as info:
            trainer.run()
        np.testing.assert_array_equal(net.params, overflow.params)
        ends.append((info.value.step, str(info.value)))
    assert ends[0] == ends[1] and ends[0][0] == 3


@needs_blas
@pytest.mark.parametrize(
    "change",
    [
        dict(optimizer="momentum"),
        dict(optimizer="adam"),
        dict(clip=1.0),
        dict(l2=1e-3),
        dict(sample_weight=np.ones(300)),
    ],
    ids=["momentum", "adam", "clip", "l2", "sample_weight"],
)
def test_only_plain_unweighted_sgd_descends_in_the_step(change):
    assert _trainer()._plan.kind == "descend"
    assert _trainer(**change)._plan.kind != "descend"


@needs_blas
def test_only_softmax_cross_entropy_descends_in_the_step():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 3)), rng.integers(0, 2, 40)
    for output, loss, descends in [
        ("softmax", "cross_entropy", True),
        ("softmax", "mse+ce", False),
        ("sigmoid", "cross_entropy", False),
    ]:
        net = fcnn.Network([3, 4, 2 if output == "softmax" else 1], output=output, loss=loss)
        kind = fcnn.Trainer(net, X, y, epochs=1)._plan.kind
        assert (kind == "descend") is descends
