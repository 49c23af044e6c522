"""The rules a model file must meet, in ONE place: :func:`fcnn.save` checks them before it
writes and :func:`fcnn.load` before it builds anything, so that save never writes a file that
load refuses, and load never accepts one that save would not write.

The config names its ``sizes``, ``activation``, ``output``, ``loss`` and ``dtype`` (no silent
defaults); class labels are str, int or finite float, never bool; tensors have the shapes the
sizes give, the dtype the config names and finite values; ``feature_scale`` is > 0; and a
forward pass of inputs up to :data:`INPUT_BOUND` in size cannot overflow the model's dtype.
"""

from __future__ import annotations

import math
import reprlib
from typing import Any

import numpy as np

NET_DTYPES = ("float32", "float64")
STATS = ("feature_mean", "feature_scale")
REQUIRED = ("sizes", "activation", "output", "loss", "dtype")
#: the largest input magnitude (after standardisation) whose forward pass must stay finite
INPUT_BOUND = 1e6
_BOUNDED = {"tanh": 1.0, "sigmoid": 1.0}  # activations whose output stays within ±1
_ROWS_PER_CHUNK = 1 << 16  # |W| row sums in chunks: no copy of a large weight matrix


def model_problem(cfg: Any, classes: Any, tensors: dict[str, np.ndarray] | None) -> str | None:
    """What is wrong with a model's config, class labels and tensors, or None (``tensors``
    None: the config and classes only)."""
    problem = config_problem(cfg) or classes_problem(classes, cfg)
    if problem is None and tensors is not None:
        problem = tensor_problem(tensors, cfg["sizes"], cfg["dtype"])
        problem = problem or overflow_problem(tensors, cfg)
    return problem


def config_problem(cfg: Any) -> str | None:
    """What is wrong with the metadata ``config``, or None."""
    if not isinstance(cfg, dict):
        return "metadata 'config' is not a JSON object"
    missing = [key for key in REQUIRED if key not in cfg]
    if missing:
        return f"config has no {', '.join(map(repr, missing))}; a model file names them all"
    sizes, dtype, act = cfg["sizes"], cfg["dtype"], cfg["activation"]
    if not (isinstance(sizes, list) and len(sizes) >= 2):
        return f"config sizes must be a list of >= 2 layer widths, got {reprlib.repr(sizes)}"
    if not all(type(n) is int and n > 0 for n in sizes):
        return f"config sizes must be positive ints, got {reprlib.repr(sizes)}"
    if dtype not in NET_DTYPES:
        return f"config dtype must be one of {NET_DTYPES}, got {reprlib.repr(dtype)}"
    if not (isinstance(act, str) or (isinstance(act, list) and all(type(a) is str for a in act))):
        return f"config activation must be a name or a list of names, got {reprlib.repr(act)}"
    for key in ("output", "loss"):
        if type(cfg[key]) is not str:
            return f"config {key} must be a name, got {reprlib.repr(cfg[key])}"
    return None


def _label_ok(c: Any) -> bool:
    if isinstance(c, bool):
        return False
    return isinstance(c, (str, int)) or (isinstance(c, float) and math.isfinite(c))


def classes_problem(classes: Any, cfg: dict[str, Any]) -> str | None:
    """What is wrong with the class labels of a network (config ``cfg``), or None. A softmax
    or multi-label sigmoid output takes one label per unit; a single sigmoid unit two (or one,
    fitted on a single class); an identity output any labels."""
    if classes is None:
        return None
    if not (isinstance(classes, list) and all(_label_ok(c) for c in classes)):
        return (
            "classes must be null or a list of str, int or finite float labels (no bool, "
            f"NaN or inf), got {reprlib.repr(classes)}"
        )
    output, n_outputs = cfg.get("output"), cfg["sizes"][-1]
    if output == "identity":
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


def tensor_problem(tensors: dict[str, np.ndarray], sizes: list[int], dtype: str) -> str | None:
    """What is wrong with names, shapes (from ``sizes``), dtypes or values, or None."""
    layers = range(1, len(sizes))
    shapes = {f"W{k}": (sizes[k], sizes[k - 1]) for k in layers}
    shapes |= {f"b{k}": (sizes[k],) for k in layers}
    missing = sorted(shapes.keys() - tensors.keys())
    extra = sorted(tensors.keys() - shapes.keys() - set(STATS))
    if missing or extra:
        return f"tensors missing: {reprlib.repr(missing)}, unexpected: {reprlib.repr(extra)}"
    shapes |= {name: (sizes[0],) for name in STATS if name in tensors}
    for name, shape in shapes.items():
        t = tensors[name]
        if t.shape != shape:
            return f"{name} has shape {t.shape}, sizes {reprlib.repr(sizes)} need {shape}"
        allowed = NET_DTYPES if name in STATS else (dtype,)
        if t.dtype.name not in allowed:
            return f"{name} has dtype {t.dtype}, expected {' or '.join(allowed)}"
        if not _all_finite(t):
            return f"{name} holds NaN or infinite values"
    scale = tensors.get("feature_scale")
    if scale is not None and not (scale > 0).all():
        return "feature_scale holds values <= 0; standardisation divides by it"
    return None


def _all_finite(t: np.ndarray) -> bool:
    flat = t.reshape(-1)
    step = _ROWS_PER_CHUNK * 64
    return all(np.isfinite(flat[i : i + step]).all() for i in range(0, flat.size, step))


def _row_abs_sums(W: np.ndarray) -> np.ndarray:
    """Σ_j |W_ij| per row in float64, a chunk of rows at a time."""
    sums = np.empty(len(W))
    for i in range(0, len(W), _ROWS_PER_CHUNK):
        rows = W[i : i + _ROWS_PER_CHUNK]
        np.abs(rows, dtype=np.float64).sum(axis=1, out=sums[i : i + len(rows)])
    return sums


def overflow_problem(tensors: dict[str, np.ndarray], cfg: dict[str, Any]) -> str | None:
    """Whether a forward pass of inputs ``|x| <= INPUT_BOUND`` could overflow the dtype: the
    bound ``B_k = max_i Σ_j |W_ij| B_{k-1} + |b_i|`` of every pre-activation must stay below
    the dtype's largest number (tanh and sigmoid bring it back to 1)."""
    sizes, limit = cfg["sizes"], float(np.finfo(cfg["dtype"]).max) / 16
    acts = cfg["activation"]
    acts = [acts] * (len(sizes) - 2) if isinstance(acts, str) else list(acts)
    bound = INPUT_BOUND
    with np.errstate(over="ignore"):
        for k in range(1, len(sizes)):
            W, b = tensors[f"W{k}"], tensors[f"b{k}"]
            a = float((_row_abs_sums(W) * bound + np.abs(b.astype(np.float64))).max())
            if not a < limit:
                return (
                    f"W{k} and b{k} are too large: an input of size {INPUT_BOUND:g} could "
                    f"reach {a:.3g} in layer {k}, over the {cfg['dtype']} range; the weights "
                    "are corrupt or the model diverged"
                )
            if k < len(sizes) - 1:
                bound = _BOUNDED.get(acts[k - 1], a + 1.0) if k - 1 < len(acts) else a + 1.0
    return None
