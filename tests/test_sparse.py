"""Sparse input: ``scipy.sparse`` CSR/CSC matrices and arrays in ``Network`` and in the
estimators give what the same data dense gives, the first layer's products are taken sparse x
dense (the workspace never holds the dense batch), and a 100,000 x 50,000 TF-IDF matrix at
0.1% density trains within 2x the memory of the matrix plus the parameters."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

import fcnn
from fcnn._fast import step as fast_step

FORMATS = [sp.csr_matrix, sp.csc_matrix, sp.csr_array, sp.csc_array]
BENCH = Path(__file__).parent.parent / "benchmarks" / "sparse_memory.py"


def _data(n=120, d=40, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.1, format="csr", random_state=seed)
    return X, rng.integers(0, 3, n)


@pytest.mark.parametrize("fmt", FORMATS)
def test_network_forward_and_gradients_of_sparse_input_equal_the_dense_ones(fmt):
    X, y = _data()
    net = fcnn.Network([40, 7, 5, 3], "tanh", seed=0)
    assert_allclose(net.forward(fmt(X)), net.forward(X.toarray()), rtol=1e-13, atol=1e-15)
    assert_array_equal(net.predict(fmt(X)), net.predict(X.toarray()))
    dW, db = net.gradients(fmt(X), y)
    dW_dense, db_dense = net.gradients(X.toarray(), y)
    for got, want in zip(dW + db, dW_dense + db_dense, strict=True):
        assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert net.loss(fmt(X), y, l2=0.1) == pytest.approx(net.loss(X.toarray(), y, l2=0.1))


@pytest.mark.parametrize(
    "options",
    [
        {"optimizer": "gd", "lr": 0.5},
        {"optimizer": "sgd", "batch_size": 16, "lr": 0.1},
        {"optimizer": "adam", "batch_size": 16, "lr": 0.01, "l2": 1e-3},
        {"optimizer": "lbfgs", "val_split": 0.2},
    ],
    ids=["gd", "sgd", "adam", "lbfgs"],
)
def test_network_fit_on_sparse_input_follows_the_dense_run(options):
    X, y = _data()
    sparse, dense = fcnn.Network([40, 8, 3], seed=0), fcnn.Network([40, 8, 3], seed=0)
    h_s = sparse.fit(X, y, epochs=6, **options)
    h_d = dense.fit(X.toarray(), y, epochs=6, **options)
    assert_allclose(sparse.params, dense.params, rtol=1e-10, atol=1e-13)
    assert_allclose(h_s.loss, h_d.loss, rtol=1e-12)


def test_sparse_runs_take_the_readable_step_and_never_hold_the_dense_batch():
    X, y = _data()
    net = fcnn.Network([40, 8, 3], seed=0)
    seen = []  # the batches in use (after the run they go back to fcnn._fast.cache)
    watch = fcnn.Callback()
    watch.on_step_end = lambda t: seen.extend(t._batches.values())
    trainer = fcnn.Trainer(net, X, y, optimizer="adam", batch_size=32, epochs=1, callbacks=[watch])
    assert trainer._plan.kind == "readable"  # the compiled steps bind the dense H[0]
    trainer.run()
    ws = seen[0]
    assert ws.X is None and ws.H[0] is None and sp.issparse(ws.Xs)
    plain = fast_step.choose(net, fcnn.optim.SGD(), l2=0, clip=None, weighted=False, sparse=True)
    assert plain.kind == "folded"


def test_sparse_input_of_a_standardising_network_is_refused_with_the_fix():
    X, _ = _data()
    net = fcnn.Network([40, 4, 3], seed=0)
    net.feature_mean, net.feature_scale = np.zeros(40), np.ones(40)
    with pytest.raises(ValueError, match="would make sparse X dense"):
        net.forward(net.standardize(X))


def test_sparse_input_with_nan_or_the_wrong_width_is_refused():
    X, y = _data()
    net = fcnn.Network([40, 4, 3], seed=0)
    with pytest.raises(ValueError, match="X has 39 features"):
        net.forward(X[:, :39])
    bad = X.copy()
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        net.fit(bad, y, epochs=1)


# ---------------------------------------------------------------------------- estimators
sklearn = pytest.importorskip("sklearn")
from fcnn.sklearn import FCNNClassifier, FCNNRegressor  # noqa: E402


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_estimators_fit_and_predict_sparse_input_as_its_dense_copy(fmt, solver):
    X, y = _data()
    args = dict(solver=solver, hidden_layer_sizes=(6,), max_iter=4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        a = FCNNClassifier(**args).fit(fmt(X), y)
        b = FCNNClassifier(**args).fit(X.toarray(), y)
        r = FCNNRegressor(**args).fit(fmt(X), y.astype(float))
        s = FCNNRegressor(**args).fit(X.toarray(), y.astype(float))
    assert_allclose(a.predict_proba(fmt(X)), b.predict_proba(X.toarray()), rtol=1e-10)
    assert_array_equal(a.predict(fmt(X)), b.predict(X.toarray()))
    assert_allclose(r.predict(fmt(X)), s.predict(X.toarray()), rtol=1e-10)


def test_partial_fit_and_early_stopping_take_sparse_input():
    X, y = _data(n=200)
    clf = FCNNClassifier(hidden_layer_sizes=(6,), random_state=0)
    clf.partial_fit(X, y, classes=np.arange(3))
    clf.partial_fit(X.tocsc(), y)
    dense = FCNNClassifier(hidden_layer_sizes=(6,), random_state=0)
    dense.partial_fit(X.toarray(), y, classes=np.arange(3))
    dense.partial_fit(X.toarray(), y)
    assert_allclose(clf.predict_proba(X), dense.predict_proba(X.toarray()), rtol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = FCNNClassifier(max_iter=3, early_stopping=True, random_state=0).fit(X, y)
    assert len(es.validation_scores_) == 3


@pytest.mark.slow
def test_tfidf_100k_by_50k_trains_within_twice_the_matrix_plus_parameters():
    out = subprocess.run(
        [sys.executable, str(BENCH)], capture_output=True, text=True, check=True, timeout=900
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["shape"] == [100_000, 50_000]
    assert 0.0009 < result["density"] < 0.0011
    assert result["ratio"] < 2.0, result
    assert result["accuracy"] > 0.9
