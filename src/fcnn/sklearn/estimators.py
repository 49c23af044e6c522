"""scikit-learn estimators: :class:`FCNNClassifier` and :class:`FCNNRegressor`.

They take ``MLPClassifier``/``MLPRegressor``'s parameter names and defaults, start from the same
weights for the same ``random_state``, train an :class:`fcnn.Network` with :class:`fcnn.Trainer`
and keep scikit-learn's fitted attributes, so that existing code runs unchanged. They add what
the MLP estimators lack: the losses ``mse`` and ``mse+ce``, per-layer and custom activations,
``class_weight``, full-batch ``solver='gd'``, the validation loss per epoch and parameter
trajectories (``record_params``). ``docs/sklearn.md`` lists every difference.

This module alone imports scikit-learn; ``import fcnn`` does not import it.
"""

from __future__ import annotations

try:
    import sklearn
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError("fcnn.sklearn needs scikit-learn: pip install 'fcnn[sklearn]'") from err
if tuple(map(int, sklearn.__version__.split(".")[:2])) < (1, 6):  # pragma: no cover
    raise ImportError(
        f"fcnn.sklearn needs scikit-learn >= 1.6 (validate_data, __sklearn_tags__), found "
        f"{sklearn.__version__}: pip install -U 'scikit-learn>=1.6'"
    )

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels

from .. import losses
from .._checks import check_number
from ..network import Network
from .base import _FCNNBase
from .params import parameter_constraints, store_params
from .training import stratify_labels

Array = np.ndarray
__all__ = ["FCNNClassifier", "FCNNRegressor"]


_SHARED_DOC = """
    Parameters
    ----------
    hidden_layer_sizes, solver, alpha, batch_size, learning_rate, learning_rate_init, power_t,
    max_iter, shuffle, random_state, tol, verbose, warm_start, momentum, nesterovs_momentum,
    early_stopping, validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change, max_fun :
        As in ``{mlp}``: same names, defaults and meaning. ``solver='lbfgs'`` runs
        ``scipy.optimize.minimize`` (L-BFGS-B) as scikit-learn does, ``max_iter`` counting its
        iterations and ``max_fun`` its loss evaluations. ``solver`` also takes ``'gd'``
        (full-batch gradient descent, with sgd's momentum and learning rate).
    activation : str or list of str, default='relu'
        ``'identity'``, ``'logistic'``, ``'tanh'``, ``'relu'``, fcnn's ``'sigmoid'``,
        ``'leaky_relu'``, ``'softplus'`` or a name registered with
        ``fcnn.register_activation``; or a list with one name per hidden layer.
    loss : str, default={loss!r}
        {loss_doc}{extra}
    record_params : bool, default=False
        Keep the parameters after every update, for ``param_trajectories_``.
    dtype : {{'float64', 'float32'}} or None, default=None
        Precision of the parameters, of training and of the outputs. None follows the data, as
        scikit-learn's MLP does: float32 ``X`` gives float32 parameters and outputs, any other
        type float64.

    Attributes
    ----------
    coefs_, intercepts_, loss_, loss_curve_, best_loss_, validation_scores_,
    best_validation_score_, n_iter_, t_, n_features_in_, feature_names_in_, n_layers_,
    n_outputs_, out_activation_ :
        As in ``{mlp}``. ``coefs_[k]: (n_k, n_{{k+1}})`` and ``intercepts_[k]`` are views into
        ``network_``. ``n_iter_`` counts the epochs of the last call, as in scikit-learn;
        ``t_`` and ``loss_curve_`` accumulate over ``warm_start`` and ``partial_fit`` calls.
        With ``solver='lbfgs'``, ``n_iter_`` counts its iterations and ``loss_curve_`` holds
        the loss after each (scikit-learn keeps no curve for lbfgs).
    validation_loss_curve_ : list of float or None
        The loss (with the L2 term) on the validation set after every epoch, when
        ``early_stopping=True``; sample weights do not enter it.
    param_trajectories_ : tuple (Ws, bs)
        Parameters after every update (``record_params=True``), see ``fcnn.History.trajectory``.
    network_ : fcnn.Network
        The trained network.
    history_ : fcnn.History
        fcnn's record of the last call to ``fit`` or ``partial_fit``.
"""


