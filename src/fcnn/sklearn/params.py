"""The estimators' arguments: checks of the constructor parameters and of ``sample_weight``,
scikit-learn's activation and output names to fcnn's and back, and scikit-learn's initial
weights (``_init_coef``), so that the same ``random_state`` starts both libraries alike.

Private to ``fcnn.sklearn``, which checks the scikit-learn version before importing this.
"""

from __future__ import annotations

import math
from numbers import Integral, Number, Real
from typing import Any

import numpy as np
from sklearn.utils import check_array

from .. import activations
from ..network import Network

Array = np.ndarray
SOLVERS = ("lbfgs", "sgd", "adam", "gd")
STOCHASTIC_SOLVERS = ("sgd", "adam", "gd")  # those partial_fit takes
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
TO_SKLEARN_OUTPUT = {
    "softmax": "softmax",
    "sigmoid": "logistic",
    "identity": "identity",
    "exp": "exp",
}


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


def parameter_constraints(losses: dict[str, str]) -> dict[str, list]:
    """scikit-learn's ``_parameter_constraints`` of ``MLPRegressor`` (so that a bad value gets
    the same ``InvalidParameterError`` message), with fcnn's solvers and losses; fcnn's own
    parameters, and activations (which may be lists or registered names), are checked by
    :func:`check_params`."""
    from sklearn.neural_network import MLPRegressor
    from sklearn.utils._param_validation import StrOptions

    constraints = dict(MLPRegressor._parameter_constraints)
    constraints.update(
        solver=[StrOptions(set(SOLVERS))],
        loss=[StrOptions(set(losses))],
        activation="no_validation",
        class_weight=[dict, StrOptions({"balanced"}), None],
        record_params=["boolean"],
        dtype="no_validation",
    )
    return constraints


def check_params(p: dict[str, Any], losses: dict[str, str]) -> None:
    """Raise ``ValueError`` for any bad constructor argument of an fcnn estimator.

    ``p`` is ``est.get_params()``; ``losses`` maps the accepted loss names to fcnn's.
    """
    _choice("solver", p["solver"], SOLVERS)
    _choice("learning_rate", p["learning_rate"], RATES)
    _choice("loss", p["loss"], tuple(losses))
    try:
        dtype = np.dtype(p["dtype"]).name
    except TypeError:
        dtype = None
    if dtype not in DTYPES:
        raise _bad("dtype", p["dtype"], "'float64', 'float32' or None (the data's)")
    if p["batch_size"] != "auto":
        _number("batch_size", p["batch_size"], 1, integer=True)
    _number("alpha", p["alpha"], 0)
    _number("learning_rate_init", p["learning_rate_init"], 0, open_low=True)
    _number("power_t", p["power_t"], 0)
    _number("max_iter", p["max_iter"], 1, integer=True)
    _number("max_fun", p["max_fun"], 1, integer=True)
    _number("tol", p["tol"], 0)
    _number("momentum", p["momentum"], 0, 1, open_high=False)
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


# ---------------------------------------------------------------- fit arguments
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


def assign_layers(targets: list[Array], value: Any, name: str, transpose: bool) -> None:
    """Copy ``value``, one array per layer, into the network's views ``targets`` (for
    ``coefs_ = [...]`` with ``transpose=True``: ``value[k]`` is ``targets[k].T``).

    Every array is checked before any is copied, so a refused list changes nothing: the
    number of layers, each shape, real numbers (cast to the network's dtype), finite values.
    """
    try:
        arrays = [np.asarray(v) for v in value]
    except TypeError:
        raise ValueError(
            f"{name} must be a list of {len(targets)} arrays, one per layer, got "
            f"{type(value).__name__}"
        ) from None
    if len(arrays) != len(targets):
        raise ValueError(
            f"{name} must hold {len(targets)} arrays, one per layer, got {len(arrays)}; the "
            "number of layers is fixed at fit (refit with other hidden_layer_sizes to change it)"
        )
    for k, (a, target) in enumerate(zip(arrays, targets, strict=True)):
        shape = target.T.shape if transpose else target.shape
        if a.shape != shape:
            raise ValueError(
                f"{name}[{k}] has shape {a.shape}, but layer {k + 1} needs {shape}; the layer "
                "sizes are fixed at fit (refit with other hidden_layer_sizes to change them)"
            )
        if a.dtype.kind not in "iuf":
            raise ValueError(
                f"{name}[{k}] has dtype {a.dtype}; it must hold real numbers (integer or "
                f"float), which are stored in the network's dtype {target.dtype}"
            )
        if not np.isfinite(a).all():
            raise ValueError(f"{name}[{k}] holds NaN or infinite values; give finite numbers")
    for a, target in zip(arrays, targets, strict=True):
        np.copyto(target, a.T if transpose else a, casting="unsafe")
