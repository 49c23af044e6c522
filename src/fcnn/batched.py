"""Forward passes and losses in batches of rows, so that memory stays bounded whatever the
number of samples: a workspace holds every layer's activations for its batch, ``B x Σ n_k``
numbers, which for a wide layer and many samples would not fit (200 samples through a
5,000,000-unit layer: 8 GB at once). ``Network.forward`` always goes through :func:`forward`
(one batch for a small input), ``Network.loss_parts`` through :func:`loss_parts` for inputs
larger than one batch; so do ``fcnn evaluate`` and ``fcnn predict``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._inputs import as_targets

if TYPE_CHECKING:
    from .network import Network

#: the memory one batch's workspace may take
BATCH_BYTES = 256 * 2**20


def rows_per_batch(net: Network, budget: int | None = None) -> int:
    """How many samples a workspace of ``net`` holds within ``budget`` bytes (default
    :data:`BATCH_BYTES`), at least 1."""
    budget = BATCH_BYTES if budget is None else budget
    per_row = 3 * (sum(net.sizes) + len(net.sizes)) * net.dtype.itemsize
    return max(1, budget // per_row)


def _spans(n: int, step: int):
    return ((i, min(i + step, n)) for i in range(0, n, step))


def forward(net: Network, X: np.ndarray, output: bool = True) -> np.ndarray:
    """``net.forward(X)`` (or the logits with ``output=False``): ``(n_samples, n_l)``, one
    batch of :func:`rows_per_batch` rows at a time. ``X`` is validated features."""
    n = X.shape[0]
    out = np.empty((n, net.n_outputs), net.dtype)
    for i, j in _spans(n, rows_per_batch(net)):
        ws = net._workspace_for(X[i:j])  # dense rows copied in, sparse ones kept sparse
        net._forward(ws, output=output)
        out[i:j] = (ws.P if output else ws.A[-1]).T
    return out


def loss_parts(net: Network, X: np.ndarray, y: np.ndarray, l2: float) -> dict[str, float]:
    """``net.loss_parts(X, y, l2)`` one batch at a time: each batch's parts weighted by its
    share of the samples (``reduction="mean"``) or summed (``"sum"``)."""
    n = X.shape[0]
    Y, _ = as_targets(y, n, net.n_outputs, net.output, net.loss_name, net.dtype)
    totals: dict[str, float] = {}
    for i, j in _spans(n, rows_per_batch(net)):
        ws = net._workspace_for(X[i:j])
        parts = net._loss_parts(ws, np.ascontiguousarray(Y[i:j].T))
        weight = (j - i) / n if net.reduction == "mean" else 1.0
        for name, value in parts.items():
            totals[name] = totals.get(name, 0.0) + value * weight
    if l2:
        totals["l2"] = net.l2_penalty(l2)
    return totals
