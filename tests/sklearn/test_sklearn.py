"""Tests for fcnn.sklearn: FCNNClassifier and FCNNRegressor.

The reference is scikit-learn's own MLPClassifier/MLPRegressor. With the same settings, the
same ``random_state`` and ``shuffle=False`` the two libraries start from the same weights and
take the same steps, so coefficients, loss curves, stopping epochs and validation scores must
agree to rounding. Everything else (class weights, sample weights, partial_fit, warm start,
files, pickling, pipelines) is checked against scikit-learn's documented behaviour.
"""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.class_weight import compute_sample_weight  # noqa: E402

import fcnn  # noqa: E402
from fcnn.sklearn import FCNNClassifier, FCNNRegressor  # noqa: E402

SMALL = dict(hidden_layer_sizes=(7,), max_iter=25, random_state=0)


def _data(n=120, d=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d))


def multiclass(n=120, seed=0):
    X = _data(n, seed=seed)
    return X, (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)


def binary(n=120, seed=0):
    X = _data(n, seed=seed)
    return X, np.where(X[:, 0] - X[:, 3] > 0, "yes", "no")


def multilabel(n=120, seed=0):
    X = _data(n, seed=seed)
    return X, np.column_stack([X[:, 0] > 0, X[:, 1] > 0.3, X[:, 0] + X[:, 2] > 0]).astype(int)


def regression(n=120, outputs=1, seed=0):
    X = _data(n, seed=seed)
    Y = np.column_stack([np.sin(X[:, j]) + 0.5 * X[:, j + 1] for j in range(outputs)])
    return X, (Y[:, 0] if outputs == 1 else Y)


def fit_quietly(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def assert_same_run(ours, theirs, rtol=1e-9):
    """Same weights, loss curve, epoch count and samples seen as the scikit-learn estimator."""
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    assert ours.out_activation_ == theirs.out_activation_
    assert ours.n_layers_ == theirs.n_layers_ and ours.n_outputs_ == theirs.n_outputs_
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=rtol)
    for mine, ref in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True
    ):
        assert mine.shape == ref.shape
        assert_allclose(mine, ref, rtol=rtol, atol=1e-12)


# ------------------------------------------------------------------------- the module edge
@pytest.mark.slow
def test_import_fcnn_does_not_import_scikit_learn():
    code = "import fcnn, sys; assert 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_missing_scikit_learn_names_the_extra_to_install():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "try:\n    import fcnn.sklearn\nexcept ImportError as e:\n    print(e)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "fcnn.sklearn needs scikit-learn: pip install 'fcnn[sklearn]'"


# ------------------------------------------------------- same run as scikit-learn's MLP
PARITY = {
    "sgd nesterov, alpha": dict(solver="sgd", batch_size=40, alpha=1e-2, learning_rate_init=0.1),
    "sgd plain momentum": dict(solver="sgd", batch_size=30, nesterovs_momentum=False),
    "sgd no momentum": dict(solver="sgd", batch_size=24, momentum=0.0, learning_rate_init=0.3),
    "sgd invscaling": dict(
        solver="sgd", batch_size=20, learning_rate="invscaling", learning_rate_init=0.5
    ),
    "sgd adaptive": dict(
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.5,
        tol=0.02,
        n_iter_no_change=2,
        max_iter=40,
    ),  # fmt: skip
    "adam": dict(solver="adam", batch_size=40, learning_rate_init=0.01, alpha=1e-3),
    "stops at tol": dict(solver="adam", learning_rate_init=0.05, tol=1e-3, max_iter=200),
    "logistic, two layers": dict(
        solver="sgd", activation="logistic", hidden_layer_sizes=(6, 4), batch_size=60
    ),
    "tanh": dict(solver="adam", activation="tanh", learning_rate_init=0.01),
}


@pytest.mark.parametrize("settings", PARITY.values(), ids=PARITY)
@pytest.mark.parametrize("data", [multiclass, binary, multilabel])
def test_classifier_takes_the_same_steps_as_mlpclassifier(settings, data):
    X, y = data()
    kw = {**SMALL, "shuffle": False, **settings}
    ours, theirs = fit_quietly(FCNNClassifier(**kw), X, y), fit_quietly(MLPClassifier(**kw), X, y)
    assert_same_run(ours, theirs)
    assert_array_equal(ours.classes_, theirs.classes_)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9, atol=1e-12)
    assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("outputs", [1, 3])
