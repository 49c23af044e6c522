"""Parity of fcnn.sklearn with scikit-learn's MLP estimators on three points of issue 17.

- dtype follows the data: float32 ``X`` gives float32 parameters and outputs, as
  ``MLPClassifier``/``MLPRegressor`` do, unless ``dtype`` is given.
- ``coefs_`` and ``intercepts_`` can be assigned whole, as in scikit-learn, with checks.
- A divergence in a fit with early stopping leaves the best validation epoch's weights, the
  predictions ``MLPRegressor`` gives at the end of the same fit.

The reference is scikit-learn's own estimators, fitted on the same data.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402

import fcnn  # noqa: E402
from fcnn.sklearn import FCNNClassifier, FCNNRegressor  # noqa: E402

SMALL = dict(hidden_layer_sizes=(6,), max_iter=5, random_state=0)
PAIRS = [(FCNNClassifier, MLPClassifier), (FCNNRegressor, MLPRegressor)]


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning after 5 epochs
        return est.fit(X, y)


def _iris():
    X, y = load_iris(return_X_y=True)
    return X, y


# ------------------------------------------------------------------------ dtype follows data
@pytest.mark.parametrize("cls, mlp", PAIRS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_default_dtype_follows_the_data_as_in_scikit_learn(cls, mlp, dtype):
    X, y = _iris()
    X = X.astype(dtype)
    ours, theirs = _fit(cls(**SMALL), X, y), _fit(mlp(**SMALL), X, y)
    assert ours.network_.dtype == dtype
    for got, want in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True
    ):
        assert got.dtype == want.dtype == dtype
    method = "predict_proba" if cls is FCNNClassifier else "predict"
    assert getattr(ours, method)(X).dtype == getattr(theirs, method)(X).dtype == dtype


@pytest.mark.parametrize("cls, mlp", PAIRS)
def test_float32_model_given_float64_input_returns_float64_as_scikit_learn(cls, mlp):
    X, y = _iris()
    ours = _fit(cls(**SMALL), X.astype(np.float32), y)
    theirs = _fit(mlp(**SMALL), X.astype(np.float32), y)
    method = "predict_proba" if cls is FCNNClassifier else "predict"
    assert getattr(ours, method)(X).dtype == getattr(theirs, method)(X).dtype == np.float64


def test_partial_fit_on_float32_data_trains_a_float32_network():
    X, y = _iris()
    clf = FCNNClassifier(**SMALL).partial_fit(X.astype(np.float32), y, classes=np.unique(y))
    assert clf.network_.dtype == np.float32
    clf.partial_fit(X, y)  # later float64 batches are cast to the fitted dtype
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32


def test_integer_input_gives_float64_parameters():
    X, y = _iris()
    reg = _fit(FCNNRegressor(**SMALL), np.round(X * 10).astype(np.int64), y)
    assert reg.network_.dtype == np.float64


@pytest.mark.parametrize("given", ["float32", "float64"])
@pytest.mark.parametrize("data", [np.float32, np.float64])
def test_explicit_dtype_sets_parameters_and_outputs_whatever_the_data(given, data):
    X, y = _iris()
    reg = _fit(FCNNRegressor(dtype=given, **SMALL), X.astype(data), y)
    assert reg.network_.dtype == np.dtype(given)
    assert reg.predict(X.astype(data)).dtype == np.dtype(given)


def test_float32_fit_matches_float64_fit_to_float32_rounding():
    X, y = _iris()
    a = _fit(FCNNClassifier(solver="sgd", shuffle=False, **SMALL), X.astype(np.float32), y)
    b = _fit(FCNNClassifier(solver="sgd", shuffle=False, **SMALL), X, y)
    assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-4)


def test_warm_start_keeps_the_fitted_dtype_for_data_of_another_type():
    X, y = _iris()
    reg = _fit(FCNNRegressor(warm_start=True, **SMALL), X.astype(np.float32), y)
    _fit(reg, X, y)  # float64 data: cast to the float32 network, as partial_fit would
    assert reg.network_.dtype == np.float32 and reg.coefs_[0].dtype == np.float32


# ------------------------------------------------------------------- assignable coefs_
def test_assigned_coefs_and_intercepts_give_scikit_learns_predictions():
    X, y = _iris()
    theirs = _fit(MLPClassifier(**SMALL), X, y)
    ours = _fit(FCNNClassifier(**dict(SMALL, random_state=1)), X, y)
    ours.coefs_ = [c.copy() for c in theirs.coefs_]
    ours.intercepts_ = [b.copy() for b in theirs.intercepts_]
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-12)
    for got, want in zip(ours.coefs_, theirs.coefs_, strict=True):
        assert_array_equal(got, want)


def test_assigned_coefs_stay_views_into_the_network():
    X, y = _iris()
    reg = _fit(FCNNRegressor(**SMALL), X, y)
    reg.coefs_ = [np.zeros_like(c) for c in reg.coefs_]
    assert not any(W.any() for W in reg.network_.weights)
    assert all(b.any() for b in reg.network_.biases)  # the biases are left alone
    reg.coefs_[1][:] = 1.0  # writing into the returned views still reaches the network
    assert_array_equal(reg.network_.weights[1], 1.0)


def test_assigned_float64_coefs_are_stored_in_a_float32_networks_dtype():
    X, y = _iris()
    reg = _fit(FCNNRegressor(**SMALL), X.astype(np.float32), y)
    reg.coefs_ = [np.full(c.shape, 0.1) for c in reg.coefs_]
    assert reg.coefs_[0].dtype == np.float32
    assert_array_equal(reg.coefs_[0], np.float32(0.1))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda cs: cs[:1], r"coefs_ must hold 2 arrays, one per layer, got 1"),
        (lambda cs: [cs[0].T, cs[1]], r"coefs_\[0\] has shape \(6, 4\), but layer 1 needs"),
        (lambda cs: [cs[0].astype(complex), cs[1]], r"coefs_\[0\] has dtype complex128"),
        (lambda cs: [cs[0].astype(str), cs[1]], r"must hold real numbers"),
        (lambda cs: [cs[0], np.full_like(cs[1], np.nan)], r"coefs_\[1\] holds NaN"),
        (lambda cs: 3.0, r"coefs_ must be a list of 2 arrays, one per layer, got float"),
    ],
)
def test_bad_coefs_assignment_raises_a_clear_error_and_changes_nothing(make, match):
    X, y = _iris()
    reg = _fit(FCNNRegressor(**SMALL), X, y)
    before = reg.network_.params.copy()
    with pytest.raises(ValueError, match=match):
        reg.coefs_ = make([c.copy() for c in reg.coefs_])
    assert_array_equal(reg.network_.params, before)


def test_bad_intercepts_shape_is_refused():
    X, y = _iris()
    reg = _fit(FCNNRegressor(**SMALL), X, y)
    with pytest.raises(ValueError, match=r"intercepts_\[1\] has shape \(2,\), but layer 2 needs"):
        reg.intercepts_ = [reg.intercepts_[0], np.zeros(2)]


def test_assigning_coefs_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        FCNNRegressor().coefs_ = [np.zeros((4, 100)), np.zeros((100, 1))]


# ----------------------------------------------------- divergence with early stopping
DIVERGING = dict(
    hidden_layer_sizes=(100,),
    activation="identity",
    solver="sgd",
    learning_rate_init=1,
    max_iter=20,
    early_stopping=True,
    random_state=0,
)


def test_divergence_with_early_stopping_keeps_the_best_epoch_as_mlpregressor():
    X, y = _iris()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow and convergence warnings
        theirs = MLPRegressor(**DIVERGING).fit(X, y)
        ours = FCNNRegressor(**DIVERGING)
        with pytest.raises(fcnn.DivergenceError, match="best validation epoch"):
            ours.fit(X, y)
        got = ours.predict(X)
    assert np.isfinite(got).all()
    assert_allclose(got, theirs.predict(X), rtol=1e-9)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_)
    assert ours.validation_scores_[0] == pytest.approx(theirs.validation_scores_[0])


def test_divergence_before_any_validation_score_leaves_the_estimator_unfitted():
    X, y = _iris()
    reg = FCNNRegressor(**dict(DIVERGING, learning_rate_init=1e6, batch_size=10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(fcnn.DivergenceError, match="left unfitted"):
            reg.fit(X, y)
    with pytest.raises(NotFittedError):
        reg.predict(X)
    _fit(reg.set_params(learning_rate_init=1e-3, max_iter=3), X, y)  # fits afresh
    assert np.isfinite(reg.predict(X)).all()


def test_divergence_without_early_stopping_still_raises_with_last_finite_parameters():
    X, y = _iris()
    reg = FCNNRegressor(**dict(DIVERGING, early_stopping=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(fcnn.DivergenceError, match="last finite parameters"):
            reg.fit(X, y)
    assert np.isfinite(reg.network_.params).all()


# ------------------------------------------------------------- the rest of parity (issue 17)
def _same_params(ours, mlp):
    return {k: v for k, v in ours.get_params().items() if k in mlp().get_params()}


@pytest.mark.parametrize("cls, mlp", PAIRS)
def test_every_mlp_parameter_exists_with_the_same_default(cls, mlp):
    theirs = mlp().get_params()
    assert _same_params(cls(), mlp) == theirs


@pytest.mark.parametrize("cls, mlp", PAIRS)
@pytest.mark.parametrize(
    "bad",
    [
        dict(solver="newton"),
        dict(alpha=-1.0),
        dict(max_iter=0),
        dict(max_fun=0),
        dict(batch_size=0),
        dict(momentum=1.5),
        dict(validation_fraction=1.0),
        dict(n_iter_no_change=0),
        dict(learning_rate="fast"),
        dict(tol=-1.0),
        dict(beta_1=1.0),
        dict(shuffle="yes"),
    ],
    ids=lambda bad: next(iter(bad)),
)
def test_bad_parameters_get_scikit_learns_error_and_message(cls, mlp, bad):
    X, y = _iris()
    messages = []
    for est in (cls(**bad), mlp(**bad)):
        with pytest.raises(ValueError) as info:
            est.fit(X, y)
        messages.append(str(info.value).replace(type(est).__name__, "EST"))
        assert type(info.value).__name__ == "InvalidParameterError"
    # the solver list names fcnn's 'gd' as well; every other message is word for word
    if "solver" not in bad:
        assert messages[0] == messages[1]


def test_momentum_one_is_allowed_and_takes_mlpclassifiers_steps():
    X, y = _iris()
    args = dict(SMALL, solver="sgd", momentum=1.0, shuffle=False, learning_rate_init=1e-3)
    ours, theirs = _fit(FCNNClassifier(**args), X, y), _fit(MLPClassifier(**args), X, y)
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)


def test_multiclass_early_stopping_splits_and_stops_as_mlpclassifier():
    # scikit-learn stratifies the early-stopping split only for one output unit (binary);
    # a multi-class target is split at random, with the same random_state the same rows
    X, y = _iris()
    args = dict(
        hidden_layer_sizes=(8,), early_stopping=True, shuffle=False, random_state=3,
        n_iter_no_change=3, max_iter=60, learning_rate_init=0.01,
    )  # fmt: skip
    ours, theirs = _fit(FCNNClassifier(**args), X, y), _fit(MLPClassifier(**args), X, y)
    assert ours.n_iter_ == theirs.n_iter_
    assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)


@pytest.mark.parametrize("first, then", [("adam", "lbfgs"), ("sgd", "adam"), ("lbfgs", "lbfgs")])
def test_warm_start_may_change_solver_and_goes_on_as_mlpclassifier(first, then):
    X, y = _iris()
    args = dict(SMALL, shuffle=False, warm_start=True, learning_rate_init=0.01)
    ours, theirs = FCNNClassifier(solver=first, **args), MLPClassifier(solver=first, **args)
    _fit(ours, X, y), _fit(theirs, X, y)
    ours.set_params(solver=then), theirs.set_params(solver=then)
    _fit(ours, X, y), _fit(theirs, X, y)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-6, atol=1e-9)


def test_warm_start_from_lbfgs_to_a_stochastic_solver_goes_on_where_scikit_learn_fails():
    X, y = _iris()
    args = dict(SMALL, shuffle=False, warm_start=True)
    ours, theirs = FCNNClassifier(solver="lbfgs", **args), MLPClassifier(solver="lbfgs", **args)
    _fit(ours, X, y), _fit(theirs, X, y)
    after_lbfgs = ours.loss_
    ours.set_params(solver="sgd", learning_rate_init=1e-4)
    theirs.set_params(solver="sgd")
    with pytest.raises(AttributeError, match="loss_curve_"):  # sklearn keeps no curve for lbfgs
        _fit(theirs, X, y)
    _fit(ours, X, y)
    assert ours.n_iter_ == 5 and ours.loss_curve_[-1] == pytest.approx(after_lbfgs, rel=1e-2)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_multilabel_and_multi_output_targets_train_as_scikit_learns(solver):
    X, _ = _iris()
    Y = np.column_stack([X[:, 0] > 5.8, X[:, 2] > 4, X[:, 1] > 3]).astype(int)
    args = dict(SMALL, solver=solver, shuffle=False, learning_rate_init=0.01)
    ours, theirs = _fit(FCNNClassifier(**args), X, Y), _fit(MLPClassifier(**args), X, Y)
    assert ours.out_activation_ == theirs.out_activation_ == "logistic"
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-6, atol=1e-9)
    T = np.column_stack([X[:, 0] * 2, X[:, 3] - 1])
    reg, mlp = _fit(FCNNRegressor(**args), X, T), _fit(MLPRegressor(**args), X, T)
    assert_allclose(reg.predict(X), mlp.predict(X), rtol=1e-6, atol=1e-9)