class FCNNClassifier(ClassifierMixin, _FCNNBase):
    """Multi-layer perceptron classifier trained by fcnn; a drop-in for ``MLPClassifier``.

    Binary targets get one logistic output, multi-class targets a softmax, and multi-label
    indicator matrices one logistic output per label, as in scikit-learn.
    """

    _losses = {
        "cross_entropy": "cross_entropy",
        "log_loss": "cross_entropy",
        "mse": "mse",
        "mse+ce": "mse+ce",
    }
    _score_function = staticmethod(accuracy_score)
    _parameter_constraints = parameter_constraints(_losses)

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str | list[str] = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        loss: str = "cross_entropy",
        class_weight: Any = None,
        record_params: bool = False,
        dtype: str | None = None,
    ) -> None:
        store_params(self, locals())

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None):
        """One epoch over ``(X, y)``. ``classes`` (all labels) is needed on the first call."""
        if not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            multilabel = type_of_target(y).startswith("multilabel")
            self._label_binarizer = LabelBinarizer().fit(y if multilabel else classes)
            self.classes_ = self._label_binarizer.classes_
        elif classes is not None and not np.array_equal(self.classes_, unique_labels(classes)):
            raise ValueError(
                f"`classes={classes!r}` is not the same as on last call to partial_fit, was: "
                f"{self.classes_!r}"
            )
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: Any) -> Array:
        """Class labels: ``(n_samples,)``, or an indicator matrix for multi-label targets."""
        return self._decode(self._forward(X))

    def predict_proba(self, X: Any) -> Array:
        """Probabilities ``(n_samples, n_classes)``, columns in the order of ``classes_``."""
        P = self._forward(X)
        return np.column_stack([1 - P[:, 0], P[:, 0]]) if P.shape[1] == 1 else P

    def predict_log_proba(self, X: Any) -> Array:
        """``log(predict_proba(X))``."""
        return np.log(self.predict_proba(X))

    def _targets(self, y: Array, incremental: bool) -> Array:
        """One-hot (or one 0/1 column, or the indicator matrix) of ``y`` in ``classes_``."""
        check_classification_targets(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and set(classes) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has {classes}"
                )
            if len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        return self._label_binarizer.transform(y)

    def _output_function(self) -> str:
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "sigmoid"

    def _adopt(self, net: Network) -> None:
        super()._adopt(net)
        net.classes = self.classes_.tolist()

    def _decode(self, P: Array) -> Array:
        return self._label_binarizer.inverse_transform(P[:, 0] if P.shape[1] == 1 else P)

    def _class_weight(self, y: Array, incremental: bool) -> Array | None:
        cw = self.class_weight
        if cw is None:
            return None
        if not (isinstance(cw, dict) or (isinstance(cw, str) and cw == "balanced")):
            raise ValueError(
                f"class_weight must be 'balanced', a dict {{class: weight}} or None, got {cw!r}"
            )
        if isinstance(cw, dict):
            for label, weight in cw.items():
                check_number(f"class_weight[{label!r}]", weight, 0)
        if incremental and isinstance(self.class_weight, str):
            raise ValueError(
                f"class_weight={self.class_weight!r} is not supported by partial_fit: one batch "
                "does not show the class frequencies; pass a dict of weights computed on all data"
            )
        return compute_sample_weight(self.class_weight, y)

    def _stratify(self, y: Array) -> Array | None:
        # as scikit-learn: stratified where there is one output unit (binary targets)
        if self.network_.n_outputs != 1:
            return None
        return stratify_labels(y, self.validation_fraction)

    def _from_file(self, net: Network, path: Any) -> None:
        if net.output in losses.REGRESSION_OUTPUTS:
            raise ValueError(f"{path} holds a regression network; load it with FCNNRegressor.load")
        multilabel = net.output == "sigmoid" and net.n_outputs > 1
        n_classes = net.n_outputs if net.output == "softmax" or multilabel else 2
        classes = list(range(n_classes)) if net.classes is None else net.classes
        if len(classes) != n_classes and not (n_classes == 2 and len(classes) == 1):
            raise ValueError(f"{path}: {len(classes)} classes for {net.n_outputs} output units")
        labels = np.eye(net.n_outputs, dtype=int) if multilabel else np.asarray(classes)
        self._label_binarizer = LabelBinarizer().fit(labels)
        self.classes_ = self._label_binarizer.classes_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class FCNNRegressor(RegressorMixin, _FCNNBase):
    """Multi-layer perceptron regressor trained by fcnn; a drop-in for ``MLPRegressor``.

    One output unit per target column: the identity, or with ``loss='poisson'`` the
    exponential (a log link), as in scikit-learn.
    """

    _losses = {"mse": "mse", "squared_error": "mse", "poisson": "poisson"}
    _y_numeric = True
    _score_function = staticmethod(r2_score)
    _parameter_constraints = parameter_constraints(_losses)

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str | list[str] = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        loss: str = "squared_error",
        record_params: bool = False,
        dtype: str | None = None,
    ) -> None:
        store_params(self, locals())

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None):
        """One epoch over ``(X, y)``."""
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: Any) -> Array:
        """Predictions: ``(n_samples,)``, or ``(n_samples, n_outputs_)`` for several targets."""
        return self._decode(self._forward(X))

    def _targets(self, y: Array, incremental: bool) -> Array:
        return y.reshape(len(y), -1)

    def _output_function(self) -> str:
        return "exp" if self._losses[self.loss] == "poisson" else "identity"

    def _decode(self, P: Array) -> Array:
        return P[:, 0] if P.shape[1] == 1 else P

    def _delta_scale(self) -> int:
        """sklearn's output delta for the squared error is ŷ - y (``_backprop``), not divided by
        the number of outputs as the gradient of its per-output mean would be; fcnn's MSE is
        that mean, so every sample's loss is weighted by ``n_outputs_`` to take sklearn's steps.
        The Poisson loss is a sum over the outputs in both libraries."""
        return 1 if self.network_.loss_name == "poisson" else self.network_.n_outputs

    def _from_file(self, net: Network, path: Any) -> None:
        if net.output not in losses.REGRESSION_OUTPUTS:
            raise ValueError(f"{path} holds a classifier; load it with FCNNClassifier.load")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = self.loss == "poisson"  # as PoissonRegressor
        return tags


FCNNClassifier.__doc__ += _SHARED_DOC.format(
    mlp="MLPClassifier",
    loss="cross_entropy",
    loss_doc="'cross_entropy' ('log_loss' is accepted too), 'mse' or 'mse+ce'.",
    extra="""
    class_weight : None, 'balanced' or dict, default=None
        Class weights, multiplied into ``sample_weight`` (as
        ``sklearn.utils.class_weight.compute_sample_weight``); ``partial_fit`` takes a dict.""",
)
FCNNRegressor.__doc__ += _SHARED_DOC.format(
    mlp="MLPRegressor",
    loss="mse",
    loss_doc="'mse', half the mean squared error ('squared_error' is accepted too), or "
    "'poisson', half the Poisson deviance of an exponential output (needs ``y >= 0``).",
    extra="",
)
