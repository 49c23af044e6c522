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
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import losses

NET_DTYPES = ("float32", "float64")
STATS = ("feature_mean", "feature_scale")
REQUIRED = ("sizes", "activation", "output", "loss", "dtype")
#: the largest input magnitude (after standardisation) whose forward pass must stay finite
INPUT_BOUND = 1e6
_BOUNDED = {"tanh": 1.0, "sigmoid": 1.0}  # activations whose output stays within ±1
_BLOCK = 1 << 20  # elements per block of a check: no copy of a large weight matrix


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
    if output in losses.REGRESSION_OUTPUTS:  # regression outputs take any labels
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
    return layout_problem(tensors, sizes, dtype) or value_problem(tensors)


def layout_problem(specs: dict[str, Any], sizes: list[int], dtype: str) -> str | None:
    """What is wrong with the tensors' names, shapes (from ``sizes``) or dtypes, or None;
    ``specs`` maps names to anything with ``shape`` and ``dtype`` (arrays, or a file's
    header entries before their data are read)."""
    layers = range(1, len(sizes))
    shapes = {f"W{k}": (sizes[k], sizes[k - 1]) for k in layers}
    shapes |= {f"b{k}": (sizes[k],) for k in layers}
    missing = sorted(shapes.keys() - specs.keys())
    extra = sorted(specs.keys() - shapes.keys() - set(STATS))
    if missing or extra:
        return f"tensors missing: {reprlib.repr(missing)}, unexpected: {reprlib.repr(extra)}"
    shapes |= {name: (sizes[0],) for name in STATS if name in specs}
    for name, shape in shapes.items():
        t = specs[name]
        if tuple(t.shape) != shape:
            return f"{name} has shape {tuple(t.shape)}, sizes {reprlib.repr(sizes)} need {shape}"
        allowed = NET_DTYPES if name in STATS else (dtype,)
        if t.dtype.name not in allowed:
            return f"{name} has dtype {t.dtype}, expected {' or '.join(allowed)}"
    return None


def value_problem(tensors: dict[str, np.ndarray]) -> str | None:
    """NaN or infinite values, or a ``feature_scale`` not > 0, or None."""
    for name, t in tensors.items():
        if not _all_finite(t):
            return f"{name} holds NaN or infinite values"
    scale = tensors.get("feature_scale")
    if scale is not None and not (scale > 0).all():
        return "feature_scale holds values <= 0; standardisation divides by it"
    return None


def _blocks(t: np.ndarray) -> Iterator[np.ndarray]:
    """``t`` (any strides) as 2-D blocks of at most ``_BLOCK`` elements: views, no copies."""
    rows = t.reshape(1, -1) if t.ndim < 2 else t.reshape(len(t), -1) if t.ndim > 2 else t
    width = max(rows.shape[1], 1)
    if width >= _BLOCK:  # wide rows: a block of columns of one row at a time
        for i in range(len(rows)):
            for j in range(0, width, _BLOCK):
                yield rows[i : i + 1, j : j + _BLOCK]
        return
    step = _BLOCK // width
    for i in range(0, len(rows), step):
        yield rows[i : i + step]


def _all_finite(t: np.ndarray) -> bool:
    return all(np.isfinite(block).all() for block in _blocks(t))


def _bound(W: np.ndarray, b: np.ndarray, h: float) -> float:
    """max_i Σ_j |W_ij| h + |b_i| in float64, a block of rows at a time (no copy of W)."""
    best = 0.0
    if W.shape[1] >= _BLOCK:  # wide rows: each row's sum from blocks of its columns
        for i in range(len(W)):
            row = sum(float(np.abs(x, dtype=np.float64).sum()) for x in _blocks(W[i : i + 1]))
            best = max(best, row * h + abs(float(b[i])))
        return best
    step = _BLOCK // max(W.shape[1], 1)
    for i in range(0, len(W), step):
        sums = np.abs(W[i : i + step], dtype=np.float64).sum(axis=1)
        sums *= h
        sums += np.abs(b[i : i + step], dtype=np.float64)
        best = max(best, float(sums.max(initial=0.0)))
    return best


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
            a = _bound(W, b, bound)
            if not a < limit:
                return (
                    f"W{k} and b{k} are too large: an input of size {INPUT_BOUND:g} could "
                    f"reach {a:.3g} in layer {k}, over the {cfg['dtype']} range; the weights "
                    "are corrupt or the model diverged"
                )
            if k < len(sizes) - 1:
                bound = _BOUNDED.get(acts[k - 1], a + 1.0) if k - 1 < len(acts) else a + 1.0
    return None
