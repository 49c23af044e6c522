"""``solver='lbfgs'`` in fcnn.sklearn against scikit-learn's MLP on the same data and initial
weights: the loss curve, ``n_iter_``/``loss_``, ``max_fun``, the ConvergenceWarning, sample
weights, multi-output regression, warm starts and ``partial_fit`` being absent."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

import scipy.optimize  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402
from sklearn.datasets import load_digits, load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402

from fcnn.sklearn import FCNNClassifier, FCNNRegressor  # noqa: E402


def _sklearn_curve(mlp, X, y, monkeypatch, **fit):
    """Fit ``mlp`` and return the loss after each L-BFGS-B iteration (sklearn keeps none)."""
    curve, minimize = [], scipy.optimize.minimize

    def recording(fun, x0, **kw):
        kw["callback"] = lambda intermediate_result: curve.append(intermediate_result.fun)
        return minimize(fun, x0, **kw)

    with monkeypatch.context() as m, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m.setattr(scipy.optimize, "minimize", recording)
        mlp.fit(X, y, **fit)
    return curve


def _quiet_fit(est, X, y, **fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **fit)


@pytest.mark.slow
def test_lbfgs_loss_curve_matches_mlpclassifier_to_1e6_over_50_iterations_on_digits(
    monkeypatch,
):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    args = dict(solver="lbfgs", hidden_layer_sizes=(64,), max_iter=50, random_state=0)
    theirs = MLPClassifier(**args)
    want = _sklearn_curve(theirs, X, y, monkeypatch)
    ours = _quiet_fit(FCNNClassifier(**args), X, y)
    assert len(want) == 50 and ours.n_iter_ == theirs.n_iter_ == 50
    assert_allclose(ours.loss_curve_, want, rtol=1e-6)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("alpha", [0.0, 1e-2])
def test_lbfgs_with_sample_weights_and_l2_matches_mlpclassifier(monkeypatch, alpha):
    X, y = load_iris(return_X_y=True)
    w = np.random.default_rng(0).uniform(0.2, 3, len(y))
    args = dict(solver="lbfgs", hidden_layer_sizes=(8,), max_iter=30, alpha=alpha, random_state=1)
    want = _sklearn_curve(MLPClassifier(**args), X, y, monkeypatch, sample_weight=w)
    ours = _quiet_fit(FCNNClassifier(**args), X, y, sample_weight=w)
    assert_allclose(ours.loss_curve_, want, rtol=1e-6)


def test_lbfgs_multi_output_regression_matches_mlpregressor(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    Y = np.column_stack([X @ rng.normal(size=4), np.tanh(X[:, 0]), X[:, 1] ** 2])
    args = dict(solver="lbfgs", hidden_layer_sizes=(10,), max_iter=40, random_state=0)
    theirs = MLPRegressor(**args)
    want = _sklearn_curve(theirs, X, Y, monkeypatch)
    ours = _quiet_fit(FCNNRegressor(**args), X, Y)
    assert_allclose(ours.loss_curve_, want, rtol=1e-6)
    assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-5, atol=1e-8)


def test_lbfgs_warns_as_scikit_learn_when_max_iter_or_max_fun_ends_it():
    X, y = load_iris(return_X_y=True)
    for limits in ({"max_iter": 5}, {"max_fun": 5}):
        args = dict(solver="lbfgs", hidden_layer_sizes=(5,), random_state=0, **limits)
        with pytest.warns(ConvergenceWarning) as ours:
            FCNNClassifier(**args).fit(X, y)
        with pytest.warns(ConvergenceWarning) as theirs:
            MLPClassifier(**args).fit(X, y)
        assert str(ours[0].message) == str(theirs[0].message)


def test_lbfgs_converges_without_warning_and_n_iter_counts_its_iterations():
    X, y = load_iris(return_X_y=True)
    args = dict(solver="lbfgs", hidden_layer_sizes=(3,), tol=1e-2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = FCNNClassifier(**args).fit(X, y)
        theirs = MLPClassifier(**args).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == len(ours.loss_curve_)


@pytest.mark.parametrize("cls", [FCNNClassifier, FCNNRegressor])
def test_partial_fit_is_absent_for_lbfgs_as_in_scikit_learn(cls):
    est = cls(solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        est.partial_fit  # noqa: B018
    assert "lbfgs is not stochastic" in str(info.value.__cause__)  # sklearn's reason
    assert hasattr(cls(solver="sgd"), "partial_fit")


def test_lbfgs_warm_start_continues_from_the_fitted_weights(monkeypatch):
    X, y = load_iris(return_X_y=True)
    args = dict(solver="lbfgs", hidden_layer_sizes=(6,), max_iter=10, random_state=0)
    ours = _quiet_fit(FCNNClassifier(warm_start=True, **args), X, y)
    theirs = MLPClassifier(warm_start=True, **args)
    _sklearn_curve(theirs, X, y, monkeypatch)
    first = ours.loss_
    want = _sklearn_curve(theirs, X, y, monkeypatch)
    _quiet_fit(ours, X, y)
    assert ours.n_iter_ == 10 and ours.loss_ < first
    assert_allclose(ours.loss_curve_[10:], want, rtol=1e-6)


def test_max_fun_must_be_a_positive_integer():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="'max_fun' parameter of FCNNClassifier must be an int"):
        FCNNClassifier(solver="lbfgs", max_fun=0).fit(X, y)
