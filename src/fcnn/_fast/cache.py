"""Workspaces kept between fits of the same network, so that a loop of short fits (a
warm start, scikit-learn's ``partial_fit``) does not build its batches and compile its steps
again every call.

A run takes its batches with :func:`take` and hands them back with :func:`give_back` when it
ends; while a run holds a batch nobody else gets it (a callback that fits the same network
builds its own). The cache belongs to the network object but lives here, in a
``WeakKeyDictionary``: it dies with the network and never travels with it (a network pickles
without it). It is dropped when the network's parameter array is replaced, and each batch is
keyed by everything its arrays depend on: the network's shape, dtype, functions and
reduction, the batch size and layout, and whether the data have labels and weights.

A batch comes back with its rate reset (``Workspace.set_rate(1.0)``, its state when built),
so the next run may choose another step; the compiled steps it holds stay valid, being bound
to the batch's own arrays and the network's parameter views.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .batch import Batch

if TYPE_CHECKING:
    from ..data.training import Data
    from ..network import Network

# batch sizes kept per network: a run uses at most three (batch, tail, validation)
MAX_KEYS = 6
_lock = threading.Lock()
_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _key(net: Network, B: int, data: Data, rows: bool) -> tuple:
    shape = (tuple(net.sizes), net.dtype.str, tuple(net.activations), net.output)
    shape += (net.loss_name, net.reduction)
    return shape + (B, rows, data.labels is None, data.w is None, data.kind)


def take(net: Network, B: int, data: Data, rows: bool = False) -> Batch:
    """A batch of ``B`` samples for ``net`` and data like ``data``: one a finished run gave
    back, or a new one. Its contents are stale: gather into it before use."""
    key = _key(net, B, data, rows)
    with _lock:
        entry = _cache.get(net)
        pool = None if entry is None or entry[0] is not net.params else entry[1].get(key)
        ws = pool.pop() if pool else None
    if ws is None:
        ws = Batch(net, B, data, rows)
        ws.cache_key = key
    else:
        ws.set_rate(1.0)
    return ws


def give_back(net: Network, batches: Iterable[Batch | None]) -> None:
    """Keep ``batches`` (taken for ``net`` with :func:`take`) for the network's next run."""
    with _lock:
        entry = _cache.get(net)
        if entry is None or entry[0] is not net.params:  # new parameters: the old batches go
            entry = _cache[net] = (net.params, {})
        pools = entry[1]
        for ws in batches:
            key = getattr(ws, "cache_key", None)
            if key is None:
                continue
            if key in pools or len(pools) < MAX_KEYS:
                pools[key] = [ws]  # one batch per key: the latest


def clear(net: Network) -> None:
    """Drop the batches kept for ``net``."""
    with _lock:
        _cache.pop(net, None)
