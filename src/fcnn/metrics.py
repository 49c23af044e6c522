"""Metrics of a model's outputs against the truth: accuracy, confusion matrix, MSE and R².

Pure NumPy. Class labels are indices ``0..k-1`` (``fcnn.datasets.encode_labels`` maps other
labels to them); real-valued targets and outputs are ``(n_samples,)`` or
``(n_samples, n_outputs)``. Each function checks its inputs and raises ``ValueError`` naming
the offending shape or value.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def accuracy(y: Array, pred: Array) -> float:
    """The fraction of samples whose predicted class is the true one.

    ``y``, ``pred``: (n_samples,) class labels. Returns ``mean(pred == y)`` in [0, 1].
    """
    y, pred = _pair(y, pred, "labels")
    return float(np.mean(y == pred))


def confusion_matrix(y: Array, pred: Array, n_classes: int) -> Array:
    """Counts of (true, predicted) class pairs.

    ``y``, ``pred``: (n_samples,) integer class indices in ``0..n_classes-1``. Returns
    ``counts: (n_classes, n_classes)`` int64, ``counts[i, j]`` the number of samples of true
    class i predicted as class j: rows sum to the class sizes, the trace counts the hits.
    """
    y, pred = _pair(y, pred, "labels")
    k = int(n_classes)
    for name, labels in (("y", y), ("pred", pred)):
        if labels.dtype.kind not in "iu":
            raise ValueError(f"{name} has dtype {labels.dtype}; pass integer class indices")
        if labels.size and not (0 <= labels.min() and labels.max() < k):
            raise ValueError(
                f"{name} holds class indices {labels.min()}..{labels.max()}, outside 0..{k - 1} "
                f"for n_classes={k}"
            )
    return np.bincount(y * k + pred, minlength=k * k).reshape(k, k)


def mse(Y: Array, P: Array) -> float:
    """Mean squared error ``mean((P - Y)^2)`` over every sample and output.

    ``Y``: targets and ``P``: predictions, both (n_samples,) or both (n_samples, n_outputs).
    """
    Y, P = _pair(Y, P, "values")
    return float(np.mean((P - Y) ** 2))


def r2(Y: Array, P: Array) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot``, averaged over the outputs.

    ``Y``: targets and ``P``: predictions, both (n_samples,) or (n_samples, n_outputs). Per
    output j, ``SS_res = sum_i (Y_ij - P_ij)^2`` and ``SS_tot = sum_i (Y_ij - mean_i Y_ij)^2``.
    For a constant target column (``SS_tot = 0``) the division is by 1 instead, which gives
    ``1 - SS_res``: 1 for a perfect fit, lower as the squared error grows. (scikit-learn's
    ``r2_score`` gives 1 or 0 there.)
    """
    Y, P = _pair(Y, P, "values")
    if Y.ndim == 1:
        Y, P = Y[:, None], P[:, None]
    ss_res = ((Y - P) ** 2).sum(axis=0)
    ss_tot = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    return float(np.mean(1 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0)))


def _pair(a: Array, b: Array, what: str) -> tuple[Array, Array]:
    """``a`` and ``b`` as arrays of one shape with n_samples >= 1: (n_samples,) for labels,
    (n_samples,) or (n_samples, n_outputs) for values."""
    a, b = np.asarray(a), np.asarray(b)
    shapes = "(n_samples,)" if what == "labels" else "(n_samples,) or (n_samples, n_outputs)"
    if a.shape != b.shape or a.ndim not in ((1,) if what == "labels" else (1, 2)) or not a.size:
        raise ValueError(
            f"the true and predicted {what} have shapes {a.shape} and {b.shape}; pass two "
            f"non-empty arrays of one shape, {shapes}"
        )
    return a, b


def accuracy_kind(output: str, n_outputs: int, labels: Array | None) -> str | None:
    """How a network's outputs are scored as classes: ``"argmax"`` (softmax, or several
    outputs with integer labels), ``"binary"`` (one sigmoid unit, ŷ > 0.5), ``"subset"``
    (several sigmoid units on 0/1 targets, all must match), or None (no accuracy)."""
    if labels is not None:
        return "binary" if n_outputs == 1 else "argmax"
    return "subset" if output == "sigmoid" else None


def correct(kind: str | None, P: Array, labels: Array | None, Y: Array) -> int:
    """The number of correctly classified samples (columns) of ``P: (n_l, B)``, for the
    ``kind`` of :func:`accuracy_kind`; ``labels: (B,)`` class indices, ``Y: (n_l, B)`` targets."""
    if kind == "argmax":
        return int(np.count_nonzero(P.argmax(axis=0) == labels))
    if kind == "binary":
        return int(np.count_nonzero((P[0] > 0.5) == (labels > 0)))
    if kind == "subset":
        return int(np.count_nonzero(((P > 0.5) == (Y > 0.5)).all(axis=0)))
    return 0