@pytest.mark.parametrize("settings", [PARITY["sgd nesterov, alpha"], PARITY["adam"]])
def test_regressor_takes_the_same_steps_as_mlpregressor(settings, outputs):
    # with 3 outputs this pins the n_outputs factor of sklearn's squared-error delta
    X, y = regression(outputs=outputs)
    kw = {**SMALL, "shuffle": False, **settings, "learning_rate_init": 0.01}
    ours, theirs = fit_quietly(FCNNRegressor(**kw), X, y), fit_quietly(MLPRegressor(**kw), X, y)
    assert_same_run(ours, theirs)
    assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9, atol=1e-12)


def test_binary_classifier_has_one_logistic_output_like_mlpclassifier():
    X, y = binary()
    clf = fit_quietly(FCNNClassifier(**SMALL), X, y)
    assert clf.out_activation_ == "logistic"
    assert [c.shape for c in clf.coefs_] == [(5, 7), (7, 1)]
    assert clf.network_.output == "sigmoid" and clf.network_.n_outputs == 1
    assert clf.predict_proba(X).shape == (120, 2)
    assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)


def test_full_batch_gd_equals_mlpclassifier_sgd_with_the_whole_batch():
    X, y = multiclass()
    kw = {**SMALL, "learning_rate_init": 0.2, "alpha": 1e-2}
    ours = fit_quietly(FCNNClassifier(solver="gd", batch_size=7, **kw), X, y)
    theirs = fit_quietly(MLPClassifier(solver="sgd", batch_size=len(X), **kw), X, y)
    assert_same_run(ours, theirs)
    assert len(ours.history_.step_loss) == ours.n_iter_  # one update per epoch


def test_sample_weights_match_mlpclassifier_in_full_batch():
    X, y = multiclass()
    w = np.random.default_rng(1).uniform(0.2, 3.0, len(X))
    kw = {**SMALL, "solver": "sgd", "alpha": 1e-2, "learning_rate_init": 0.1}
    ours = fit_quietly(FCNNClassifier(**kw), X, y, sample_weight=w)
    theirs = fit_quietly(MLPClassifier(**kw), X, y, sample_weight=w)
    assert_same_run(ours, theirs)


def test_early_stopping_matches_mlpclassifier_on_binary_targets():
    # sklearn stratifies binary targets; the same random_state gives the same split
    X, y = binary(200)
    kw = dict(
        hidden_layer_sizes=(7,), random_state=3, shuffle=False, early_stopping=True,
        validation_fraction=0.2, learning_rate_init=0.02, n_iter_no_change=3, max_iter=100,
    )  # fmt: skip
    ours, theirs = fit_quietly(FCNNClassifier(**kw), X, y), fit_quietly(MLPClassifier(**kw), X, y)
    assert_same_run(ours, theirs)
    assert ours.n_iter_ < 100  # stopped on the validation score
    assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    assert ours.best_validation_score_ == theirs.best_validation_score_
    assert ours.best_loss_ is None and theirs.best_loss_ is None


def test_regressor_early_stopping_matches_mlpregressor():
    X, y = regression(200)
    kw = dict(
        hidden_layer_sizes=(7,), random_state=1, shuffle=False, early_stopping=True,
        learning_rate_init=0.01, n_iter_no_change=3, max_iter=300, tol=1e-3,
    )  # fmt: skip
    ours, theirs = fit_quietly(FCNNRegressor(**kw), X, y), fit_quietly(MLPRegressor(**kw), X, y)
    assert_same_run(ours, theirs)
    assert ours.n_iter_ < 300
    assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-9)


def test_verbose_prints_what_mlpclassifier_prints(capsys):
    X, y = binary()
    kw = {**SMALL, "shuffle": False, "verbose": True, "max_iter": 500, "tol": 1e-2}
    FCNNClassifier(**kw).fit(X, y)
    ours = capsys.readouterr().out
    MLPClassifier(**kw).fit(X, y)
    assert ours == capsys.readouterr().out
    assert ours.startswith("Iteration 1, loss = ") and "Stopping." in ours


def test_warm_start_continues_like_mlpclassifier():
    X, y = multiclass()
    kw = {**SMALL, "shuffle": False, "warm_start": True, "solver": "sgd"}
    ours, theirs = FCNNClassifier(**kw), MLPClassifier(**kw)
    for _ in range(2):
        fit_quietly(ours, X, y)
        fit_quietly(theirs, X, y)
    assert_same_run(ours, theirs)
    # n_iter_ counts the last call only (as sklearn); t_ and loss_curve_ accumulate
    assert ours.n_iter_ == 25 and ours.t_ == 50 * len(X) and len(ours.loss_curve_) == 50
    assert ours.loss_curve_[-1] < ours.loss_curve_[24] < ours.loss_curve_[0]


