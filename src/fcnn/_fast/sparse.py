"""Sparse inputs: the first layer's two products with a ``scipy.sparse`` batch, never
densified.

A dense batch is copied into the workspace as ``H[0] = [x; 1]`` (one sample per column), and
seed 002's Alg. 1 line 8 and Alg. 2 line 4 are one GEMM each. A sparse batch ``X_s: (B, n_0)``
(CSR) stays where it is, and only the first layer changes:

- forward (Alg. 1 line 8): ``a^(1) = W^(1) xᵀ + b^(1)`` is computed as ``(X_s W^(1)ᵀ)ᵀ + b``,
  a sparse x dense product (``B x n_1``, cost ∝ nnz(X_s) n_1);
- backward (Alg. 2 lines 3-4): ``∇W^(1) = g X_s`` as ``(X_sᵀ gᵀ)ᵀ`` (``X_sᵀ`` is CSC, the
  product dense ``n_0 x n_1``, the size of ``W^(1)``), and ``∇b^(1) = g 1``.

Every other layer, the loss and the update are the dense workspace's own. The compiled steps
of :mod:`fcnn._fast.step` bind ``H[0]``, which a sparse workspace does not have, so a sparse
run takes the readable step (``Network._step``; plain SGD still folds the rate).
"""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray


def is_sparse(X: Any) -> bool:
    """Whether ``X`` is a ``scipy.sparse`` matrix or array (without importing scipy for
    NumPy input)."""
    if isinstance(X, np.ndarray) or not type(X).__module__.startswith("scipy.sparse"):
        return False
    import scipy.sparse

    return scipy.sparse.issparse(X)


def as_features(X: Any, n_features: int, dtype: np.dtype) -> Any:
    """A sparse ``X`` as CSR of ``dtype`` (no copy where it is one already), with the checks
    of :func:`fcnn.validation.as_features`: 2-D, samples, ``n_features`` columns, finite."""
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError("X is empty: it has 0 samples")
    if X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features but the network's input layer has {n_features}; "
            "check the data or the first entry of sizes"
        )
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X must be numeric, got dtype {X.dtype}")
    X = X.tocsr().astype(dtype, copy=False)  # row slices for mini-batches
    if not np.isfinite(X.data).all():
        raise ValueError("X contains NaN or inf; remove or impute those values")
    return X


def affine(Xs: Any, Wb: Array, out: Array) -> None:
    """``out = [W | b] [xᵀ; 1] = W X_sᵀ + b`` for the sparse batch ``X_s: (B, n_0)``;
    ``Wb: (n_1, n_0 + 1)``, ``out: (n_1, B)``."""
    np.copyto(out, (Xs @ Wb[:, :-1].T).T)
    out += Wb[:, -1:]


def weight_gradient(g: Array, Xs: Any, out: Array) -> None:
    """``out = [∇W | ∇b] = g [X_s, 1]``: ``∇W = g X_s`` by the sparse product
    ``(X_sᵀ gᵀ)ᵀ`` and ``∇b = g 1``; ``g: (n_1, B)``, ``out: (n_1, n_0 + 1)``."""
    np.copyto(out[:, :-1], (Xs.T @ g.T).T)
    g.sum(axis=1, out=out[:, -1])
