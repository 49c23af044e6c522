"""Batches for the training loop: validated data, and workspaces the batches are gathered into.

Only indices are shuffled; each batch is copied (``np.take(..., out=)``) into a preallocated
workspace, so an epoch never copies the whole data set.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._inputs import as_features, as_targets
from .network import Network
from .workspace import Workspace

Array = np.ndarray


def accuracy_kind(output: str, n_outputs: int, labels: Array | None) -> str | None:
    if labels is not None:
        return "binary" if n_outputs == 1 else "argmax"
    return "subset" if output == "sigmoid" else None


def correct(kind: str | None, P: Array, labels: Array | None, Y: Array) -> int:
    """Number of correctly classified samples (columns) of ``P: (l, B)``, as plain formulas;
    ``Batch.correct`` counts the argmax kind its own, faster way (tests/test_fastpath.py)."""
    if kind == "argmax":
        return int(np.count_nonzero(P.argmax(axis=0) == labels))
    if kind == "binary":
        return int(np.count_nonzero((P[0] > 0.5) == (labels > 0)))
    if kind == "subset":
        return int(np.count_nonzero(((P > 0.5) == (Y > 0.5)).all(axis=0)))
    return 0


class Data:
    """Validated features, targets, labels and sample weights, gathered into workspaces.

    ``X: (n, n_0)`` keeps the API's layout (a batch is gathered row by row); the targets are
    kept transposed, ``YT: (n_l, n)``, the layout of the workspaces (``Y`` is its view).
    """

    def __init__(self, net: Network, X: Array, y: Array, w: Array | None) -> None:
        self.X = as_features(X, net.n_inputs, net.dtype)
        Y, self.labels = as_targets(
            y, len(self.X), net.n_outputs, net.output, net.loss_name, net.dtype
        )
        self.YT = np.ascontiguousarray(Y.T)
        self.w = None if w is None else _weights(w, len(self.X), net.dtype)
        self.kind = accuracy_kind(net.output, net.n_outputs, self.labels)

    @property
    def Y(self) -> Array:
        """The targets ``(n, n_l)``, a view of ``YT``."""
        return self.YT.T

    def __len__(self) -> int:
        return len(self.X)


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


class Batch(Workspace):
    """A workspace plus room for the batch's targets ``Y: (n_l, B)``, labels and weights;
    ``rows=True`` for one that gathers a new mini-batch every step (see :class:`Workspace`)."""

    def __init__(self, net: Network, B: int, data: Data, rows: bool = False) -> None:
        super().__init__(net, B, rows)
        # the targets above a row of -1 (see Workspace.Z_ext)
        self.Y_ext = np.full((net.n_outputs + 1, B), -1, net.dtype)
        self.Y = self.Y_ext[:-1]
        self.labels = None if data.labels is None else np.empty(B, np.int64)
        self.w = None if data.w is None else np.empty(B, net.dtype)
        self.kind = data.kind
        # two classes: class 1 wins the argmax only where P[1] > P[0]; compared, without
        # temporaries, with the labels as booleans (label == 1), set by gather
        self._two_classes = self.kind == "argmax" and len(self.P) == 2
        self._hit, self._label_is_1 = np.empty(B, bool), np.empty(B, bool)
        self._pred = np.empty(B, np.intp)  # argmax of each column, without a new array
        self._rows: Array | None = None  # contiguous room for gathered feature rows
        self.correct = self._counter()

    def _counter(self) -> Callable[[], int]:
        """``correct()``: the number of correctly classified samples in ``P``, as
        :func:`correct` counts them, with the arrays bound once (it runs every step)."""
        P, labels, hit = self.P, self.labels, self._hit
        count_nonzero, equal = np.count_nonzero, np.equal
        if self._two_classes:
            P1, P0, greater, label_is_1 = P[1], P[0], np.greater, self._label_is_1

            def count_pair() -> int:
                # argmax of two entries, ties to the first, without np.argmax's cost. A Python
                # int: a NumPy integer would make every later sum and quotient a NumPy scalar
                # operation (0.75 µs each instead of 0.02)
                return int(count_nonzero(equal(greater(P1, P0, out=hit), label_is_1, out=hit)))

            return count_pair
        if self.kind == "argmax":
            pred = self._pred

            def count_argmax() -> int:  # into kept buffers: 4.3 -> 2.4 µs for 10 x 128
                return int(count_nonzero(equal(P.argmax(axis=0, out=pred), labels, out=hit)))

            return count_argmax
        return lambda: correct(self.kind, P, labels, self.Y)

    def gather(self, data: Data, idx: Array | None) -> None:
        """Copy samples ``idx`` of the data (all when ``idx`` is None) into the batch."""
        if idx is None:
            self.X[...], self.Y[...] = data.X, data.YT
            if self.labels is not None:
                self.labels[...] = data.labels
            if self.w is not None:
                self.w[...] = data.w
        else:
            # ndarray.take, not np.take: its Python wrapper costs a microsecond a call. idx is a
            # slice of a permutation, so mode="clip" skips the bounds-checked copy of the output
            if self._rows is None:
                self._rows = np.empty(self.X.shape, self.X.dtype)
            # X sits beside the column of ones, so it is not contiguous, and take would
            # allocate a buffer for it every batch: take into a kept one, then copy
            # (MNIST rows: 21 -> 15 us a batch)
            data.X.take(idx, 0, self._rows, "clip")
            np.copyto(self.X, self._rows)
            data.YT.take(idx, 1, self.Y, "clip")
            if self.labels is not None:
                data.labels.take(idx, 0, self.labels, "clip")
            if self.w is not None:
                data.w.take(idx, 0, self.w, "clip")
        if self._two_classes:
            np.equal(self.labels, 1, out=self._label_is_1)


def validation_rows(n: int, fraction: float) -> int:
    """How many of ``n`` samples :func:`split` holds out for ``fraction``."""
    return int(round(n * fraction))


def split(data: Data, fraction: float, rng: np.random.Generator) -> tuple[Data, Data]:
    """Hold out ``fraction`` of the samples (at random) as a validation set."""
    n = len(data)
    n_val = validation_rows(n, fraction)
    if n_val < 1 or n_val >= n:
        raise ValueError(
            f"val_split={fraction} of {n} samples leaves {n_val} for validation and "
            f"{n - n_val} for training; both need at least one"
        )
    order = rng.permutation(n)
    parts = []
    for idx in (np.sort(order[n_val:]), np.sort(order[:n_val])):
        part = object.__new__(Data)
        part.X, part.YT = data.X[idx], data.YT[:, idx]
        part.labels = None if data.labels is None else data.labels[idx]
        part.w = None if data.w is None else data.w[idx]
        part.kind = data.kind
        parts.append(part)
    return parts[0], parts[1]
