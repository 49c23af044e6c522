"""Array validation at the public edge: features ``X``, targets ``y`` and ``(X, y)`` pairs.
Each check raises ``ValueError`` naming the problem and the fix."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import memory
from ._checks import check_feature_shape
from ._fast import sparse

Array = np.ndarray


def as_pair(value: Any, name: str) -> tuple[Any, Any]:
    """``(X, y)`` from ``value``, a pair, or ``ValueError`` naming ``name``."""
    if not (isinstance(value, tuple | list) and len(value) == 2):
        length = f" of length {len(value)}" if hasattr(value, "__len__") else ""
        raise ValueError(
            f"{name} must be a pair (X_val, y_val), got {type(value).__name__}{length}"
        )
    return value[0], value[1]


def as_params(params: Array, n_params: int) -> Array:
    """``params`` as an array of ``n_params`` finite real numbers (a network's flat layout)."""
    p = np.asarray(params)
    if p.dtype.kind not in "biuf":
        raise ValueError(f"params must be real numbers, got dtype {p.dtype}")
    if p.shape != (n_params,):
        raise ValueError(f"params must have shape ({n_params},), got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("params contain NaN or inf")
    return p


def as_features(X: Array, n_features: int, dtype: np.dtype) -> Array:
    """Return ``X`` as a C-contiguous ``(n_samples, n_features)`` array of ``dtype``.

    Refuses non-numeric data, wrong dimensions, a wrong feature count, empty data and NaN/inf.
    A 1-D ``X`` is refused rather than guessed (reshape it with ``X.reshape(-1, 1)`` for one
    feature or ``X.reshape(1, -1)`` for one sample). A ``scipy.sparse`` ``X`` comes back as CSR
    of ``dtype`` (``fcnn._fast.sparse.as_features``), never densified.
    """
    if sparse.is_sparse(X):
        return sparse.as_features(X, n_features, dtype)
    try:
        arr = _array(X)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"X could not be read as an array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"X must be numeric, got dtype {arr.dtype}; convert text columns first")
    check_feature_shape(arr.shape, n_features)
    given = arr
    with np.errstate(over="ignore"):  # a value too large for dtype is reported below
        arr = np.ascontiguousarray(arr, dtype=dtype)
    bad = _first_non_finite(arr)
    if bad is not None and np.isfinite(given[bad]):
        raise ValueError(
            f"X holds {given[bad].item()!r} at row {bad[0]}, column {bad[1]}, too large for "
            f"{np.dtype(dtype)}; scale the features (standardise them) or use float64"
        )
    if bad is not None:
        raise ValueError(
            f"X contains NaN or inf (first at row {bad[0]}, column {bad[1]}); "
            "remove or impute those values"
        )
    return arr


def _array(value: Any) -> Array:
    """``np.asarray(value)``; a pandas DataFrame or Series of nullable number types (Int64,
    Float64, boolean: object arrays to NumPy) becomes float64, a missing value NaN."""
    arr = np.asarray(value)
    if arr.dtype == object and hasattr(value, "to_numpy"):
        dtypes = getattr(value, "dtypes", None)
        dtypes = (
            [getattr(value, "dtype", None)]
            if dtypes is None
            else list(getattr(dtypes, "values", [dtypes]))
        )
        if all(getattr(d, "kind", "O") in "biuf" for d in dtypes):  # pandas' nullable numbers
            arr = value.to_numpy(dtype=np.float64, na_value=np.nan)
    return arr


def _first_non_finite(arr: Array, rows: int = 4096) -> tuple[int, int] | None:
    """(row, column) of the first NaN/inf in ``arr: (n, f)``, or None. Checks ``rows`` rows at a
    time, so the boolean mask never costs more than ``rows * f`` bytes (not a copy of X)."""
    for start in range(0, len(arr), rows):
        block = arr[start : start + rows]
        if not np.isfinite(block).all():
            r, c = np.argwhere(~np.isfinite(block))[0]
            return start + int(r), int(c)
    return None


def as_targets(
    y: Array, n_samples: int, n_outputs: int, output: str, loss: str, dtype: np.dtype
) -> tuple[Array, Array | None]:
    """Return ``(Y, labels)``: the target matrix ``Y: (n_samples, n_outputs)`` of ``dtype``, and
    integer class labels ``(n_samples,)`` where the targets are classes (else ``None``).

    ``y`` is an integer label vector (one-hot encoded here), a single-output target vector, or
    a target matrix ``(n_samples, n_outputs)``: one-hot, probabilities or real values.
    """
    try:
        arr = _array(y)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"y could not be read as an array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"y must be numeric, got dtype {arr.dtype}; map class names to indices 0..k-1 "
            "first (fcnn.datasets.encode_labels does this)"
        )
    if arr.shape[:1] != (n_samples,):
        raise ValueError(f"y has {arr.shape[0] if arr.ndim else 0} rows but X has {n_samples}")
    if arr.ndim == 1 and n_outputs == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim == 1:
        return _one_hot(arr, n_outputs, dtype)
    if arr.ndim != 2 or arr.shape[1] != n_outputs:
        raise ValueError(
            f"y must be labels (n_samples,) or targets (n_samples, {n_outputs}); got shape "
            f"{arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError("y contains NaN or inf; remove those samples")
    Y = np.ascontiguousarray(arr, dtype=dtype)
    if loss != "mse":
        _check_probabilities(Y, output)
    labels = None
    if output == "softmax" or (output == "sigmoid" and n_outputs == 1):
        labels = Y.argmax(axis=1) if n_outputs > 1 else (Y[:, 0] > 0.5).astype(np.int64)
    return Y, labels


def _one_hot(y: Array, n_outputs: int, dtype: np.dtype) -> tuple[Array, Array]:
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y contains NaN or inf; remove those samples")
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        raise ValueError(
            f"y is 1-D with non-integer values but the network has {n_outputs} outputs; give "
            f"integer class labels 0..{n_outputs - 1}, or a target matrix (n_samples, {n_outputs})"
        )
    bad = (y < 0) | (y >= n_outputs)  # on the labels as given: no overflow in a cast first
    if bad.any():
        value = y[bad][0].item()
        raise ValueError(
            f"label {value!r} is out of range: a network with {n_outputs} outputs takes "
            f"labels 0..{n_outputs - 1}; re-encode the labels or widen the output layer"
        )
    labels = y.astype(np.int64)
    memory.check(
        len(labels) * n_outputs * np.dtype(dtype).itemsize,
        f"one-hot targets of {len(labels)} samples x {n_outputs} classes",
        "is the target column the right one? (--target NAME)",
    )
    # built transposed, (n_outputs, n) row-major, the layout the workspaces take (Data.YT):
    # one comparison, no scatter and no transposing copy later
    YT = np.equal(np.arange(n_outputs)[:, None], labels[None, :]).astype(dtype)
    return YT.T, labels


def _check_probabilities(Y: Array, output: str) -> None:
    if output == "identity":
        return
    if output == "exp":  # the Poisson loss: counts or rates
        if Y.min() < 0:
            raise ValueError(
                "loss='poisson' needs targets y >= 0 (counts or rates); use loss='mse' for "
                "targets that can be negative"
            )
        return
    if Y.min() < 0 or Y.max() > 1:
        raise ValueError(
            "cross-entropy targets must lie in [0, 1]; give class labels or one-hot/probability "
            "rows, or use loss='mse' for real-valued targets"
        )
    if output == "softmax" and Y.shape[1] > 1:
        sums = Y.sum(axis=1)
        tol = 1e-3 if Y.dtype == np.float32 else 1e-6
        if np.abs(sums - 1).max() > tol:
            k = int(np.abs(sums - 1).argmax())
            raise ValueError(
                f"softmax cross-entropy targets must sum to 1 per row; row {k} sums to "
                f"{sums[k]:.6g}"
            )
