"""Model files: a trained ``Network`` as a safetensors file, and back.

Tensors ``W1..Wl`` with ``W^(k): (n_k, n_{k-1})`` and ``b1..bl`` with ``b^(k): (n_k,)`` (1-based,
seed 002 notation), optional ``feature_mean``/``feature_scale``: (n_0,), and string metadata
``format``, ``format_version``, ``fcnn_version``, ``config`` (JSON of ``net.config()``) and
``classes`` (JSON). Loading validates every name, shape, dtype and value before building
anything (:mod:`fcnn.storage.container` checks the header first).
"""

from __future__ import annotations

import json
import os

import numpy as np

from ..network import Network
from .container import MODEL_FORMAT, contiguous, write
from .model_reader import load_model
from .model_rules import STATS, model_problem


def save(net: Network, path: str | os.PathLike[str]) -> None:
    """Save ``net`` to ``path`` as a safetensors model file, atomically.

    Tensors: ``W{k}``: (n_k, n_{k-1}) and ``b{k}``: (n_k,) for k = 1..l, plus ``feature_mean``
    and ``feature_scale``: (n_0,) when set. Raises ``ValueError`` for a network with NaN or
    infinite parameters or with ``classes`` that do not fit its outputs (such a file could not
    be loaded) and ``OSError`` if writing fails.
    """
    if not np.all(np.isfinite(net.params)):
        raise ValueError("network has NaN or infinite parameters; refusing to save it")
    tensors = {}
    for k, (W, b) in enumerate(zip(net.weights, net.biases, strict=True), start=1):
        tensors[f"W{k}"] = contiguous(W)
        tensors[f"b{k}"] = contiguous(b)
    for name in STATS:
        if getattr(net, name, None) is not None:
            t = np.asarray(getattr(net, name))
            t = t if t.dtype.name in ("float32", "float64") else t.astype(net.dtype)
            tensors[name] = contiguous(t)
    classes = net.classes
    if classes is not None:
        classes = [c.item() if isinstance(c, np.generic) else c for c in classes]
    try:
        classes_json = json.dumps(classes, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"net.classes must hold str, int or finite float labels: {exc}") from exc
    # the very rules load checks (fcnn.storage.model_rules), on what would be written
    problem = model_problem(net.config(), json.loads(classes_json), tensors)
    if problem is not None:
        raise ValueError(f"{problem}; refusing to save this network")
    write(
        path, tensors, MODEL_FORMAT, {"config": json.dumps(net.config()), "classes": classes_json}
    )


def load(path: str | os.PathLike[str]) -> Network:
    """Load a model file written by :func:`save`, checking it before trusting any of it.

    Raises ``ModelFileError`` (a ``ValueError``) if the file is missing, truncated, corrupted,
    foreign (no fcnn metadata), a checkpoint, or inconsistent: tensor names, shapes against
    ``config["sizes"]``, dtypes against ``config["dtype"]``, NaN/inf values, unknown names in
    the config, class labels that are duplicated or do not fit the output layer. Other
    ``OSError`` (no permission to read) pass through.
    """
    return load_model(path)
