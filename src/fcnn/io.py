"""Files: safetensors model files and training checkpoints, written atomically
(``fcnn.atomic``, whose functions are re-exported here).

Nothing here pickles or unpickles. A model file is a safetensors file: tensors ``W1..Wl`` with
``W^(k): (n_k, n_{k-1})`` and ``b1..bl`` with ``b^(k): (n_k,)`` (1-based, seed 002 notation),
optional ``feature_mean``/``feature_scale``: (n_0,), and string metadata ``format``,
``format_version``, ``fcnn_version``, ``config`` (JSON of ``net.config()``) and ``classes`` (JSON).
A checkpoint holds arbitrary named arrays and one JSON ``meta`` string.

Loading reads the bytes, checks the header by hand, then lets safetensors parse, and validates
every name, shape, dtype and value before building anything. Every problem with the file's
content raises :class:`fcnn.errors.ModelFileError`.
"""

from __future__ import annotations

import json
import os
import reprlib
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy

from fcnn.atomic import atomic_path, atomic_write_bytes, atomic_write_text
from fcnn.errors import ModelFileError
from fcnn.network import Network

__all__ = [
    "CHECKPOINT_FORMAT",
    "FORMAT_VERSION",
    "MAX_FILE_BYTES",
    "MAX_HEADER_BYTES",
    "MODEL_FORMAT",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "load",
    "load_checkpoint",
    "save",
    "save_checkpoint",
]

MODEL_FORMAT = "fcnn-model"
CHECKPOINT_FORMAT = "fcnn-checkpoint"
FORMAT_VERSION = "1"
MAX_FILE_BYTES = 2 * 1024**3
MAX_HEADER_BYTES = 100 * 1024**2

_LOADERS = {MODEL_FORMAT: "fcnn.io.load", CHECKPOINT_FORMAT: "fcnn.io.load_checkpoint"}
_NET_DTYPES = ("float32", "float64")
_STATS = ("feature_mean", "feature_scale")
_ARRAY_DTYPES = {np.dtype(t) for t in "? i1 u1 i2 u2 i4 u4 i8 u8 f2 f4 f8".split()}


# ------------------------------------------------------------------- reading untrusted files


def _bad(path: Path, what: str, problem: str) -> ModelFileError:
    return ModelFileError(f"bad {what} file {path}: {problem}")