def test_warm_start_may_switch_early_stopping_on_and_off():
    X, y = multiclass(200)
    clf = fit_quietly(FCNNClassifier(**SMALL, warm_start=True), X, y)
    fit_quietly(clf.set_params(early_stopping=True), X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ and len(clf.loss_curve_) == 25 + clf.n_iter_
    fit_quietly(clf.set_params(early_stopping=False), X, y)
    assert np.isfinite(clf.best_loss_)


def test_partial_fit_matches_mlpclassifier_partial_fit():
    X, y = multiclass()
    kw = {**SMALL, "shuffle": False}
    ours, theirs = FCNNClassifier(**kw), MLPClassifier(**kw)
    for _ in range(5):
        ours.partial_fit(X, y, classes=[0, 1, 2])
        theirs.partial_fit(X, y, classes=[0, 1, 2])
    assert_same_run(ours, theirs)


# -------------------------------------------------------------- partial_fit and warm start
@pytest.mark.parametrize("solver", ["sgd", "adam", "gd"])
@pytest.mark.parametrize("make", [FCNNClassifier, FCNNRegressor])
def test_n_partial_fits_are_bit_identical_to_fit_with_max_iter_n(make, solver):
    X, y = multiclass() if make is FCNNClassifier else regression()
    kw = dict(SMALL, max_iter=6, solver=solver, shuffle=False, batch_size=32, tol=0.0)
    full = fit_quietly(make(**kw), X, y)
    step = make(**kw)
    for _ in range(6):
        step.partial_fit(X, y, **({"classes": np.unique(y)} if make is FCNNClassifier else {}))
    assert_array_equal(step.network_.params, full.network_.params)
    assert step.loss_curve_ == full.loss_curve_ and step.t_ == full.t_
    assert step.n_iter_ == 1  # as sklearn: the epochs of the last call


def test_partial_fit_needs_classes_on_the_first_call_and_the_same_ones_after():
    X, y = multiclass()
    clf = FCNNClassifier(**SMALL)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:10], y[:10], classes=[0, 1, 2])  # a batch may lack classes
    with pytest.raises(ValueError, match="not the same as on last call"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, y + 1)


def test_partial_fit_refuses_early_stopping_and_balanced_class_weight():
    X, y = multiclass()
    with pytest.raises(ValueError, match="early_stopping"):
        FCNNClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="partial_fit"):
        FCNNClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


def test_warm_start_refuses_a_changed_architecture():
    X, y = multiclass()
    clf = fit_quietly(FCNNClassifier(**SMALL, warm_start=True), X, y)
    clf.set_params(hidden_layer_sizes=(9,))
    with pytest.raises(ValueError, match="warm_start=False"):
        clf.fit(X, y)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"activation": "tanh"}, r"activations \['relu'\], but activation='tanh'"),
        ({"loss": "mse"}, "loss 'cross_entropy', but loss='mse'"),
        ({"dtype": "float32"}, "dtype float64, but dtype='float32'"),
    ],
)
def test_warm_start_and_partial_fit_refuse_a_changed_activation_loss_or_dtype(change, match):
    # the fitted network cannot take them on, and dropping them silently would leave
    # get_params() saying one thing and network_ doing another
    X, y = multiclass()
    clf = fit_quietly(FCNNClassifier(**SMALL, warm_start=True), X, y)
    before = clf.network_.params.copy()
    clf.set_params(**change)
    with pytest.raises(ValueError, match=f"{match}; set warm_start=False"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match=f"{match}; call fit to start over"):
        clf.partial_fit(X, y)
    assert np.array_equal(clf.network_.params, before)
    clf.set_params(warm_start=False)
    fit_quietly(clf, X, y)
    assert clf.network_.config()["dtype"] == change.get("dtype", "float64")


@pytest.mark.parametrize(
    ("class_weight", "match"),
    [
        (
            "foo",
            "The 'class_weight' parameter of FCNNClassifier must be an instance of 'dict', "
            "a str among {'balanced'} or None. Got 'foo' instead.",
        ),
        ({0: -1.0, 1: 1.0}, r"class_weight\[0\] must be a finite number >= 0, got -1.0"),
        ({0: float("nan")}, r"class_weight\[0\] must be a finite number >= 0"),
    ],
)
def test_bad_class_weight_is_named_as_such(class_weight, match):
    X, y = multiclass()
    with pytest.raises(ValueError, match=re.escape(match) if "Got" in match else match):
        FCNNClassifier(**SMALL, class_weight=class_weight).fit(X, y)


