"""Number, seed and range checks for public arguments. Each raises ``ValueError`` naming the
argument, the value and what it must be."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np


def is_integer(value: Any) -> bool:
    """Whether ``value`` is an integer (Python or NumPy), not a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool | np.bool_)


def in_range(
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> bool:
    """Whether ``value`` is a finite real number (Python or NumPy, not a bool; an integer with
    ``integer=True``) in ``[low, high]``, either end open with ``low_open``/``high_open`` and
    absent when None."""
    if isinstance(value, np.ndarray) and value.ndim == 0:  # a 0-d array is its one number
        value = value[()]
    if integer:
        ok = is_integer(value)
    else:
        ok = isinstance(value, Real) and not isinstance(value, bool | np.bool_)
    return (
        ok
        and (isinstance(value, Integral) or math.isfinite(value))  # ints of any size are finite
        and (low is None or (value > low if low_open else value >= low))
        and (high is None or (value < high if high_open else value <= high))
    )


def check_seed(name: str, seed: Any, generators: bool = True) -> Any:
    """``seed`` when ``numpy.random.default_rng`` takes it (None, an int >= 0, a sequence of
    them, a SeedSequence, or with ``generators`` a BitGenerator, Generator or RandomState) and
    it is not a bool; else ``ValueError`` naming ``name``. ``generators=False`` is for a seed
    that must stay plain numbers (a resumable run's)."""
    rngs = (np.random.Generator, np.random.BitGenerator, np.random.RandomState)
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, rngs):
        if generators:
            return seed
        raise ValueError(
            f"{name} must be an integer >= 0 or a sequence of them here (the run's state "
            "must be plain numbers to be resumable), not a generator"
        )
    try:  # ints and sequences of them: what SeedSequence takes
        ok = not isinstance(seed, bool | np.bool_) and np.random.SeedSequence(seed) is not None
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            f"{name} must be an integer >= 0, a sequence of them, a numpy.random.Generator or "
            f"None, got {seed!r}"
        )
    return seed


def check_number(
    name: str, value: Any, low: float | None = None, high: float | None = None, **kwargs: Any
) -> float | int:
    """``value`` as a Python ``float`` (``int`` with ``integer=True``) when :func:`in_range`
    (whose keywords ``low_open``, ``high_open`` and ``integer`` it takes); else ``ValueError``
    naming ``name``, the range (or ``what=``, the words for what it must be) and the value."""
    what = kwargs.pop("what", None)
    low_open, high_open = kwargs.get("low_open", False), kwargs.get("high_open", False)
    integer = kwargs.get("integer", False)
    if in_range(value, low, high, **kwargs):
        value = value[()] if isinstance(value, np.ndarray) else value
        return int(value) if integer else float(value)
    if what is None:
        bounds = [f"{'>' if low_open else '>='} {low:g}"] if low is not None else []
        bounds += [f"{'<' if high_open else '<='} {high:g}"] if high is not None else []
        what = ("an integer" if integer else "a finite number") + "".join(
            f" {b}" if k == 0 else f" and {b}" for k, b in enumerate(bounds)
        )
    raise ValueError(f"{name} must be {what}, got {value!r}")


def check_training_options(
    epochs: int,
    l2: float,
    clip: float | None,
    val_split: float,
    patience: int,
    batch_size: int | None,
    min_delta: float = 0.0,
) -> None:
    """Raise ``ValueError`` naming the first training option that is out of range."""
    check_number("epochs", epochs, 1, integer=True, what="a positive integer")
    if batch_size is not None and not (is_integer(batch_size) and batch_size >= 1):
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    check_number("l2", l2, 0)
    if clip is not None:
        check_number("clip", clip, 0, low_open=True, what="a positive number or None")
    check_number("val_split", val_split, 0, 1, high_open=True, what="in [0, 1)")
    check_number("patience", patience, 1, integer=True)
    check_number("min_delta", min_delta, 0)


DTYPES = ("float32", "float64")


def check_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as a NumPy float32 or float64 dtype, or ``ValueError``."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or str(dt) not in DTYPES:
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return dt


def check_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    """``sizes`` as a tuple of at least two positive layer widths, or ``ValueError``."""
    try:
        out = tuple(int(n) for n in sizes)
        ok = len(out) >= 2 and all(n >= 1 and n == m for n, m in zip(out, sizes, strict=True))
        ok = ok and not any(isinstance(m, bool | np.bool_) for m in sizes)  # True is not a width
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            f"sizes must list at least two positive integer layer widths, input first "
            f"(e.g. [2, 2, 2]); got {sizes!r}"
        )
    return out


def activation_names(activation: Any, n_hidden: int) -> list[str]:
    """One activation name per hidden layer, from one name or a sequence of ``n_hidden``."""
    if isinstance(activation, str):
        return [activation] * n_hidden
    if not (isinstance(activation, Sequence) and all(isinstance(a, str) for a in activation)):
        raise ValueError(
            f"activation must be a name such as 'tanh', or a list of names, one per hidden "
            f"layer; got {activation!r}"
        )
    if len(activation) != n_hidden:
        raise ValueError(
            f"got {len(activation)} activations for {n_hidden} hidden layers; give one name, "
            "or one per hidden layer"
        )
    return list(activation)


def check_feature_shape(shape: tuple[int, ...], n_features: int) -> None:
    """``ValueError`` unless ``shape`` is ``(n_samples >= 1, n_features)``, saying the fix."""
    if len(shape) != 2:
        raise ValueError(
            f"X must be 2-D (n_samples, n_features), got shape {shape}; use "
            "X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a single sample"
        )
    if shape[0] == 0:
        raise ValueError("X is empty: it has 0 samples")
    if shape[1] != n_features:
        raise ValueError(
            f"X has {shape[1]} features but the network's input layer has {n_features}; "
            "check the data or the first entry of sizes"
        )


#: what early stopping and the best epoch can follow
MONITORS = ("loss", "val_loss", "accuracy", "val_accuracy")


def check_monitor(monitor: str, net: Any, validation: bool, accuracy: bool) -> None:
    """ValueError unless ``monitor`` is one of :data:`MONITORS` that the run records: a
    ``val_`` one needs ``validation``, an accuracy one a network with ``accuracy``."""
    if monitor not in MONITORS:
        raise ValueError(f"unknown monitor {monitor!r}; choose one of {MONITORS}")
    if monitor.startswith("val_") and not validation:
        raise ValueError(f"monitor={monitor!r} needs validation_data or val_split")
    if monitor.endswith("accuracy") and not accuracy:
        raise ValueError(
            f"monitor={monitor!r}, but a network with a {net.output} output and "
            f"{net.loss_name} loss has no accuracy; monitor 'loss' or 'val_loss'"
        )