def _read_bytes(path: Path, what: str) -> bytes:
    """The whole file, refusing a missing path, a folder or more than ``MAX_FILE_BYTES``."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            data = f.read(MAX_FILE_BYTES + 1) if size <= MAX_FILE_BYTES else b""
    except FileNotFoundError as exc:
        raise ModelFileError(f"no such {what} file: {path}") from exc
    except IsADirectoryError as exc:
        raise ModelFileError(f"{path} is a folder, not a {what} file") from exc
    if size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
        raise _bad(path, what, f"over the {MAX_FILE_BYTES}-byte limit; refusing to read it")
    return data


def _read_metadata(data: bytes, path: Path, what: str, fmt: str) -> dict[str, str]:
    """Check the 8-byte header length and the header JSON by hand; return ``__metadata__``."""
    if len(data) < 8:
        raise _bad(path, what, f"too short to be a safetensors file ({len(data)} bytes)")
    if data[8:9] != b"{":  # a safetensors header is a JSON object: it starts with "{"
        raise ModelFileError(
            f"not an fcnn {what} file: {path} is not a safetensors file (no safetensors "
            f"header); give a {what} file written by fcnn"
        )
    n = int.from_bytes(data[:8], "little")
    if n > MAX_HEADER_BYTES:
        raise _bad(path, what, f"header too large ({n} bytes, limit {MAX_HEADER_BYTES})")
    if 8 + n > len(data):
        raise _bad(path, what, f"truncated: header needs {n} bytes, {len(data) - 8} follow")
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise _bad(path, what, f"header is not valid JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise _bad(path, what, "header is not a JSON object")
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise ModelFileError(f"not an fcnn {what} file: {path} has no fcnn metadata")
    found = meta.get("format")
    if found != fmt:
        hint = f"; open it with {_LOADERS[found]}" if found in _LOADERS else ""
        raise ModelFileError(
            f"not an fcnn {what} file: {path} has format {reprlib.repr(found)}, "
            f"expected {fmt!r}{hint}"
        )
    version = meta.get("format_version")
    if version is None:
        raise _bad(path, what, "metadata has no 'format_version'")
    if version != FORMAT_VERSION:
        problem = f"format_version {reprlib.repr(version)} is not {FORMAT_VERSION!r}"
        raise _bad(path, what, f"{problem}; a newer fcnn may read it, upgrade fcnn")
    return meta


def _read_tensors(data: bytes, path: Path, what: str) -> dict[str, np.ndarray]:
    try:
        return safetensors.numpy.load(data)
    except Exception as exc:  # safetensors raises SafetensorError, KeyError, ValueError, ...
        raise _bad(path, what, f"corrupted tensor data ({type(exc).__name__}: {exc})") from exc


def _json_field(meta: dict[str, str], key: str, path: Path, what: str) -> Any:
    if key not in meta:
        raise _bad(path, what, f"metadata has no {key!r}")
    try:
        return json.loads(meta[key])
    except (ValueError, RecursionError) as exc:
        raise _bad(path, what, f"metadata {key!r} is not valid JSON ({exc})") from exc


def _fcnn_version() -> str:
    import fcnn

    if getattr(fcnn, "__version__", None) is not None:
        return str(fcnn.__version__)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fcnn")
    except PackageNotFoundError:
        return "unknown"


def _contiguous(a: np.ndarray) -> np.ndarray:
    """safetensors writes raw memory: it must be C-contiguous and little-endian."""
    return a.astype(a.dtype.newbyteorder("<"), order="C", copy=False)


# ------------------------------------------------------------------------------------- model files


def _stat_tensor(net: Network, name: str) -> np.ndarray:
    """``net.feature_mean`` or ``net.feature_scale`` as a float (n_0,) tensor, checked."""
    t = np.asarray(getattr(net, name))
    if t.dtype.name not in _NET_DTYPES:
        t = t.astype(net.dtype)
    if t.shape != (net.sizes[0],) or not np.all(np.isfinite(t)):
        raise ValueError(f"net.{name} must hold {net.sizes[0]} finite numbers, got {t.shape}")
    return _contiguous(t)


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
        tensors[f"W{k}"] = _contiguous(W)
        tensors[f"b{k}"] = _contiguous(b)
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
    metadata = {
        "format": MODEL_FORMAT,
        "format_version": FORMAT_VERSION,
        "fcnn_version": _fcnn_version(),
        "config": json.dumps(net.config()),
        "classes": classes_json,
    }
    atomic_write_bytes(path, safetensors.numpy.save(tensors, metadata=metadata))


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
    if classes is None or output in ("identity", "exp"):
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
    data = _read_bytes(path, "model")
    meta = _read_metadata(data, path, "model", MODEL_FORMAT)
    cfg = _json_field(meta, "config", path, "model")
    classes = _json_field(meta, "classes", path, "model")
    problem = _config_problem(cfg, classes)
    if problem is None:
        tensors = _read_tensors(data, path, "model")
        problem = _tensor_problem(tensors, cfg["sizes"], cfg["dtype"])
    if problem is not None:
        raise _bad(path, "model", problem)
    try:
        net = Network.from_config(cfg)
    except (ValueError, TypeError, KeyError) as exc:
        raise _bad(path, "model", f"invalid config: {exc}") from exc
    for k, (W, b) in enumerate(zip(net.weights, net.biases, strict=True), start=1):
        W[...] = tensors[f"W{k}"]
        b[...] = tensors[f"b{k}"]
    net.classes = classes
    net.feature_mean = tensors.get("feature_mean")
    net.feature_scale = tensors.get("feature_scale")
    return net


# ------------------------------------------------------------------------------------- checkpoints


def _meta_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        raise TypeError("put arrays in `arrays`, not in `meta`")
    raise TypeError(f"{type(obj).__name__} is not JSON-able")


def save_checkpoint(
    path: str | os.PathLike[str], arrays: dict[str, np.ndarray], meta: dict[str, Any]
) -> None:
    """Save training state atomically: named ``arrays`` as tensors and ``meta`` as one JSON string.

    ``arrays``: name -> ndarray of a bool, int or float dtype, any shape (``"params"``,
    ``"optim.m"``, ``"perm"``, ...). ``meta``: a dict of JSON-able values; big ints (such as
    ``Generator.bit_generator.state``), nested dicts and NaN/inf floats survive exactly, tuples
    come back as lists and NumPy scalars as Python scalars.
    """
    if not isinstance(meta, dict):
        raise ValueError(f"meta must be a dict, got {type(meta).__name__}")
    tensors = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name or name == "__metadata__":
            raise ValueError(f"array name {name!r} is not allowed; use a non-empty string")
        if not isinstance(value, np.ndarray) or value.dtype.newbyteorder("<") not in _ARRAY_DTYPES:
            kind = getattr(value, "dtype", type(value).__name__)
            raise ValueError(f"arrays[{name!r}] must be a bool/int/float ndarray, got {kind}")
        tensors[name] = _contiguous(value)
    try:
        meta_json = json.dumps(meta, default=_meta_default)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"checkpoint meta must be JSON-able: {exc}") from exc
    metadata = {
        "format": CHECKPOINT_FORMAT,
        "format_version": FORMAT_VERSION,
        "fcnn_version": _fcnn_version(),
        "meta": meta_json,
    }
    atomic_write_bytes(path, safetensors.numpy.save(tensors, metadata=metadata))


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Load ``(arrays, meta)`` written by :func:`save_checkpoint`; ``ModelFileError`` if bad."""
    path = Path(path)
    data = _read_bytes(path, "checkpoint")
    meta = _read_metadata(data, path, "checkpoint", CHECKPOINT_FORMAT)
    state = _json_field(meta, "meta", path, "checkpoint")
    if not isinstance(state, dict):
        raise _bad(path, "checkpoint", "metadata 'meta' is not a JSON object")
    return _read_tensors(data, path, "checkpoint"), state
