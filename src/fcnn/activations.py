"""Hidden-layer activations: a table of name -> (f, f').

Seed 002, Alg. 1 line 9 applies ``h = f(a)`` elementwise and Alg. 2 line 7 multiplies the
incoming gradient by ``f'(a)``. Each entry here keeps the two side by side.

Both functions take an optional ``out`` array, so the same formula serves the readable path
(``out=None`` returns a new array) and the training loop (``out=`` a preallocated workspace).
The derivative receives the pre-activation ``a`` *and* the output ``h = f(a)``: tanh and sigmoid
are cheaper from ``h`` (seed 002 eq. 16: 1 - tanh^2), relu and softplus need ``a``.

.. math::

    \\tanh'(a) = 1 - \\tanh^2(a), \\quad \\sigma'(a) = \\sigma(a)(1 - \\sigma(a)),
    \\quad \\mathrm{softplus}'(a) = \\sigma(a)

See ``docs/math.md`` section "Activations".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray
LEAKY_SLOPE = 0.01
# 1 as a 0-d array of each float dtype: NumPy converts a Python scalar operand anew on every
# call, which costs as much as the arithmetic on a small batch (docs/performance.md)
ONE = {np.dtype(t): np.ones((), t) for t in (np.float32, np.float64)}


@dataclass(frozen=True)
class Activation:
    """An activation ``f`` and its derivative ``df``.

    ``f(a, out=None) -> h`` and ``df(a, h, out=None) -> f'(a)``, both elementwise on arrays of
    any shape; ``out`` (same shape and dtype as ``a``) receives the result when given.
    """

    name: str
    f: Callable[..., Array]
    df: Callable[..., Array]


def _dtanh(a: Array, h: Array, out: Array | None = None) -> Array:
    # seed 002 eq. 16: d tanh(x)/dx = 1 - tanh^2(x), read from h = tanh(a)
    out = np.square(h, out=out)
    return np.subtract(ONE.get(out.dtype, 1), out, out=out)


def sigmoid(a: Array, out: Array | None = None) -> Array:
    """σ(a) = 1 / (1 + e^{-a}), computed as (1 + tanh(a/2)) / 2; ``out`` receives it."""
    # sigma(a) = (1 + tanh(a/2)) / 2: no overflow for large |a|
    out = np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def _dsigmoid(a: Array, h: Array, out: Array | None = None) -> Array:
    out = np.subtract(1, h, out=out)
    out *= h
    return out


def _relu(a: Array, out: Array | None = None) -> Array:
    return np.maximum(a, 0, out=out)


def _drelu(a: Array, h: Array, out: Array | None = None) -> Array:
    # f'(0) is taken as 0, as in every major library
    if out is None:
        out = np.empty_like(a)
    return np.greater(a, 0, out=out)


def _leaky_relu(a: Array, out: Array | None = None) -> Array:
    # max(a, 0.01 a) equals a for a > 0 and 0.01 a otherwise, because 0 < slope < 1
    out = np.multiply(a, LEAKY_SLOPE, out=out)
    return np.maximum(a, out, out=out)


def _dleaky_relu(a: Array, h: Array, out: Array | None = None) -> Array:
    if out is None:
        out = np.empty_like(a)
    np.greater(a, 0, out=out)
    out *= 1 - LEAKY_SLOPE
    out += LEAKY_SLOPE
    return out


def _identity(a: Array, out: Array | None = None) -> Array:
    if out is None:
        return a.copy()
    np.copyto(out, a)
    return out


def _didentity(a: Array, h: Array, out: Array | None = None) -> Array:
    if out is None:
        return np.ones_like(a)
    out.fill(1)
    return out


def _softplus(a: Array, out: Array | None = None) -> Array:
    # log(1 + e^a), computed as logaddexp(0, a) so that large a does not overflow
    return np.logaddexp(0, a, out=out)


def _dsoftplus(a: Array, h: Array, out: Array | None = None) -> Array:
    return sigmoid(a, out=out)


_TABLE: dict[str, Activation] = {
    act.name: act
    for act in (
        # np.tanh itself (a ufunc takes ``out=``): no Python call around it on the hot path
        Activation("tanh", np.tanh, _dtanh),
        Activation("sigmoid", sigmoid, _dsigmoid),
        Activation("relu", _relu, _drelu),
        Activation("leaky_relu", _leaky_relu, _dleaky_relu),
        Activation("identity", _identity, _didentity),
        Activation("softplus", _softplus, _dsoftplus),
    )
}
BUILTIN = tuple(_TABLE)


def names() -> tuple[str, ...]:
    """Return the names of every registered activation, built-in ones first."""
    return tuple(_TABLE)


def get(name: str) -> Activation:
    """Return the activation registered under ``name``.

    Raises ``ValueError`` naming the known activations when ``name`` is unknown.
    """
    try:
        return _TABLE[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(_TABLE)}, "
            "or register your own with fcnn.register_activation(name, f, df)"
        ) from None


def _wrap(fn: Callable[..., Array], arity: int, name: str) -> Callable[..., Array]:
    def wrapped(*args: Array, out: Array | None = None) -> Array:
        value = np.asarray(fn(*args[:arity]))
        if value.shape != args[0].shape:
            raise ValueError(
                f"custom activation {name!r} returned shape {value.shape} for input shape "
                f"{args[0].shape}; it must work elementwise"
            )
        if out is None:
            return value.astype(args[0].dtype, copy=False)
        np.copyto(out, value, casting="unsafe")
        return out

    return wrapped


def register_activation(
    name: str,
    f: Callable[[Array], Array],
    df: Callable[[Array], Array],
    *,
    overwrite: bool = False,
) -> Activation:
    """Register a custom activation so ``Network(..., activation=name)`` can use it.

    ``f(a)`` returns ``h = f(a)`` and ``df(a)`` returns ``f'(a)``, both elementwise and with the
    shape of ``a``. The pair is checked on a few points against central differences, so a wrong
    derivative is refused at once. Built-in names cannot be replaced; a custom name can be
    replaced with ``overwrite=True``.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"activation name must be an identifier string, got {name!r}")
    if not (callable(f) and callable(df)):
        raise ValueError("register_activation needs two callables: f(a) and its derivative df(a)")
    if name in BUILTIN or (name in _TABLE and not overwrite):
        raise ValueError(
            f"activation {name!r} is already registered; pick another name"
            + ("" if name in BUILTIN else " or pass overwrite=True")
        )
    act = Activation(name, _wrap(f, 1, name), _wrap(df, 1, name))
    a = np.linspace(-2.0, 2.0, 9) + 0.0123
    eps = 1e-6
    numeric = (act.f(a + eps) - act.f(a - eps)) / (2 * eps)
    analytic = act.df(a, act.f(a))
    if not np.all(np.isfinite(analytic)) or not np.allclose(
        analytic, numeric, rtol=1e-4, atol=1e-6
    ):
        raise ValueError(
            f"the derivative given for activation {name!r} does not match f: "
            f"df(a)={analytic.round(6).tolist()} but finite differences give "
            f"{numeric.round(6).tolist()} at a={a.round(4).tolist()}"
        )
    _TABLE[name] = act
    return act


def unregister_activation(name: str) -> None:
    """Remove a custom activation registered with :func:`register_activation`."""
    if name in BUILTIN:
        raise ValueError(f"built-in activation {name!r} cannot be removed")
    if name not in _TABLE:
        raise ValueError(f"no custom activation named {name!r} is registered")
    del _TABLE[name]
