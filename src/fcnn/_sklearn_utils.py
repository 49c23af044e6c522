"""The scikit-learn side of ``fcnn.sklearn``: parameter checks, scikit-learn's
initialisation, learning rates and Adam, the epoch loop of ``_fit_stochastic`` on an fcnn
:class:`~fcnn.Trainer` (``run_epochs``, ``EpochEnd``), sample weights, the early-stopping
split, and pickling of the network.

Each piece follows one part of scikit-learn's ``neural_network/_multilayer_perceptron.py`` or
``_stochastic_optimizers.py`` (1.9), named in its docstring, so that the same settings and
``random_state`` give the same training run.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Number, Real
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array

from . import activations
from .history import History
from .network import Network
from .optim import SGD, Adam, Optimizer, Schedule
from .train import Callback, Trainer

Array = np.ndarray
SOLVERS = ("adam", "sgd", "gd")
RATES = ("constant", "invscaling", "adaptive")
DTYPES = ("float64", "float32")
# scikit-learn's hidden activation names -> fcnn's; other names are fcnn's own or registered
SKLEARN_ACTIVATIONS = {
    "identity": "identity",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
}
TO_SKLEARN = {v: k for k, v in SKLEARN_ACTIVATIONS.items()}
TO_SKLEARN_OUTPUT = {"softmax": "softmax", "sigmoid": "logistic", "identity": "identity"}


# ------------------------------------------------------------------------- parameter checks
def _bad(name: str, value: Any, want: str) -> ValueError:
    return ValueError(f"{name} must be {want}, got {value!r}")


def _number(
    name: str,
    value: Any,
    low: float,
    high: float = math.inf,
    *,
    integer: bool = False,
    open_low: bool = False,
    open_high: bool = True,
) -> None:
    kind = Integral if integer else Real
    ok = isinstance(value, kind) and not isinstance(value, bool)
    ok = ok and (value > low if open_low else value >= low)
    ok = ok and (value < high if open_high else value <= high)
    if not ok:
        lo, hi = "(" if open_low else "[", ")" if open_high else "]"
        raise _bad(
            name, value, f"{'an integer' if integer else 'a number'} in {lo}{low}, {high}{hi}"
        )


def _choice(name: str, value: Any, options: tuple[str, ...]) -> None:
    if not (isinstance(value, str) and value in options):
        raise _bad(name, value, "one of " + ", ".join(repr(o) for o in options))


def check_params(p: dict[str, Any], losses: dict[str, str]) -> None:
    """Raise ``ValueError`` for any bad constructor argument of an fcnn estimator.

    ``p`` is ``est.get_params()``; ``losses`` maps the accepted loss names to fcnn's.
    """
    if p["solver"] == "lbfgs":
        raise ValueError(
            "solver='lbfgs' is not supported: fcnn trains by first-order updates only. Use "
            "solver='adam' (the default), 'sgd', or 'gd' (full-batch gradient descent)"
        )
    _choice("solver", p["solver"], SOLVERS)
    _choice("learning_rate", p["learning_rate"], RATES)
    _choice("loss", p["loss"], tuple(losses))
    try:
        dtype = np.dtype(p["dtype"]).name
    except TypeError:
        dtype = None
    if dtype not in DTYPES:
        raise _bad("dtype", p["dtype"], "'float64' or 'float32'")
    if p["batch_size"] != "auto":
        _number("batch_size", p["batch_size"], 1, integer=True)
    _number("alpha", p["alpha"], 0)
    _number("learning_rate_init", p["learning_rate_init"], 0, open_low=True)
    _number("power_t", p["power_t"], 0)
    _number("max_iter", p["max_iter"], 1, integer=True)
    _number("tol", p["tol"], 0)
    _number("momentum", p["momentum"], 0, 1)
    _number("validation_fraction", p["validation_fraction"], 0, 1)
    _number("beta_1", p["beta_1"], 0, 1)
    _number("beta_2", p["beta_2"], 0, 1)
    _number("epsilon", p["epsilon"], 0, open_low=True)
    if p["n_iter_no_change"] != np.inf:
        _number("n_iter_no_change", p["n_iter_no_change"], 1, integer=True)
    for name in ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping", "record_params"):
        if not isinstance(p[name], bool | np.bool_):
            raise _bad(name, p[name], "True or False")


def hidden_sizes(value: Any) -> list[int]:
    """``hidden_layer_sizes`` (an int or a sequence of ints >= 1) as a list."""
    sizes = [value] if isinstance(value, Integral) else value
    try:
        sizes = list(sizes)
    except TypeError:
        sizes = None
    if sizes is None or not all(
        isinstance(n, Integral) and not isinstance(n, bool) and n >= 1 for n in sizes
    ):
        raise _bad("hidden_layer_sizes", value, "an int >= 1 or a sequence of them, e.g. (100,)")
    return [int(n) for n in sizes]


def hidden_activations(activation: Any, n_hidden: int) -> list[str]:
    """fcnn names for the hidden layers: one name for all, or one per hidden layer.

    scikit-learn's ``'logistic'`` becomes fcnn's ``'sigmoid'``; any name registered with
    ``fcnn.register_activation`` is accepted.
    """
    names = [activation] * max(n_hidden, 1) if isinstance(activation, str) else activation
    try:
        names = [SKLEARN_ACTIVATIONS.get(a, a) for a in names]
    except TypeError:
        raise _bad("activation", activation, "a name or a list of names") from None
    if not isinstance(activation, str) and len(names) != n_hidden:
        raise ValueError(
            f"activation lists {len(names)} names for {n_hidden} hidden layers; give one name, "
            "or one per entry of hidden_layer_sizes"
        )
    for name in names:
        activations.get(name)  # ValueError naming the known activations
    return names[:n_hidden]


def sklearn_activation(names: tuple[str, ...]) -> str | list[str]:
    """The ``activation`` argument that rebuilds hidden layers named ``names`` (fcnn names)."""
    out = [TO_SKLEARN.get(a, a) for a in names]
    return out[0] if len(set(out)) == 1 else (out or "relu")


def glorot_factor(activation: Any) -> float:
    """scikit-learn's ``_init_coef`` factor: 2 for logistic hidden units, else 6."""
    names = [activation] if isinstance(activation, str) else list(activation)
    logistic = bool(names) and all(a in ("logistic", "sigmoid") for a in names)
    return 2.0 if logistic else 6.0