def test_divergence_advice_names_the_estimators_own_parameters():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3)) * 100
    reg = FCNNRegressor(solver="sgd", learning_rate_init=10, max_iter=5, random_state=0)
    with pytest.raises(fcnn.DivergenceError, match="Lower learning_rate_init") as err:
        reg.fit(X, X[:, 0] * 1e6)
    assert "clip" not in str(err.value)


# ------------------------------------------------------------------------------ stopping
def test_convergence_warning_only_when_max_iter_ends_the_run():
    X, y = multiclass()
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(3\\)"):
        FCNNClassifier(**{**SMALL, "max_iter": 3}).fit(X, y)
    kw = {**SMALL, "max_iter": 500, "tol": 10.0}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = FCNNClassifier(**kw).fit(X, y)
    # the loss never improves by tol=10, so the count reaches n_iter_no_change + 1 = 11 at
    # epoch 12 (the first epoch improves on best_loss_ = inf)
    assert clf.n_iter_ == 12 == MLPClassifier(**kw).fit(X, y).n_iter_


def test_early_stopping_restores_the_weights_of_the_best_validation_score():
    X, y = multiclass(300)
    clf = fit_quietly(
        FCNNClassifier(
            hidden_layer_sizes=(20,), early_stopping=True, learning_rate_init=0.05,
            n_iter_no_change=5, max_iter=200, random_state=0, record_params=True,
        ),
        X, y,
    )  # fmt: skip
    assert clf.n_iter_ < 200
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # the restored weights are those at the end of the first epoch with the best score:
    # 270 training samples in batches of 200 take 2 updates per epoch
    best = int(np.argmax(clf.validation_scores_))
    Ws, bs = clf.param_trajectories_
    assert_array_equal(Ws[0][(best + 1) * 2], clf.coefs_[0].T)
    assert_array_equal(bs[-1][(best + 1) * 2], clf.intercepts_[-1])
    assert not np.array_equal(Ws[0][-1], clf.coefs_[0].T)


def test_early_stopping_split_is_stratified_for_single_label_targets():
    from fcnn.sklearn.training import split, stratify_labels

    y = np.repeat([0, 1, 2, 3], [150, 90, 40, 20])
    X = np.arange(300.0).reshape(-1, 1)
    strat = stratify_labels(y, 0.1)
    (X_tr, y_tr), (X_val, y_val) = split([X, y], 0.1, strat, np.random.RandomState(0))
    assert_array_equal(np.bincount(y_val), [15, 9, 4, 2])  # 10 % of every class
    assert len(X_tr) == 270 and set(X_tr[:, 0]).isdisjoint(X_val[:, 0])
    # no stratification where it is impossible: multi-label targets, a class of one sample
    assert stratify_labels(np.eye(3)[y % 3], 0.1) is None
    assert stratify_labels(np.r_[y, 9], 0.1) is None


# ----------------------------------------------------------------------- fcnn's extras
@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(solver="newton"), "solver"),
        (dict(activation="softmaxx"), "unknown activation"),
        (dict(activation=["relu"], hidden_layer_sizes=(3, 3)), "one per entry"),
        (dict(hidden_layer_sizes=(3, 0)), "hidden_layer_sizes"),
        (dict(loss="hinge"), "loss"),
        (dict(momentum=1.5), "momentum"),
        (dict(dtype="float16"), "dtype"),
        (dict(batch_size=0), "batch_size"),
    ],
)
def test_bad_parameters_raise_value_error_at_fit(bad, match):
    X, y = multiclass()
    clf = FCNNClassifier(**bad)  # no check in __init__, as scikit-learn requires
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "mse+ce"])
@pytest.mark.parametrize("data", [multiclass, binary, multilabel])
def test_every_loss_trains_every_target_kind(loss, data):
    X, y = data()
    clf = fit_quietly(FCNNClassifier(hidden_layer_sizes=(16,), loss=loss, max_iter=150,
                                     learning_rate_init=0.02, random_state=0), X, y)  # fmt: skip
    assert clf.network_.loss_name == loss
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.score(X, y) > 0.8


