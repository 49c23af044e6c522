"""The training fast path against the readable math.

The loop trains on preallocated workspaces in seed 002's layout (one sample per column) with
shortcuts that ``fcnn.reference`` does not take: column sums as one BLAS product, a two-row
maximum, an argmax of two rows by one comparison, a finiteness test by a count. Each
test here names the shortcut it checks and compares it with the plain formula or with
``fcnn.reference``, in float64 and float32. Where a shortcut is claimed to be exact, the test
asserts bit equality.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import one_hot

import fcnn
from fcnn import losses, reference
from fcnn.batching import correct
from fcnn.train import Trainer

TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-4, atol=2e-6)}


def _problem(seed, sizes, n, dtype, activation="tanh", output="softmax", loss="cross_entropy"):
    rng = np.random.default_rng(seed)
    net = fcnn.Network(sizes, activation, output, loss, seed=seed, dtype=dtype)
    X = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    return net, X, y


def _reference_step(net, X, y, lr, reduction="mean"):
    """One gradient-descent step in float64 by ``fcnn.reference``; returns (J, new params)."""
    Ws = [W.astype(np.float64) for W in net.weights]
    bs = [b.astype(np.float64) for b in net.biases]
    Y = one_hot(y, net.n_outputs)
    J, dWs, dbs = reference.gradients(
        Ws, bs, X.T, Y.T, net.activations, net.output, net.loss_name, reduction
    )
    new = []
    for W, b, dW, db in zip(Ws, bs, dWs, dbs, strict=True):
        new.append(np.column_stack([W - lr * dW, b - lr * db]).ravel())
    return J, np.concatenate(new)


# ------------------------------------------------------------------ whole training steps
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_full_batch_gd_steps_equal_reference_steps(dtype):
    net, X, y = _problem(0, [2, 2, 2], 200, dtype)
    ref = net.copy()
    h = net.fit(X, y, epochs=5, lr=0.1, optimizer="gd")
    for epoch in range(5):
        J, params = _reference_step(ref, X, y, 0.1)
        assert h.loss[epoch] == pytest.approx(J, rel=TOL[dtype]["rtol"])
        ref.set_params(params)
    np.testing.assert_allclose(net.params, ref.params, **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("sizes", [[5, 7, 3], [4, 6, 5, 2], [3, 4]])
def test_mini_batch_sgd_epoch_equals_reference_steps_on_the_same_batches(dtype, sizes):
    net, X, y = _problem(1, sizes, 23, dtype)
    ref = net.copy()
    trainer = Trainer(net, X, y, epochs=1, lr=0.05, batch_size=5, optimizer="sgd", seed=3)
    h = trainer.run()
    order = np.random.default_rng(np.random.SeedSequence(3).spawn(2)[1]).permutation(23)
    for i, start in enumerate(range(0, 23, 5)):
        idx = order[start : start + 5]
        J, params = _reference_step(ref, X[idx], y[idx], 0.05)
        assert h.step_loss[i] == pytest.approx(J, rel=TOL[dtype]["rtol"])
        ref.set_params(params)
    np.testing.assert_allclose(net.params, ref.params, **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("sizes", [[2, 3, 2], [2, 3, 4]])
def test_history_accuracy_is_the_argmax_accuracy_before_each_update(dtype, sizes):
    net, X, y = _problem(2, sizes, 60, dtype)
    starts = [net.params.copy()]  # full batch: epoch e is measured on the parameters it starts from
    h = net.fit(X, y, epochs=4, lr=0.5, callbacks=[lambda t: starts.append(t.net.params.copy())])
    probe = net.copy()
    for epoch in range(4):
        probe.set_params(starts[epoch])
        assert h.accuracy[epoch] == np.mean(probe.predict(X) == y)


# ------------------------------------------------------------------------- the shortcuts
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("l", [2, 3, 10])
def test_column_max_is_exactly_np_max(dtype, l):
    Z = np.random.default_rng(l).normal(size=(l, 37)).astype(dtype)
    Z[:, 0] = 1.5  # a column of ties
    out = np.empty(37, dtype)
    losses._column_max(Z, out)
    assert np.array_equal(out, Z.max(axis=0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("l", [2, 3, 10])
def test_softmax_with_blas_column_sums_equals_the_plain_formula(dtype, l):
    rng = np.random.default_rng(l)
    Z = (rng.normal(size=(l, 50)) * 30).astype(dtype)  # large logits: the shift matters
    expected = np.exp(Z - Z.max(axis=0)) / np.exp(Z - Z.max(axis=0)).sum(axis=0)
    P = np.empty_like(Z)
    losses.output_forward("softmax", Z.copy(), P, losses.Buffers.like(Z))
    np.testing.assert_allclose(P, expected, rtol=1e-6 if dtype == np.float32 else 1e-14)
    np.testing.assert_allclose(P.sum(axis=0), 1, rtol=1e-6 if dtype == np.float32 else 1e-14)


@pytest.mark.parametrize("l", [2, 3])
def test_correct_count_equals_argmax_including_ties(l):
    rng = np.random.default_rng(0)
    P = rng.integers(0, 3, size=(l, 200)).astype(float)  # many exact ties
    labels = rng.integers(0, l, 200)
    expected = int(np.count_nonzero(P.argmax(axis=0) == labels))
    assert correct("argmax", P, labels, one_hot(labels, l).T) == expected


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [0, 7, -1])
def test_finiteness_test_by_count_equals_isfinite(dtype, bad, where):
    net, X, y = _problem(0, [2, 3, 2], 10, dtype)
    trainer = Trainer(net, X, y, epochs=1)
    params = net.params.copy()
    assert trainer._finite(params)
    huge = np.finfo(dtype).max
    params[:] = huge  # finite, however large
    assert trainer._finite(params)
    params[where] = bad
    assert not trainer._finite(params)
