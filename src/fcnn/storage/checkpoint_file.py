"""Checkpoint files: named arrays of any shape and one JSON ``meta`` string, in the same
safetensors container as model files (:mod:`fcnn.storage.container`), written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .container import CHECKPOINT_FORMAT, bad, contiguous, json_field, read, read_tensors, write

_ARRAY_DTYPES = {np.dtype(t) for t in "? i1 u1 i2 u2 i4 u4 i8 u8 f2 f4 f8".split()}


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
        tensors[name] = contiguous(value)
    try:
        meta_json = json.dumps(meta, default=_meta_default)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"checkpoint meta must be JSON-able: {exc}") from exc
    write(path, tensors, CHECKPOINT_FORMAT, {"meta": meta_json})


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Load ``(arrays, meta)`` written by :func:`save_checkpoint`; ``ModelFileError`` if bad."""
    path = Path(path)
    data, meta = read(path, "checkpoint", CHECKPOINT_FORMAT)
    state = json_field(meta, "meta", path, "checkpoint")
    if not isinstance(state, dict):
        raise bad(path, "checkpoint", "metadata 'meta' is not a JSON object")
    return read_tensors(data, path, "checkpoint"), state
