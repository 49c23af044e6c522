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
import reprlib
from pathlib import Path
from typing import Any

import numpy as np

from ..network import Network
from .container import MODEL_FORMAT, bad, contiguous, json_field, read, read_tensors, write

_NET_DTYPES = ("float32", "float64")
_STATS = ("feature_mean", "feature_scale")


def _stat_tensor(net: Network, name: str) -> np.ndarray:
    """``net.feature_mean`` or ``net.feature_scale`` as a float (n_0,) tensor, checked."""
    t = np.asarray(getattr(net, name))
    if t.dtype.name not in _NET_DTYPES:
        t = t.astype(net.dtype)
    if t.shape != (net.sizes[0],) or not np.all(np.isfinite(t)):
        raise ValueError(f"net.{name} must hold {net.sizes[0]} finite numbers, got {t.shape}")
    return contiguous(t)


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
    for name in _STATS:
        if getattr(net, name, None) is not None:
            tensors[name] = _stat_tensor(net, name)
    classes = net.classes
    if classes is not None:
        classes = [c.item() if isinstance(c, np.generic) else c for c in classes]
    try:
        classes_json = json.dumps(classes)
    except TypeError as exc:
        raise ValueError(f"net.classes must hold str, int or float labels: {exc}") from exc
    problem = _config_problem(net.config(), json.loads(classes_json))  # what load checks
    if problem is not None:
        raise ValueError(f"net.classes does not fit the network: {problem}; refusing to save it")
    write(
        path, tensors, MODEL_FORMAT, {"config": json.dumps(net.config()), "classes": classes_json}
    )


def _config_problem(cfg: Any, classes: Any) -> str | None:
    """What is wrong with the config and classes metadata, or None."""
    if not isinstance(cfg, dict):
        return "metadata 'config' is not a JSON object"
    sizes, dtype = cfg.get("sizes"), cfg.get("dtype")
    if not (isinstance(sizes, list) and len(sizes) >= 2):
        return f"config sizes must be a list of >= 2 layer widths, got {reprlib.repr(sizes)}"
    if not all(type(n) is int and n > 0 for n in sizes):
        return f"config sizes must be positive ints, got {reprlib.repr(sizes)}"
    if dtype not in _NET_DTYPES:
        return f"config dtype must be one of {_NET_DTYPES}, got {reprlib.repr(dtype)}"
    if classes is not None and not (
        isinstance(classes, list) and all(isinstance(c, (str, int, float)) for c in classes)
    ):
        return f"classes must be null or a list of labels, got {reprlib.repr(classes)}"
    return _classes_problem(classes, cfg.get("output"), sizes[-1])


def _classes_problem(classes: list | None, output: Any, n_outputs: int) -> str | None:
    """What is wrong with the class labels of a network with ``n_outputs`` ``output`` units,
    or None. A softmax or multi-label sigmoid output takes one label per unit; a single sigmoid
    unit two (or one, fitted on a single class); an identity output any labels."""
    if classes is None or output == "identity":
        return None
    if len(set(classes)) < len(classes) or len(set(map(str, classes))) < len(classes):
        return f"classes holds duplicate labels: {reprlib.repr(classes)}"
    allowed = (1, 2) if output == "sigmoid" and n_outputs == 1 else (n_outputs,)
    if len(classes) not in allowed:
        need = " or ".join(map(str, allowed))
        return (
            f"{len(classes)} class labels for {n_outputs} {output} output units (need {need}): "
            f"{reprlib.repr(classes)}"
        )
    return None


def _tensor_problem(tensors: dict[str, np.ndarray], sizes: list[int], dtype: str) -> str | None:
    """What is wrong with names, shapes (from ``sizes``), dtypes or values, or None."""
    layers = range(1, len(sizes))
    shapes = {f"W{k}": (sizes[k], sizes[k - 1]) for k in layers}
    shapes |= {f"b{k}": (sizes[k],) for k in layers}
    missing = sorted(shapes.keys() - tensors.keys())
    extra = sorted(tensors.keys() - shapes.keys() - set(_STATS))
    if missing or extra:
        return f"tensors missing: {reprlib.repr(missing)}, unexpected: {reprlib.repr(extra)}"
    shapes |= {name: (sizes[0],) for name in _STATS if name in tensors}
    for name, shape in shapes.items():
        t = tensors[name]
        if t.shape != shape:
            return f"{name} has shape {t.shape}, sizes {reprlib.repr(sizes)} need {shape}"
        allowed = _NET_DTYPES if name in _STATS else (dtype,)
        if t.dtype.name not in allowed:
            return f"{name} has dtype {t.dtype}, expected {' or '.join(allowed)}"
        if not np.all(np.isfinite(t)):
            return f"{name} holds NaN or infinite values"
    return None


def load(path: str | os.PathLike[str]) -> Network:
    """Load a model file written by :func:`save`, checking it before trusting any of it.

    Raises ``ModelFileError`` (a ``ValueError``) if the file is missing, truncated, corrupted,
    foreign (no fcnn metadata), a checkpoint, or inconsistent: tensor names, shapes against
    ``config["sizes"]``, dtypes against ``config["dtype"]``, NaN/inf values, unknown names in
    the config, class labels that are duplicated or do not fit the output layer. Other
    ``OSError`` (no permission to read) pass through.
    """
    path = Path(path)
    data, meta = read(path, "model", MODEL_FORMAT)
    cfg = json_field(meta, "config", path, "model")
    classes = json_field(meta, "classes", path, "model")
    problem = _config_problem(cfg, classes)
    if problem is None:
        tensors = read_tensors(data, path, "model")
        problem = _tensor_problem(tensors, cfg["sizes"], cfg["dtype"])
    if problem is not None:
        raise bad(path, "model", problem)
    try:
        net = Network.from_config(cfg)
    except (ValueError, TypeError, KeyError) as exc:
        raise bad(path, "model", f"invalid config: {exc}") from exc
    for k, (W, b) in enumerate(zip(net.weights, net.biases, strict=True), start=1):
        W[...] = tensors[f"W{k}"]
        b[...] = tensors[f"b{k}"]
    net.classes = classes
    net.feature_mean = tensors.get("feature_mean")
    net.feature_scale = tensors.get("feature_scale")
    return net