def test_sklearn_activation_names_map_to_fcnn_and_per_layer_lists_work():
    X, y = multiclass()
    clf = fit_quietly(FCNNClassifier(hidden_layer_sizes=(4, 3), activation="logistic"), X, y)
    assert clf.network_.activations == ("sigmoid", "sigmoid")
    clf = fit_quietly(FCNNClassifier(hidden_layer_sizes=(4, 3), activation=["tanh", "softplus"]),
                      X, y)  # fmt: skip
    assert clf.network_.activations == ("tanh", "softplus")


def test_custom_activation_trains_and_survives_pickle(custom_activation):
    X, y = multiclass()
    clf = fit_quietly(FCNNClassifier(activation=custom_activation, **SMALL), X, y)
    assert clf.network_.activations == (custom_activation,)
    back = pickle.loads(pickle.dumps(clf))
    assert_array_equal(back.predict_proba(X), clf.predict_proba(X))


def test_class_weight_equals_the_matching_sample_weight():
    X, y = multiclass()
    kw = {**SMALL, "shuffle": False}
    for cw in ("balanced", {0: 1.0, 1: 3.0, 2: 0.5}):
        a = fit_quietly(FCNNClassifier(class_weight=cw, **kw), X, y)
        b = fit_quietly(FCNNClassifier(**kw), X, y, sample_weight=compute_sample_weight(cw, y))
        assert_array_equal(a.network_.params, b.network_.params)


def test_sample_weights_count_as_repetitions_as_in_mlpclassifier():
    X, y = multiclass(60)
    w = np.random.default_rng(2).integers(0, 4, 60)
    kw = {**SMALL, "shuffle": False, "alpha": 1e-2}
    a = fit_quietly(FCNNClassifier(**kw), X, y, sample_weight=w)
    # full batch: integer weights are repeated samples, zero weights are removed ones
    b = fit_quietly(FCNNClassifier(**kw), np.repeat(X, w, 0), np.repeat(y, w))
    assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-9)
    # so, as in sklearn's alpha/(2 Σw), scaling every weight by c scales alpha by 1/c
    c = fit_quietly(FCNNClassifier(**{**kw, "alpha": 1e-2 / 3.5}), X, y, sample_weight=w)
    d = fit_quietly(FCNNClassifier(**kw), X, y, sample_weight=3.5 * w)
    assert_allclose(c.network_.params, d.network_.params, rtol=1e-10, atol=1e-13)


def test_record_params_gives_the_trajectory_of_every_update():
    X, y = multiclass()
    clf = fit_quietly(FCNNClassifier(**{**SMALL, "batch_size": 40, "record_params": True}), X, y)
    Ws, bs = clf.param_trajectories_
    assert Ws[0].shape == (1 + 25 * 3, 7, 5) and bs[1].shape == (1 + 25 * 3, 3)
    assert_array_equal(Ws[1][-1], clf.coefs_[1].T)
    assert_array_equal(bs[0][-1], clf.intercepts_[0])
    # consecutive snapshots differ by one update each
    assert all(not np.array_equal(Ws[0][i], Ws[0][i + 1]) for i in range(len(Ws[0]) - 1))
    with pytest.raises(AttributeError, match="record_params"):
        fit_quietly(FCNNClassifier(**SMALL), X, y).param_trajectories_  # noqa: B018


def test_float32_trains_in_float32():
    X, y = multiclass()
    clf = fit_quietly(FCNNClassifier(dtype="float32", **SMALL), X, y)
    assert clf.network_.dtype == np.float32 and clf.coefs_[0].dtype == np.float32
    ref = fit_quietly(FCNNClassifier(**SMALL), X, y)
    assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-4)


def test_coefs_are_views_into_the_network():
    X, y = multiclass()
    clf = fit_quietly(FCNNClassifier(**SMALL), X, y)
    clf.coefs_[0][...] = 0
    clf.intercepts_[0][...] = 0
    assert not clf.network_.params[: 7 * 6].any()


# ------------------------------------------------------------- the scikit-learn ecosystem
def test_pipeline_grid_search_and_cross_val_score_work():
    X, y = multiclass(150)
    clf = FCNNClassifier(max_iter=100, learning_rate_init=0.01, random_state=0)
    pipe = make_pipeline(StandardScaler(), clf)
    scores = fit_quietly_cv(pipe, X, y)
    assert scores.shape == (3,) and scores.mean() > 0.8
    grid = GridSearchCV(pipe, {"fcnnclassifier__alpha": [1e-4, 1e-2]}, cv=3)
    fit_quietly(grid, X, y)
    assert grid.best_params_["fcnnclassifier__alpha"] in (1e-4, 1e-2)
    assert grid.score(X, y) > 0.8
    reg = make_pipeline(StandardScaler(), FCNNRegressor(learning_rate_init=0.01, random_state=0))
    assert fit_quietly_cv(reg, *regression(150)).mean() > 0.5