def sklearn_init(net: Network, rs: np.random.RandomState, factor: float) -> None:
    """Overwrite ``net``'s parameters as ``MLPClassifier._init_coef`` draws them.

    Layer by layer, ``coef: (n_in, n_out)`` then ``intercept: (n_out,)`` from U(-r, r) with
    r = sqrt(factor / (n_in + n_out)) (Glorot & Bengio, 2010); fcnn keeps ``W = coefᵀ``. The same
    ``random_state`` therefore starts both libraries from the same weights.
    """
    for W, b in zip(net.weights, net.biases, strict=True):
        n_out, n_in = W.shape
        r = math.sqrt(factor / (n_in + n_out))
        W[...] = rs.uniform(-r, r, (n_in, n_out)).T
        b[...] = rs.uniform(-r, r, n_out)


# -------------------------------------------------------------- scikit-learn's optimisers
class SklearnRate(Schedule):
    """scikit-learn's ``learning_rate`` for ``solver='sgd'`` (``SGDOptimizer``).

    - ``constant``: α.
    - ``invscaling``: after each epoch α_t = α / (t + 1)^power_t, with t the number of training
      samples seen so far (``t_``), not the number of updates as in ``fcnn.optim.InvScaling``.
    - ``adaptive``: α, divided by 5 each time the stopping rule fires
      (:meth:`trigger_stopping`); training stops once it is at most 1e-6.
    """

    name = "sklearn"

    def __init__(self, lr: float, kind: str = "constant", power_t: float = 0.5) -> None:
        super().__init__(lr)
        self.kind, self.power_t, self.current = kind, float(power_t), self.lr0

    def lr(self, epoch: int, t: int) -> float:
        return self.current

    def iteration_ends(self, samples_seen: int) -> None:
        """``SGDOptimizer.iteration_ends``: update the invscaling rate after an epoch."""
        if self.kind == "invscaling":
            self.current = self.lr0 / (samples_seen + 1) ** self.power_t

    def trigger_stopping(self) -> bool:
        """``SGDOptimizer.trigger_stopping``: True to stop; adaptive lowers the rate instead."""
        if self.kind != "adaptive" or self.current <= 1e-6:
            return True
        self.current /= 5.0
        return False

    def state_dict(self) -> dict[str, float]:
        return {"current": self.current}

    def load_state_dict(self, state: dict[str, float]) -> None:
        self.current = float(state["current"])


