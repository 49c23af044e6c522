"""A training run's data: features, targets, labels and sample weights checked against the
network once, and the validation split. Only indices are shuffled later; each batch is
gathered from these arrays into a preallocated workspace (``fcnn._fast.batch``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._inputs import as_features, as_pair, as_targets
from ..metrics import accuracy_kind

if TYPE_CHECKING:
    from ..network import Network

Array = np.ndarray


class Data:
    """Validated features, targets, labels and sample weights.

    ``X: (n, n_0)`` keeps the API's layout (a batch is gathered row by row); the targets are
    kept transposed, ``YT: (n_l, n)``, the layout of the workspaces (``Y`` is its view).
    ``kind`` is how accuracy is counted (:func:`fcnn.metrics.accuracy_kind`), None without one.
    """

    def __init__(self, net: Network, X: Array, y: Array, w: Array | None) -> None:
        self.X = as_features(X, net.n_inputs, net.dtype)
        Y, self.labels = as_targets(
            y, self.X.shape[0], net.n_outputs, net.output, net.loss_name, net.dtype
        )
        self.YT = np.ascontiguousarray(Y.T)
        self.w = None if w is None else _weights(w, self.X.shape[0], net.dtype)
        self.kind = accuracy_kind(net.output, net.n_outputs, self.labels)

    @property
    def Y(self) -> Array:
        """The targets ``(n, n_l)``, a view of ``YT``."""
        return self.YT.T

    def __len__(self) -> int:
        return self.X.shape[0]  # a sparse X has no len()

    def rows(self, idx: Array) -> Data:
        """The samples ``idx`` as a new :class:`Data` (copies)."""
        part = object.__new__(Data)
        part.X, part.YT = self.X[idx], self.YT[:, idx]
        part.labels = None if self.labels is None else self.labels[idx]
        part.w = None if self.w is None else self.w[idx]
        part.kind = self.kind
        return part


def _weights(w: Array, n: int, dtype: np.dtype) -> Array:
    w = np.asarray(w, dtype=dtype)
    if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"sample_weight must be {n} finite non-negative numbers, one per sample")
    if not w.any():
        raise ValueError(
            "sample_weight is all zeros, so no sample would count and nothing would be learned; "
            "give at least one positive weight"
        )
    return w


def training_and_validation(
    net: Network,
    X: Array,
    y: Array,
    w: Array | None,
    val_split: float,
    validation_data: tuple | None,
    rng: np.random.Generator,
) -> tuple[Data, Data | None]:
    """The run's training Data and its validation Data: ``val_split`` of the rows drawn by
    ``rng``, or ``validation_data`` ``(X_val, y_val)``, or None; not both."""
    data = Data(net, X, y, w)
    if val_split and validation_data is not None:
        raise ValueError("give validation_data or val_split, not both")
    if val_split:
        return split(data, val_split, rng)
    if validation_data is None:
        return data, None
    return data, Data(net, *as_pair(validation_data, "validation_data"), None)


def validation_rows(n: int, fraction: float) -> int:
    """How many of ``n`` samples :func:`split` holds out for ``fraction``."""
    return int(round(n * fraction))


def split(data: Data, fraction: float, rng: np.random.Generator) -> tuple[Data, Data]:
    """Hold out ``fraction`` of the samples (at random) as a validation set:
    ``(training, validation)``, each in the data's own order."""
    train, val = split_indices(len(data), fraction, rng)
    return data.rows(train), data.rows(val)


def split_indices(n: int, fraction: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """The sorted row indices :func:`split` gives to training and to validation."""
    n_val = validation_rows(n, fraction)
    if n_val < 1 or n_val >= n:
        raise ValueError(
            f"val_split={fraction} of {n} samples leaves {n_val} for validation and "
            f"{n - n_val} for training; both need at least one"
        )
    order = rng.permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])
