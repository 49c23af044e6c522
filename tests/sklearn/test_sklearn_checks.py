"""scikit-learn's own estimator checks (API, input validation, sample weights, multi-label and
multi-output targets, pickling, ...) on both estimators, with their default parameters.

No check is expected to fail. The skips that remain come from scikit-learn itself: pandas
checks when pandas is not installed, array-API checks unless ``SCIPY_ARRAY_API=1``, and
``decision_function`` checks (the estimators, like ``MLPClassifier``, have none).
"""

import warnings

import pytest

pytest.importorskip("sklearn")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from fcnn.sklearn import FCNNClassifier, FCNNRegressor  # noqa: E402


@parametrize_with_checks([FCNNClassifier(), FCNNRegressor()])
def test_sklearn_estimator_checks_pass(estimator, check):
    with warnings.catch_warnings():
        # the checks fit tiny data sets for max_iter=200 epochs; not converging is expected
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