class SklearnAdam(Adam):
    """Adam as scikit-learn's ``AdamOptimizer`` writes it, the efficient form at the end of
    Kingma & Ba (arXiv:1412.6980) section 2: θ ← θ - α √(1-β2^t)/(1-β1^t) · m / (√s + ε).

    fcnn's :class:`~fcnn.optim.Adam` divides by √ŝ + ε instead; the two agree when ε is scaled
    by 1/√(1-β2^t), which this class does before each update.
    """

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__(beta1, beta2, eps)
        self.eps0 = self.eps

    def hyperparams(self) -> dict[str, float]:
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps0}

    def _update(self, params: Array, grads: Array, lr: float) -> None:
        self.eps = self.eps0 / math.sqrt(1 - self.beta2 ** self.state["t"])
        super()._update(params, grads, lr)


def make_optimizer(p: dict[str, Any]) -> tuple[Optimizer, SklearnRate]:
    """The optimiser and learning rate of ``solver``: adam ignores ``learning_rate``, as in
    scikit-learn; sgd and gd use momentum (Nesterov's when ``nesterovs_momentum``)."""
    lr = float(p["learning_rate_init"])
    if p["solver"] == "adam":
        return SklearnAdam(p["beta_1"], p["beta_2"], p["epsilon"]), SklearnRate(lr)
    momentum = float(p["momentum"])
    opt = SGD(momentum, nesterov=bool(p["nesterovs_momentum"]) and momentum > 0)
    return opt, SklearnRate(lr, p["learning_rate"], p["power_t"])


# ----------------------------------------------------------------- the epoch bookkeeping
class EpochEnd(Callback):
    """After every epoch, what ``MLPClassifier._fit_stochastic`` does after its batches: count
    ``n_iter_`` and ``t_``, append to ``loss_curve_`` (and the validation curves), apply the
    ``tol``/``n_iter_no_change`` rule to the training loss, or to the validation score when
    ``early_stopping`` (keeping the best weights), update the learning rate, and stop.

    ``outputs`` undoes fcnn's per-output mean in the loss (see ``FCNNRegressor``): the data part
    of the trainer's loss is divided by it before it goes into ``loss_curve_``.
    """

    def __init__(self, est: Any, n_train: int, outputs: int, val: tuple | None) -> None:
        self.est, self.n_train, self.outputs, self.val = est, n_train, outputs, val
        self.converged = False

    def on_epoch_end(self, trainer: Trainer) -> None:
        est, h = self.est, trainer.history
        loss = h.loss[-1]
        if self.outputs != 1:
            l2 = h.parts["l2"][-1] if "l2" in h.parts else 0.0
            loss = (loss - l2) / self.outputs + l2
        est.n_iter_ += 1
        est.t_ += self.n_train
        est.loss_ = loss
        est.loss_curve_.append(loss)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
        if self.val is not None:
            est.validation_loss_curve_.append(h.val_loss[-1])
            self._validation_score()
        else:
            worse = loss > est.best_loss_ - est.tol
            est._no_improvement_count = est._no_improvement_count + 1 if worse else 0
            est.best_loss_ = min(est.best_loss_, loss)
        est._rate.iteration_ends(est.t_)
        if est._no_improvement_count > est.n_iter_no_change:
            what = "Validation score" if self.val is not None else "Training loss"
            if est._rate.trigger_stopping():
                if est.verbose:
                    print(
                        f"{what} did not improve more than tol={est.tol:f} for "
                        f"{est.n_iter_no_change} consecutive epochs. Stopping."
                    )
                self.converged = True
                trainer.request_stop()
            else:
                est._no_improvement_count = 0

    def _validation_score(self) -> None:
        est = self.est
        X, y, w = self.val
        score = est._score_output(est._output(X), y, w)
        est.validation_scores_.append(score)
        if est.verbose:
            print(f"Validation score: {score:f}")
        worse = score < est.best_validation_score_ + est.tol
        est._no_improvement_count = est._no_improvement_count + 1 if worse else 0
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            np.copyto(est._best_params, est.network_.params)


