"""A training batch: a workspace plus room for the batch's targets, labels and weights, the
gather that copies samples into it, and the accuracy count of its outputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..metrics import correct
from .sparse import is_sparse
from .workspace import Workspace

if TYPE_CHECKING:
    from ..data.training import Data
    from ..network import Network

Array = np.ndarray


class Batch(Workspace):
    """A workspace with the batch's targets ``Y: (n_l, B)``, labels and weights; ``rows=True``
    for one that gathers a new mini-batch every step (see :class:`Workspace`)."""

    def __init__(self, net: Network, B: int, data: Data, rows: bool = False) -> None:
        super().__init__(net, B, rows, sparse=is_sparse(data.X))
        self.Y = np.empty((net.n_outputs, B), net.dtype)
        self.labels = None if data.labels is None else np.empty(B, np.int64)
        self.w = None if data.w is None else np.empty(B, net.dtype)
        self.kind = data.kind
        # two classes: class 1 wins the argmax only where P[1] > P[0]; compared, without
        # temporaries, with the labels as booleans (label == 1), set by gather
        self._two_classes = self.kind == "argmax" and len(self.P) == 2
        self._hit, self._label_is_1 = np.empty(B, bool), np.empty(B, bool)
        self._pred = np.empty(B, np.intp)
        self._rows: Array | None = None  # contiguous room for gathered feature rows
        self.correct = self._counter()

    def _counter(self) -> Callable[[], int]:
        """``correct()``: :func:`fcnn.metrics.correct` of ``P``, with the arrays bound once."""
        P, labels, hit = self.P, self.labels, self._hit
        count_nonzero, equal = np.count_nonzero, np.equal
        if self._two_classes:
            P1, P0, greater, label_is_1 = P[1], P[0], np.greater, self._label_is_1

            def count_pair() -> int:  # argmax of two entries, ties to the first
                return int(count_nonzero(equal(greater(P1, P0, out=hit), label_is_1, out=hit)))

            return count_pair
        if self.kind == "argmax":
            pred = self._pred

            def count_argmax() -> int:
                return int(count_nonzero(equal(P.argmax(axis=0, out=pred), labels, out=hit)))

            return count_argmax
        return lambda: correct(self.kind, P, labels, self.Y)

    def gather(self, data: Data, idx: Array | None) -> None:
        """Copy samples ``idx`` of the data (all when ``idx`` is None) into the batch."""
        if self.sparse:  # the rows of the CSR matrix (all of them: no copy)
            self.Xs = data.X if idx is None else data.X[idx]
        if idx is None:
            if self.sparse:
                self.Y[...] = data.YT
            else:
                self.X[...], self.Y[...] = data.X, data.YT
            if self.labels is not None:
                self.labels[...] = data.labels
            if self.w is not None:
                self.w[...] = data.w
        else:
            # ndarray.take into kept buffers; idx is a slice of a permutation, so mode="clip"
            # skips the bounds-checked copy. X sits beside the column of ones, not contiguous:
            # take into contiguous rows, then copy
            if not self.sparse:
                if self._rows is None:
                    self._rows = np.empty(self.X.shape, self.X.dtype)
                data.X.take(idx, 0, self._rows, "clip")
                np.copyto(self.X, self._rows)
            data.YT.take(idx, 1, self.Y, "clip")
            if self.labels is not None:
                data.labels.take(idx, 0, self.labels, "clip")
            if self.w is not None:
                data.w.take(idx, 0, self.w, "clip")
        if self._two_classes:
            np.equal(self.labels, 1, out=self._label_is_1)
