"""The base of :class:`fcnn.sklearn.FCNNClassifier` and :class:`fcnn.sklearn.FCNNRegressor`:
``fit`` and ``partial_fit`` on an fcnn :class:`~fcnn.Network`, the fitted views (``coefs_``,
``intercepts_``, ``param_trajectories_``), prediction, model files and pickling.

Private to ``fcnn.sklearn``, which checks the scikit-learn version before importing this.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import storage as fcnn_io
from ..history import History
from ..network import Network
from .lbfgs import fit_lbfgs
from .params import (
    STOCHASTIC_SOLVERS,
    TO_SKLEARN_OUTPUT,
    assign_layers,
    check_params,
    check_sample_weight,
    glorot_factor,
    hidden_activations,
    hidden_sizes,
    sklearn_activation,
    sklearn_init,
)
from .training import make_optimizer, run_epochs, split

Array = np.ndarray


class _FCNNBase(BaseEstimator):
    """The fit loop shared by both estimators; subclasses handle the targets through
    ``_targets``, ``_output_function``, ``_decode`` and ``_from_file``."""

    _losses: dict[str, str] = {}
    _y_numeric = False

    # ------------------------------------------------------------------ fitted views
    @property
    def coefs_(self) -> list[Array]:
        """Weights in scikit-learn's orientation, ``coefs_[k]: (n_k, n_{k+1})``, the transpose
        of ``network_.weights[k]``; views, so writing into them changes the model. Assigning a
        whole list copies it into the network (shapes and dtypes checked)."""
        return [W.T for W in self.network_.weights]

    @coefs_.setter
    def coefs_(self, value: Any) -> None:
        check_is_fitted(self)
        assign_layers(self.network_.weights, value, "coefs_", transpose=True)

    @property
    def intercepts_(self) -> list[Array]:
        """Biases, ``intercepts_[k]: (n_{k+1},)``; views into ``network_.params``. Assigning a
        whole list copies it into the network (shapes and dtypes checked)."""
        return list(self.network_.biases)

    @intercepts_.setter
    def intercepts_(self, value: Any) -> None:
        check_is_fitted(self)
        assign_layers(self.network_.biases, value, "intercepts_", transpose=False)

    @property
    def param_trajectories_(self) -> tuple[list[Array], list[Array]]:
        """``(Ws, bs)``: the parameters after every update since initialisation, initial ones
        first (needs ``record_params=True``). fcnn's orientation, as
        :meth:`fcnn.History.trajectory`: ``Ws[k]: (n_snapshots, n_{k+1}, n_k)``,
        ``bs[k]: (n_snapshots, n_{k+1})``."""
        if not getattr(self, "_snapshots", None):
            raise AttributeError("param_trajectories_ needs fitting with record_params=True")
        return History(params=self._snapshots).trajectory(self.network_)

    # --------------------------------------------------------------------------- fit
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _FCNNBase:
        """Train on ``X: (n_samples, n_features)`` and ``y`` for up to ``max_iter`` epochs.

        ``sample_weight: (n_samples,)`` weights each sample's loss. Returns ``self``.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _fit(self, X: Any, y: Any, sample_weight: Any, incremental: bool) -> _FCNNBase:
        """``BaseMultilayerPerceptron._fit`` on an fcnn network: a Trainer for the stochastic
        solvers, scipy's L-BFGS-B for lbfgs."""
        self._validate_params()  # scikit-learn's checks and messages (_parameter_constraints)
        check_params(self.get_params(), self._losses)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        hidden = hidden_sizes(self.hidden_layer_sizes)
        acts = hidden_activations(self.activation, len(hidden))
        first = not hasattr(self, "network_") or not (self.warm_start or incremental)
        X, y, Y = self._validate_xy(X, y, incremental, reset=first)
        w = check_sample_weight(sample_weight, X.shape[0])
        if (cw := self._class_weight(y, incremental)) is not None:
            w = cw if w is None else w * cw
        # random_state=None draws fresh entropy instead of using the global np.random
        rs = self.random_state
        rs = np.random.RandomState() if rs is None else check_random_state(rs)
        sizes = (X.shape[1], *hidden, Y.shape[1])
        if first:
            net = Network(
                sizes, acts, self._output_function(), self._losses[self.loss], dtype=X.dtype
            )
            sklearn_init(net, rs, glorot_factor(self.activation))
            self._adopt(net)
        elif changed := self._changed(sizes, acts):
            restart = "call fit to start over" if incremental else "set warm_start=False"
            raise ValueError(
                f"cannot continue training: the fitted network has {changed[0]}, but "
                f"{changed[1]}; {restart} to start over with them, or set them back"
            )
        elif self.early_stopping and self.validation_scores_ is None:  # switched on: warm start
            self.validation_scores_, self.validation_loss_curve_ = [], []
            self.best_validation_score_ = -np.inf
        elif not self.early_stopping and self.best_loss_ is None:
            self.best_loss_ = np.inf
        X = self.network_.standardize(X)
        if self.solver == "lbfgs":  # full batch; early_stopping does not apply, as in sklearn
            self.history_ = fit_lbfgs(self, X, Y, w)
            return self
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer, self._rate = make_optimizer(self)
        val = None
        if self.early_stopping:
            stratify = self._stratify(y)
            (X, y, Y, w), val = split([X, y, Y, w], self.validation_fraction, stratify, rs)
        self.history_ = run_epochs(self, X, Y, w, val, rs, incremental)
        return self

    def _changed(self, sizes: tuple[int, ...], acts: list[str]) -> tuple[str, str] | None:
        """What the fitted network has and what the data and parameters now ask for, where
        the two differ in layer sizes, activations, loss or dtype; else None."""
        net = self.network_
        loss = self._losses[self.loss]
        if net.sizes != sizes:
            return f"layer sizes {net.sizes}", f"the data and hidden_layer_sizes ask for {sizes}"
        if list(net.activations) != list(acts):
            return f"activations {list(net.activations)}", f"activation={self.activation!r}"
        if net.loss_name != loss:
            return f"loss {net.loss_name!r}", f"loss={self.loss!r}"
        if self.dtype is not None and net.dtype != np.dtype(self.dtype):
            return f"dtype {net.dtype}", f"dtype={self.dtype!r}"
        return None

    def _validate_xy(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple:
        """Validated ``X: (n, n_features)``, ``y`` (1-D for a single target) and the network's
        targets ``Y: (n, n_outputs)``, in the parameters' dtype: on a fresh start ``dtype``, or
        with ``dtype=None`` the data's (float32 stays float32, other types become float64, as
        in scikit-learn's MLP)."""
        dtype = self.network_.dtype if not reset else self._dtype_for_data()
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=("csr", "csc"),
            multi_output=True,
            y_numeric=self._y_numeric,
            dtype=dtype,
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y, self._targets(y, incremental).astype(X.dtype)

    def _dtype_for_data(self) -> Any:
        """``dtype`` for ``validate_data``: the one given, or (None) the data's float type."""
        return (np.float64, np.float32) if self.dtype is None else np.dtype(self.dtype)

    def _adopt(self, net: Network) -> None:
        """Make ``net`` the fitted network and start the training records afresh."""
        self.network_ = net
        self.n_outputs_ = net.n_outputs
        self.n_layers_ = len(net.sizes)
        self.out_activation_ = TO_SKLEARN_OUTPUT[net.output]
        self.n_iter_ = self.t_ = 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        self._best_params = net.params.copy()
        self._snapshots: list[Array] = []
        es = self.early_stopping and self.solver != "lbfgs"
        self.validation_scores_ = [] if es else None
        self.validation_loss_curve_ = [] if es else None
        self.best_validation_score_ = -np.inf if es else None
        self.best_loss_ = None if es else np.inf

    def _record(self, params: list[Array]) -> None:
        if self._snapshots and np.array_equal(self._snapshots[-1], params[0]):
            params = params[1:]  # the run went on from the last recorded parameters
        self._snapshots.extend(params)

    def _class_weight(self, y: Array, incremental: bool) -> Array | None:
        return None

    def _check_solver(self) -> bool:
        """``partial_fit`` exists for the stochastic solvers only, as in scikit-learn."""
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. {self.solver} is "
                "not stochastic."
            )
        return True

    def _stratify(self, y: Array) -> Array | None:
        return None

    def _delta_scale(self) -> int:
        return 1

    # ------------------------------------------------------------------- prediction
    def _output(self, X: Array) -> Array:
        """The network's output ``ŷ: (n_samples, n_outputs_)`` for validated ``X``."""
        return self.network_.forward(self.network_.standardize(X))

    def _forward(self, X: Any) -> Array:
        """Outputs for raw ``X``, computed in the parameters' dtype. With ``dtype=None`` they
        come back in the type ``X @ coefs_`` has in scikit-learn (float64 for float64 ``X`` on
        a float32 network); a ``dtype`` given explicitly is the outputs' dtype too."""
        check_is_fitted(self)
        dtype = self.network_.dtype
        X = validate_data(
            self, X, accept_sparse=("csr", "csc"), reset=False, dtype=self._dtype_for_data()
        )
        P = self._output(X.astype(dtype, copy=False))
        return P if self.dtype is not None else P.astype(np.result_type(X.dtype, dtype), copy=False)

    def _score_output(self, P: Array, y: Array, w: Array | None) -> float:
        if not np.isfinite(P).all():
            return math.nan
        return float(self._score_function(y, self._decode(P), sample_weight=w))

    # --------------------------------------------------------------------- files
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write ``network_`` (with ``classes_``) to an fcnn safetensors model file.

        Read it back with :meth:`load`, ``fcnn.load`` or the ``fcnn`` command line. The file
        holds the network, not the estimator's hyperparameters or training records.
        """
        check_is_fitted(self)
        fcnn_io.save(self.network_, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> _FCNNBase:
        """A fitted estimator from an fcnn model file (see :meth:`save`), ready to predict or to
        train on with ``partial_fit`` or ``warm_start``. Hyperparameters not stored in the file
        (solver, alpha, ...) take their defaults."""
        net = fcnn_io.load(path)
        est = cls(
            hidden_layer_sizes=tuple(net.sizes[1:-1]),
            loss=net.loss_name,
            activation=sklearn_activation(net.activations),
            dtype=str(net.dtype),
        )
        est._from_file(net, path)
        est._adopt(net)
        est.n_features_in_ = net.n_inputs
        return est

    # ---------------------------------------------------------------- pickling
    def __setstate__(self, state: dict[str, Any]) -> None:
        # earlier pickles held the network as a dict: the state a Network now pickles itself
        # as (config, parameters, metadata)
        if isinstance(state.get("network_"), dict):
            net = Network.__new__(Network)
            net.__setstate__(state["network_"])
            state = dict(state, network_=net)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR/CSC; the first layer multiplies it as it is
        return tags
