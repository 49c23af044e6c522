"""scikit-learn's own estimator checks (API, input validation, sparse input, sample weights,
multi-label and multi-output targets, pickling, ...) on both estimators, with their default
parameters, with ``solver='lbfgs'`` and with ``loss='poisson'``.

No check is expected to fail, but for two that Poisson regression cannot pass and one that
an lbfgs classifier cannot (named in ``_expected_failures``; scikit-learn's own MLP fails
them too, or would refuse the check's targets). The skips that remain come from
scikit-learn itself: pandas checks when pandas is not installed, array-API checks unless
``SCIPY_ARRAY_API=1``, and ``decision_function`` checks (the estimators, like
``MLPClassifier``, have none).

``pytest -m "not slow"`` runs the checks of the two estimators with default parameters, less the
two sparse-format checks (each refits on ten sparse containers); the lbfgs and Poisson variants
and those two are marked ``slow``: the full run (CI) has every check of every estimator.
"""

import warnings

import pytest

pytest.importorskip("sklearn")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from fcnn.sklearn import FCNNClassifier, FCNNRegressor  # noqa: E402


def _expected_failures(estimator) -> dict[str, str]:
    """Checks that Poisson regression, and a multi-label classifier trained by lbfgs, cannot
    pass (none for the other estimators)."""
    if type(estimator).__name__ == "FCNNClassifier" and estimator.solver == "lbfgs":
        return {
            "check_classifiers_multilabel_output_format_predict_proba": "lbfgs fits the "
            "check's tiny data until some probabilities round to exactly 0.0, which the check "
            "refuses; MLPClassifier(solver='lbfgs') fails this check too",
        }
    if getattr(estimator, "loss", None) != "poisson":
        return {}
    return {
        "check_regressors_train": "a Poisson fit of the check's linear target scores R^2 < 0.5; "
        "MLPRegressor(loss='poisson') fails this check too",
        "check_regressor_multioutput": "its targets are negative, which loss='poisson' refuses",
    }


_CHECKS = parametrize_with_checks(
    [
        FCNNClassifier(),
        FCNNRegressor(),
        FCNNClassifier(solver="lbfgs"),
        FCNNRegressor(solver="lbfgs"),
        FCNNRegressor(loss="poisson"),
    ],
    expected_failed_checks=_expected_failures,
).mark
SPARSE_REFITS = ("check_estimator_sparse_matrix", "check_estimator_sparse_array")


def _slow_unless_inner_loop(case):
    """``case`` (an (estimator, check) pair or a ``pytest.param`` of one), marked ``slow``
    unless its estimator has default parameters and its check is not a sparse-format refit."""
    if hasattr(case, "marks"):  # a pytest.param: an expected failure
        values, marks, id_ = case.values, case.marks, case.id
    else:
        values, marks, id_ = case, (), None
    estimator, check = values
    default = estimator.get_params() == type(estimator)().get_params()
    if default and getattr(check, "func", check).__name__ not in SPARSE_REFITS:
        return case
    return pytest.param(*values, marks=(*marks, pytest.mark.slow), id=id_)


@pytest.mark.parametrize(
    _CHECKS.args[0], [_slow_unless_inner_loop(case) for case in _CHECKS.args[1]], **_CHECKS.kwargs
)
def test_sklearn_estimator_checks_pass(estimator, check):
    with warnings.catch_warnings():
        # the checks fit tiny data sets for max_iter=200 epochs; not converging is expected
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
