"""The fused compiled step (``fcnn._fast.kernels``, numba) against the NumPy step.

The kernel claims to compute what ``fcnn._fast.step``'s NumPy step computes, on the same
workspace arrays, to rounding: forward, softmax, cross-entropy, delta, the accuracy count and
backward, with plain SGD inside it on the ``descend`` path. Each test compares the two on the
same network and data: one step array by array, whole fits on every plan that may take the
kernel, and the polynomials that replace ``exp`` and ``tanh`` against NumPy's. Then the
policy: when a run takes the kernel (``FCNN_FUSED``), and that a run which does not never
imports numba.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from conftest import StopAt
from hypothesis import given, settings
from hypothesis import strategies as st

import fcnn
from fcnn._fast import cache, fused
from fcnn._fast import step as fast_step
from fcnn.errors import DivergenceError
from fcnn.train import Trainer

numba = pytest.importorskip("numba")
kernels = pytest.importorskip("fcnn._fast.kernels")

TOL = {"float64": dict(rtol=1e-11, atol=1e-13), "float32": dict(rtol=1e-4, atol=1e-6)}


def _problem(sizes, n, dtype="float64", activation="tanh", seed=0):
    rng = np.random.default_rng(seed)
    net = fcnn.Network(sizes, activation, seed=seed, dtype=dtype)
    X = rng.normal(size=(n, sizes[0]))
    y = (X[:, 0] > 0).astype(int) + (sizes[-1] > 2) * (X[:, 1] > 0.5)
    return net, X, y


def _fit(monkeypatch, setting, sizes, n, dtype="float64", activation="tanh", **fit):
    monkeypatch.setenv("FCNN_FUSED", setting)
    net, X, y = _problem(sizes, n, dtype, activation)
    trainer = Trainer(net, X, y, seed=0, **fit)
    history = trainer.run()
    return net, history, trainer


# ------------------------------------------------------------------ one step, array by array
def _gathered(dtype, activation, sizes, n, rows):
    """A network and a workspace holding its whole problem, gathered (``rows``) or not."""
    net, X, y = _problem(sizes, n, dtype, activation)
    trainer = Trainer(net, X, y, epochs=1)
    ws = cache.take(net, n, trainer.data, rows)
    ws.gather(trainer.data, np.arange(n) if rows else None)
    return net, ws


CASES = [
    ("float64", "tanh", [2, 2, 2], 200, False),
    ("float32", "tanh", [2, 2, 2], 200, False),
    ("float64", "relu", [3, 7, 5, 4], 37, False),
    ("float64", "identity", [3, 4, 3], 16, False),
    ("float64", "tanh", [4, 6, 6, 6, 3], 33, True),
    ("float32", "relu", [2, 8, 3], 10, True),
]


@pytest.mark.parametrize("descend", [False, True])
@pytest.mark.parametrize(("dtype", "activation", "sizes", "n", "rows"), CASES)
def test_one_kernel_step_leaves_what_the_numpy_step_leaves(
    dtype, activation, sizes, n, rows, descend
):
    net, ws = _gathered(dtype, activation, sizes, n, rows)
    rate = 0.3
    ws.set_rate(rate) if descend else None
    bound = fused.Bound(net, ws, descend)
    bound.refresh()
    before = net.params.copy()
    ce, count = bound.run(*bound.args)
    kernel = {
        "params": net.params.copy(),
        "grad": net._grad.copy(),
        "A": [a.copy() for a in ws.A],
        "H": [h.copy() for h in ws.H[1:]],
        "T": [t.copy() for t in ws.T],
        "P": ws.P.copy(),
        "G": [g.copy() for g in ws.G],
    }
    net.params[...] = before
    numpy_step = fast_step.compile_step(ws, ws.Y, descend, by_rate=descend)
    (J,) = numpy_step(rate)
    tol = TOL[dtype]
    assert ce * ws.scale == pytest.approx(J, rel=tol["rtol"])
    assert count == ws.correct()
    np.testing.assert_allclose(kernel["params"], net.params, **tol)
    if not descend:  # the descent leaves the gradient buffer alone, as the GEMM path does
        np.testing.assert_allclose(kernel["grad"], net._grad, **tol)
    for name in ("A", "H", "T", "G"):
        for got, want in zip(
            kernel[name], getattr(ws, name)[1 if name == "H" else 0 :], strict=True
        ):
            np.testing.assert_allclose(got, want, **tol, err_msg=name)
    np.testing.assert_allclose(kernel["P"], ws.P, **tol)


WIDE = [  # too wide for the whole kernel: BLAS's products with the kernels between them
    ("float64", "tanh", [5, 40, 30, 4], 64, False),
    ("float32", "tanh", [40, 100, 100, 10], 128, True),
    ("float64", "relu", [6, 50, 3], 100, True),
    ("float32", "identity", [3, 60, 60, 3], 90, False),
    ("float64", "tanh", [20, 3], 2000, False),  # one layer: the output kernel alone
    ("float64", "tanh", [3, 80, 2], 150, True),  # two classes
]


@pytest.mark.parametrize("descend", [False, True])
@pytest.mark.parametrize(("dtype", "activation", "sizes", "n", "rows"), WIDE)
def test_the_kernels_between_the_products_leave_what_the_numpy_step_leaves(
    dtype, activation, sizes, n, rows, descend
):
    net, ws = _gathered(dtype, activation, sizes, n, rows)
    assert not fused.applies(net, n)
    before, got = net.params.copy(), {}
    for name, between in (("numpy", None), ("kernels", fused.Between(net, ws, descend))):
        net.params[...], net._grad[...] = before, 0
        (J,) = fast_step.compile_step(ws, ws.Y, descend, True, between)(0.3)
        count = ws.correct() if between is None else int(between.counted[0])
        got[name] = dict(J=J, count=count, params=net.params.copy(), grad=net._grad.copy())
        got[name].update(A=[a.copy() for a in ws.A], G=[g.copy() for g in ws.G], P=ws.P.copy())
        got[name].update(H=[h.copy() for h in ws.H[1:]])
    want, kernel, tol = got["numpy"], got["kernels"], TOL[dtype]
    assert kernel["J"] == pytest.approx(want["J"], rel=tol["rtol"])
    assert kernel["count"] == want["count"]
    moved = (kernel["params"], before) if descend else (kernel["grad"], 0 * before)
    assert not np.array_equal(*moved)  # the step did something to compare
    for name in ("params", "grad", "P"):
        np.testing.assert_allclose(kernel[name], want[name], **tol, err_msg=name)
    for name in ("A", "H", "G"):
        for a, b in zip(kernel[name], want[name], strict=True):
            np.testing.assert_allclose(a, b, **tol, err_msg=name)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["tanh", "relu", "identity"]),
    st.sampled_from(["float64", "float32"]),
    st.lists(st.floats(-30, 30, width=32), min_size=2, max_size=60),
)
def test_the_kernels_derivative_pass_equals_numpys_three_calls(activation, dtype, values):
    a = (
        np.array(values, dtype).reshape(2, -1)
        if len(values) % 2 == 0
        else np.array([values], dtype)
    )
    act = fcnn.activations.get(activation)
    h = act.f(a)
    g = np.linspace(-2, 2, a.size).astype(dtype).reshape(a.shape)
    want = g * act.df(a, h)
    bound = 2 * np.finfo(dtype).eps * np.abs(g)  # f' in [0, 1], within a rounding or two
    kernels.times_derivative(fused.CODES[activation], a, h, g)
    # the kernel may fuse 1 - h·h into one rounding, where NumPy rounds h² first: near
    # |h| = 1 the two differ by a few ulps of 1 - h², never by more than eps |g|
    assert (np.abs(g - want) <= bound).all(), (g, want)


# ------------------------------------------------------------------ whole fits
FITS = {  # the plans that may take the kernel, and the options that give each
    "descend": dict(optimizer="gd", lr=0.2),
    "folded": dict(optimizer="gd", lr=0.2, diagnostics=True),  # α ∇J for the observer
    "compiled": dict(optimizer="adam", lr=0.01),
    "compiled ": dict(optimizer="momentum", lr=0.05, clip=1.0),
}


@pytest.mark.parametrize("sizes", [[2, 5, 3], [6, 64, 32, 3]])  # the whole kernel; between
@pytest.mark.parametrize("batch_size", [None, 48])
@pytest.mark.parametrize("path", list(FITS))
def test_fits_with_and_without_the_kernel_agree(monkeypatch, path, batch_size, sizes):
    fit = dict(FITS[path], epochs=30, batch_size=batch_size)
    a, ha, ta = _fit(monkeypatch, "0", sizes, 130, **fit)
    b, hb, tb = _fit(monkeypatch, "1", sizes, 130, **fit)
    assert ta._plan.count is None and tb._plan.count is not None
    assert ta._plan.kind == tb._plan.kind == path.strip()
    np.testing.assert_allclose(b.params, a.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hb.loss, ha.loss, rtol=1e-11)
    np.testing.assert_allclose(hb.step_loss, ha.step_loss, rtol=1e-11)
    assert hb.accuracy == ha.accuracy
    assert (
        tb.optimizer.state["t"] == ta.optimizer.state["t"] == 30 * (1 if batch_size is None else 3)
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_seed_network_trains_alike_with_the_kernel(monkeypatch, dtype):
    fit = dict(epochs=200, lr=0.1, optimizer="gd")
    a, ha, _ = _fit(monkeypatch, "0", [2, 2, 2], 200, dtype, **fit)
    b, hb, trainer = _fit(monkeypatch, "1", [2, 2, 2], 200, dtype, **fit)
    assert trainer._plan.kind == "descend" and trainer._plan.count is not None
    np.testing.assert_allclose(b.params, a.params, **TOL[dtype])
    np.testing.assert_allclose(hb.loss, ha.loss, rtol=TOL[dtype]["rtol"])
    assert hb.accuracy == ha.accuracy


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("width", [8, 200])  # the whole kernel; the kernels between
@pytest.mark.parametrize("batch_size", [None, 10])
def test_a_diverging_run_raises_where_the_numpy_step_does(monkeypatch, batch_size, width):
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1e102, (64, 2))  # a linear network's logits overflow
    y = (X[:, 0] > 0).astype(int)
    where = {}
    for setting in ("0", "1"):
        monkeypatch.setenv("FCNN_FUSED", setting)
        net = fcnn.Network([2, width, 2], "identity", seed=0)
        with pytest.raises(DivergenceError) as info:
            net.fit(X, y, epochs=100, lr=1e200, optimizer="gd", batch_size=batch_size)
        assert np.isfinite(net.params).all()
        where[setting] = (info.value.epoch, info.value.step, net.params.copy())
    assert where["0"][:2] == where["1"][:2]
    np.testing.assert_allclose(where["1"][2], where["0"][2], rtol=1e-10)


@pytest.mark.parametrize("width", [4, 300])  # the whole kernel; the kernels between
def test_a_network_trained_with_the_kernel_pickles_without_it(monkeypatch, width):
    net, _, trainer = _fit(monkeypatch, "1", [2, width, 2], 50, epochs=3, optimizer="gd")
    assert trainer._plan.count is not None
    copy = pickle.loads(pickle.dumps(net))
    assert "numba" not in pickle.dumps(net).decode("latin-1")
    np.testing.assert_array_equal(copy.params, net.params)


# ------------------------------------------------------------------ the polynomials
@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-40, 40, allow_subnormal=True), min_size=1, max_size=50))
def test_the_kernels_tanh_and_its_derivative_equal_numpys(values):
    a = np.array(values + [0.0, -0.0, 1e-300, -1e-12, 19.0, -30.0, 700.0])[None, :]
    h, t = np.empty_like(a), np.empty_like(a)
    bits = np.zeros(a.size, np.int64)
    kernels._activate(kernels.TANH, a, h, t, bits, bits.view(np.float64), np.empty(a.size))
    want = np.tanh(a)
    np.testing.assert_allclose(h, want, rtol=4e-16, atol=0)
    # 1 - h² from the kernel's own h, as NumPy's step computes it from its own: the same
    # formula, one rounding apart (the kernel may fuse the multiply-add)
    np.testing.assert_allclose(t, 1 - h * h, rtol=0, atol=2.3e-16)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(2, 6).flatmap(
        lambda n: st.lists(
            st.lists(st.floats(-800, 800), min_size=n, max_size=n), min_size=1, max_size=20
        )
    )
)
def test_the_kernels_softmax_and_cross_entropy_equal_numpys(columns):
    Z = np.array(columns).T.copy()
    n, B = Z.shape
    labels = np.argmax(Z, axis=0) % n
    Y = (np.arange(n)[:, None] == labels).astype(float)
    P, G = np.empty_like(Z), np.empty_like(Z)
    scratch, bits = np.zeros((4, B)), np.zeros(B, np.int64)
    z = Z - Z.max(axis=0)
    want_p = np.exp(z) / np.exp(z).sum(axis=0)
    want_ce = float(np.log(np.exp(z).sum(axis=0)).sum() - (Y * z).sum())
    ce, count = kernels._softmax_ce(
        Z, P, Y, G, labels, 0.5, True, scratch, bits, bits.view(np.float64)
    )
    np.testing.assert_allclose(Z, z, rtol=0, atol=0)
    np.testing.assert_allclose(P, want_p, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(G, (want_p - Y) * 0.5, rtol=1e-14, atol=1e-16)
    assert ce == pytest.approx(want_ce, rel=1e-13, abs=1e-13)
    assert count == int((np.argmax(want_p, axis=0) == labels).sum())


# ------------------------------------------------------------------ when a run takes it
def test_fcnn_fused_0_and_1_decide(monkeypatch):
    net = fcnn.Network([2, 2, 2], seed=0)
    monkeypatch.setenv("FCNN_FUSED", "0")
    assert not fused.chosen(net, 10**9)
    monkeypatch.setenv("FCNN_FUSED", "1")
    assert fused.chosen(net, 1)
    assert not fused.chosen(net, 0)  # no argmax labels: nothing for it to count
    monkeypatch.setenv("FCNN_FUSED", "maybe")
    with pytest.raises(ValueError, match="FCNN_FUSED='maybe' is not a setting: use 1"):
        fused.chosen(net, 1)


def test_by_default_a_run_takes_the_kernel_only_where_a_compile_pays(monkeypatch):
    monkeypatch.delenv("FCNN_FUSED", raising=False)
    net = fcnn.Network([2, 2, 2], seed=0)
    # 2 layers save ~6 µs a step: 2000 steps save 12 ms, not the 3.3 s of import and compile,
    # even in this process, where numba is imported and the kernel compiled: the choice
    # depends on the run alone
    assert "numba" in sys.modules
    assert not fused.chosen(net, 2000)
    assert not fused.chosen(net, 500_000)
    assert fused.chosen(net, 600_000)
    assert fused.chosen(fcnn.Network([2, 4, 4, 4, 2], seed=0), 300_000)


@pytest.mark.parametrize("width", [5, 300])  # the whole kernel; the kernels between
@pytest.mark.parametrize("batch_size", [None, 16])
def test_a_run_resumes_with_the_step_it_was_trained_with(monkeypatch, batch_size, width):
    net, X, y = _problem([2, width, 2], 50)
    args = dict(epochs=6, optimizer="gd", lr=0.3, batch_size=batch_size, seed=0)
    monkeypatch.setenv("FCNN_FUSED", "1")
    whole = net.copy()
    h_whole = Trainer(whole, X, y, **args).run()
    first = Trainer(net.copy(), X, y, callbacks=[StopAt(4)], **args)
    first.run()
    arrays, meta = first.state_dict()
    assert meta["fused"] is True
    monkeypatch.setenv("FCNN_FUSED", "0")  # the run's own choice wins over the setting
    resumed = Trainer(net, X, y, **args)
    assert resumed._plan.count is None
    resumed.load_state_dict(arrays, meta)
    assert resumed._plan.count is not None
    h = resumed.run()
    assert np.array_equal(net.params, whole.params)
    assert h.loss == h_whole.loss and h.step_loss == h_whole.step_loss


def test_a_kernel_run_resumed_without_numba_warns_and_agrees_to_rounding(monkeypatch):
    net, X, y = _problem([2, 5, 2], 50)
    args = dict(epochs=6, optimizer="gd", lr=0.3, seed=0)
    monkeypatch.setenv("FCNN_FUSED", "1")
    whole = net.copy()
    Trainer(whole, X, y, **args).run()
    first = Trainer(net.copy(), X, y, callbacks=[StopAt(3)], **args)
    first.run()
    arrays, meta = first.state_dict()
    monkeypatch.setattr(fused, "loads", lambda: False)  # as where numba is not installed
    resumed = Trainer(net, X, y, **args)
    with pytest.warns(RuntimeWarning, match="resumes with the NumPy step"):
        resumed.load_state_dict(arrays, meta)
    resumed.run()
    np.testing.assert_allclose(net.params, whole.params, rtol=1e-12)


@pytest.mark.parametrize("activation", ["sigmoid", "softplus", "leaky_relu"])
def test_a_run_whose_activation_the_kernels_do_not_know_takes_the_numpy_step(
    monkeypatch, activation
):
    monkeypatch.setenv("FCNN_FUSED", "1")
    assert not fused.chosen(fcnn.Network([2, 4, 2], activation, seed=0), 1)


@pytest.mark.parametrize(
    ("sizes", "activation", "batch", "dtype"),
    [
        ([2, 3], "tanh", 10, "float64"),  # one layer: only the output kernel between
        ([40, 100, 10], "tanh", 128, "float64"),  # BLAS's products win
        ([2, 16, 16, 2], "tanh", 1000, "float64"),
        ([2, 8, 8, 2], "relu", 256, "float32"),  # float32's products are cheaper
    ],
)
def test_wide_steps_take_blas_products_with_the_kernels_between(sizes, activation, batch, dtype):
    net = fcnn.Network(sizes, activation, seed=0, dtype=dtype)
    assert not fused.applies(net, batch)
    assert fused.chosen(net, 10**7)


def test_the_whole_kernel_takes_small_networks_and_batches():
    assert fused.applies(fcnn.Network([2, 2, 2], seed=0), 200)
    assert fused.applies(fcnn.Network([2, 16, 16, 2], "relu", seed=0), 64)
    assert fused.applies(fcnn.Network([3, 4, 3], "identity", seed=0), 900)
    assert fused.applies(fcnn.Network([2, 8, 8, 2], dtype="float32", seed=0), 128)


@pytest.mark.parametrize("fit", [dict(l2=0.01), dict(output="sigmoid", loss="mse")])
def test_runs_the_kernel_does_not_compute_take_the_numpy_step(monkeypatch, fit):
    monkeypatch.setenv("FCNN_FUSED", "1")
    net = fcnn.Network([2, 4, 2], seed=0, **{k: v for k, v in fit.items() if k != "l2"})
    X, y = _problem([2, 4, 2], 20)[1:]
    trainer = Trainer(net, X, y, epochs=2, **{k: v for k, v in fit.items() if k == "l2"})
    assert trainer._plan.count is None
    trainer.run()


@pytest.mark.slow
def test_a_default_fit_never_imports_numba():
    code = (
        "import sys, numpy as np, fcnn\n"
        "X = np.random.default_rng(0).normal(size=(200, 2)); y = (X[:, 0] > 0).astype(int)\n"
        "fcnn.Network([2, 2, 2], seed=0).fit(X, y, epochs=2000, lr=0.1, optimizer='gd')\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_the_kernel_never_indexes_out_of_bounds(tmp_path):
    # numba does not check indices unless told: compile afresh with bounds checks on and
    # train every layout the kernel meets (an index out of bounds raises IndexError)
    code = (
        "import numpy as np, fcnn\n"
        "rng = np.random.default_rng(0)\n"
        "cases = [([2, 2, 2], 'tanh', 200, None), ([3, 7, 5, 4], 'relu', 37, 8),\n"
        "         ([4, 6, 6, 6, 3], 'tanh', 33, None), ([2, 5, 3], 'identity', 50, 16),\n"
        "         ([5, 40, 30, 4], 'tanh', 100, 32), ([3, 90, 2], 'relu', 120, None),\n"
        "         ([20, 3], 'tanh', 2000, None)]  # the last three: the kernels between\n"
        "for sizes, act, n, bs in cases:\n"
        "    X = rng.normal(size=(n, sizes[0])); y = rng.integers(0, sizes[-1], n)\n"
        "    for opt in ('gd', 'adam'):\n"
        "        for dtype in ('float64', 'float32'):\n"
        "            net = fcnn.Network(sizes, act, seed=0, dtype=dtype)\n"
        "            net.fit(X, y, epochs=3, batch_size=bs, optimizer=opt, lr=0.1)\n"
        "print('done')\n"
    )
    env = dict(os.environ, FCNN_FUSED="1", NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600
    )
    assert out.returncode == 0 and out.stdout.strip() == "done", out.stderr[-2000:]
