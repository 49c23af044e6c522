"""scikit-learn estimators (:mod:`~fcnn.sklearn.estimators`): :class:`FCNNClassifier` and
:class:`FCNNRegressor`, with their shared base (:mod:`~fcnn.sklearn.base`), parameter checks
(:mod:`~fcnn.sklearn.params`) and training loop glue (:mod:`~fcnn.sklearn.training`).

This package alone imports scikit-learn; ``import fcnn`` does not import it.
"""

from .estimators import FCNNClassifier, FCNNRegressor

__all__ = ["FCNNClassifier", "FCNNRegressor"]