def run_epochs(
    est: Any,
    p: dict[str, Any],
    X: Array,
    Y: Array,
    w: Array | None,
    val: list | None,
    rs: np.random.RandomState,
    incremental: bool,
) -> History:
    """Train ``est.network_`` on ``(X, Y)`` as ``_fit_stochastic`` does (one epoch for
    ``partial_fit``); ``val`` is ``[X, y, Y, w]`` of the early-stopping set. Returns the
    trainer's History and warns ``ConvergenceWarning`` when ``max_iter`` ends a ``fit``."""
    n, B = len(X), batch_size(p, n=len(X))
    # sklearn's _backprop adds alpha/(2 Σ_batch w) ||W||² to the batch's weighted mean loss;
    # fcnn's loss is (1/B) Σ w_k J_k, so weights are scaled to mean 1 and l2 = alpha/(B w̄)
    mean_w = 1.0 if w is None else float(w.mean())
    if mean_w <= 0:
        raise ValueError("sample_weight must contain at least one non-zero number")
    k = est._delta_scale()
    weights = None if w is None and k == 1 else (np.ones(n) if w is None else w) * (k / mean_w)
    epoch_end = EpochEnd(est, n, k, None if val is None else (val[0], val[1], val[3]))
    est.n_iter_ = 0  # as sklearn: the epochs of this call; t_ and loss_curve_ accumulate
    trainer = Trainer(
        est.network_,
        X,
        Y,
        epochs=1 if incremental else p["max_iter"],
        lr=p["learning_rate_init"],
        batch_size=B,
        optimizer=est._optimizer,
        schedule=est._rate,
        l2=p["alpha"] / (B * mean_w),
        shuffle=p["shuffle"],
        validation_data=None if val is None else (val[0], val[2]),
        sample_weight=weights,
        callbacks=[epoch_end],
        record_params=p["record_params"],
        seed=int(rs.randint(np.iinfo(np.int32).max)),
    )
    try:
        history = trainer.run()
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.", stacklevel=3)
        history = trainer.history
    if p["record_params"]:
        est._record(history.params)
    if p["early_stopping"]:
        est.network_.set_params(est._best_params)
    if not incremental and not epoch_end.converged and est.n_iter_ == p["max_iter"]:
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({p['max_iter']}) reached and the "
            "optimization hasn't converged yet.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return history


# ---------------------------------------------------------------------------- data
def store_params(est: Any, params: dict[str, Any]) -> None:
    """Keep the constructor arguments as given (scikit-learn: checks belong in ``fit``)."""
    for name, value in params.items():
        if name != "self":
            setattr(est, name, value)


def check_sample_weight(sample_weight: Any, n: int) -> Array | None:
    """``sample_weight`` (None, a number or ``n`` finite numbers >= 0) as float64 ``(n,)``."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, Number):
        sample_weight = np.full(n, sample_weight, dtype=np.float64)
    w = check_array(sample_weight, ensure_2d=False, dtype=np.float64, input_name="sample_weight")
    if w.shape != (n,):
        raise ValueError(f"sample_weight.shape == {w.shape}, expected {(n,)}!")
    if (w < 0).any():
        raise ValueError("sample_weight must be non-negative")
    return w


def batch_size(p: dict[str, Any], n: int) -> int:
    """The batch size ``_fit_stochastic`` uses for ``n`` samples ('gd': all of them)."""
    if p["solver"] == "gd":
        return n
    if p["batch_size"] == "auto":
        return min(200, n)
    if p["batch_size"] > n:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped",
            stacklevel=4,
        )
    return min(int(p["batch_size"]), n)


def stratify_labels(y: Array, fraction: float) -> Array | None:
    """``y`` where a split stratified by it is possible (single-label targets, every class
    on both sides), else None."""
    if y.ndim != 1:
        return None
    counts = np.unique(y, return_counts=True)[1]
    n_val = math.ceil(fraction * len(y))
    return y if counts.min() >= 2 and len(counts) <= min(n_val, len(y) - n_val) else None


def split(
    arrays: list[Array | None], fraction: float, stratify: Array | None, rs: np.random.RandomState
) -> tuple[list, list]:
    """Hold out ``fraction`` of the samples as ``_fit_stochastic`` does for early stopping;
    returns the training and the validation parts of every array (None stays None)."""
    given = [a for a in arrays if a is not None]
    parts = train_test_split(*given, random_state=rs, test_size=fraction, stratify=stratify)
    if len(parts[1]) < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' or the size of "
            "your dataset."
        )
    train, val = iter(parts[0::2]), iter(parts[1::2])
    return (
        [None if a is None else next(train) for a in arrays],
        [None if a is None else next(val) for a in arrays],
    )


# ------------------------------------------------------------------------- pickling
def network_state(net: Network) -> dict[str, Any]:
    """A picklable description of ``net``: its config, parameters and metadata.

    A ``Network`` itself is not pickled: its weight views would come back as copies, cut off
    from ``params``, and a custom activation's functions are closures.
    """
    return {
        "config": net.config(),
        "params": net.params.copy(),
        "classes": net.classes,
        "feature_mean": net.feature_mean,
        "feature_scale": net.feature_scale,
    }


def network_from_state(state: dict[str, Any]) -> Network:
    """Inverse of :func:`network_state`."""
    net = Network.from_config(state["config"], state["params"])
    net.classes = state["classes"]
    net.feature_mean, net.feature_scale = state["feature_mean"], state["feature_scale"]
    return net