def fit_quietly_cv(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cross_val_score(est, X, y, cv=3)


@pytest.mark.parametrize("make, data", [(FCNNClassifier, binary), (FCNNRegressor, regression)])
def test_clone_and_pickle_round_trip(make, data):
    X, y = data()
    est = fit_quietly(make(**SMALL), X, y)
    twin = clone(est)
    assert twin.get_params() == est.get_params() and not hasattr(twin, "network_")
    back = pickle.loads(pickle.dumps(est))
    assert_array_equal(back.predict(X), est.predict(X))
    # the unpickled network trains on: its weight views still see its parameters
    assert all(np.shares_memory(c, back.network_.params) for c in back.coefs_)
    before = back.predict(X) if make is FCNNRegressor else back.predict_proba(X)
    back.partial_fit(X, y)
    after = back.predict(X) if make is FCNNRegressor else back.predict_proba(X)
    assert not np.array_equal(before, after)


def test_save_and_load_round_trip_keeps_predictions_and_string_classes(tmp_path):
    X, y = binary()
    clf = fit_quietly(FCNNClassifier(**SMALL), X, y)
    path = tmp_path / "clf.safetensors"
    clf.save(path)
    back = FCNNClassifier.load(path)
    assert_array_equal(back.classes_, ["no", "yes"])
    assert_array_equal(back.predict(X), clf.predict(X))
    assert_allclose(back.predict_proba(X), clf.predict_proba(X))
    assert fcnn.load(path).classes == ["no", "yes"]
    back.partial_fit(X, y)  # a loaded estimator trains on
    with pytest.raises(ValueError, match="FCNNClassifier.load"):
        FCNNRegressor.load(path)


def test_save_and_load_regressor_and_multilabel(tmp_path):
    X, Y = regression(outputs=2)
    reg = fit_quietly(FCNNRegressor(**SMALL), X, Y)
    reg.save(tmp_path / "reg.safetensors")
    assert_array_equal(FCNNRegressor.load(tmp_path / "reg.safetensors").predict(X), reg.predict(X))
    X, Y = multilabel()
    clf = fit_quietly(FCNNClassifier(**SMALL), X, Y)
    clf.save(tmp_path / "ml.safetensors")
    back = FCNNClassifier.load(tmp_path / "ml.safetensors")
    assert_array_equal(back.predict(X), clf.predict(X))
    with pytest.raises(ValueError, match="FCNNRegressor.load"):
        FCNNClassifier.load(tmp_path / "reg.safetensors")


# --------------------------------------------------------------------- accuracy parity
@pytest.mark.slow
def test_digits_accuracy_is_within_one_point_of_mlpclassifier():
    """Same architecture, solver, learning rate, batch size, epochs and split; the mean test
    accuracy over three seeds (each library shuffles with its own generator)."""
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)
    kw = dict(hidden_layer_sizes=(64,), solver="adam", learning_rate_init=1e-3, batch_size=32,
              max_iter=30, tol=0.0, n_iter_no_change=1000)  # fmt: skip
    acc = {}
    for make in (FCNNClassifier, MLPClassifier):
        scores = [
            fit_quietly(make(random_state=s, **kw), Xtr, ytr).score(Xte, yte) for s in range(3)
        ]
        acc[make.__name__] = float(np.mean(scores))
    print(f"digits test accuracy: {acc}")
    assert acc["FCNNClassifier"] >= acc["MLPClassifier"] - 0.01


def test_a_pickle_holding_the_network_as_a_dict_still_loads():
    # pickles made before Network pickled itself held network_ as its state dict
    X, y = binary()
    clf = fit_quietly(FCNNClassifier(**SMALL), X, y)
    state = clf.__getstate__() | {"network_": clf.network_.__getstate__()}
    old = FCNNClassifier.__new__(FCNNClassifier)
    old.__setstate__(state)
    assert_allclose(old.predict_proba(X), clf.predict_proba(X))
    assert all(np.shares_memory(c, old.network_.params) for c in old.coefs_)
