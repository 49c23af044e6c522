"""The safetensors container both file kinds share: size limits, the header checked by hand
before safetensors parses anything, fcnn's metadata (``format``, ``format_version``,
``fcnn_version``) and little-endian C-contiguous tensors. Nothing here pickles or unpickles;
every problem with a file's content raises :class:`fcnn.errors.ModelFileError`."""

from __future__ import annotations

import json
import os
import reprlib
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy

from .._regular import open_regular
from ..errors import ModelFileError
from .atomic import atomic_write_bytes

MODEL_FORMAT = "fcnn-model"
CHECKPOINT_FORMAT = "fcnn-checkpoint"
FORMAT_VERSION = "1"
MAX_FILE_BYTES = 2 * 1024**3
MAX_HEADER_BYTES = 100 * 1024**2

_LOADERS = {MODEL_FORMAT: "fcnn.load", CHECKPOINT_FORMAT: "fcnn.storage.load_checkpoint"}


def bad(path: Path, what: str, problem: str) -> ModelFileError:
    return ModelFileError(f"bad {what} file {path}: {problem}")


def _read_bytes(path: Path, what: str) -> bytes:
    """The whole file, refusing a missing path, a folder or more than ``MAX_FILE_BYTES``."""
    try:
        fd = open_regular(path)  # a FIFO or a device is refused before a byte is read
    except FileNotFoundError as exc:
        raise ModelFileError(f"no such {what} file: {path}") from exc
    except IsADirectoryError as exc:
        raise ModelFileError(f"{path} is a folder, not a {what} file") from exc
    except ValueError as exc:
        raise ModelFileError(f"{exc}; a {what} file must be a regular file") from exc
    with open(fd, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        # at most one byte past the size it states: f.read(n) allocates n bytes at once
        data = f.read(size + 1) if size <= MAX_FILE_BYTES else b""
    if size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
        raise bad(path, what, f"over the {MAX_FILE_BYTES}-byte limit; refusing to read it")
    return data


def _read_metadata(
    data: bytes, path: Path, what: str, fmt: str, size: int | None = None
) -> dict[str, str]:
    """Check the 8-byte header length and the header JSON by hand; return ``__metadata__``.
    ``data``: the file, or its first bytes (at least the header) and ``size`` the file's."""
    size = len(data) if size is None else size
    if size < 8:
        raise bad(path, what, f"too short to be a safetensors file ({size} bytes)")
    if data[8:9] != b"{":  # a safetensors header is a JSON object: it starts with "{"
        raise ModelFileError(
            f"not an fcnn {what} file: {path} is not a safetensors file (no safetensors "
            f"header); give a {what} file written by fcnn"
        )
    n = int.from_bytes(data[:8], "little")
    if n > MAX_HEADER_BYTES:
        raise bad(path, what, f"header too large ({n} bytes, limit {MAX_HEADER_BYTES})")
    if 8 + n > size:
        raise bad(path, what, f"truncated: header needs {n} bytes, {size - 8} follow")
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise bad(path, what, f"header is not valid JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise bad(path, what, "header is not a JSON object")
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
        raise bad(path, what, "metadata has no 'format_version'")
    if version != FORMAT_VERSION:
        problem = f"format_version {reprlib.repr(version)} is not {FORMAT_VERSION!r}"
        raise bad(path, what, f"{problem}; a newer fcnn may read it, upgrade fcnn")
    return meta


def read_tensors(data: bytes, path: Path, what: str) -> dict[str, np.ndarray]:
    try:
        return safetensors.numpy.load(data)
    except Exception as exc:  # safetensors raises SafetensorError, KeyError, ValueError, ...
        raise bad(path, what, f"corrupted tensor data ({type(exc).__name__}: {exc})") from exc


def json_field(meta: dict[str, str], key: str, path: Path, what: str) -> Any:
    if key not in meta:
        raise bad(path, what, f"metadata has no {key!r}")
    try:
        return json.loads(meta[key])
    except (ValueError, RecursionError) as exc:
        raise bad(path, what, f"metadata {key!r} is not valid JSON ({exc})") from exc


def _fcnn_version() -> str:
    import fcnn

    if getattr(fcnn, "__version__", None) is not None:
        return str(fcnn.__version__)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fcnn")
    except PackageNotFoundError:
        return "unknown"


def contiguous(a: np.ndarray) -> np.ndarray:
    """safetensors writes raw memory: it must be C-contiguous and little-endian."""
    return a.astype(a.dtype.newbyteorder("<"), order="C", copy=False)


def read(path: Path, what: str, fmt: str) -> tuple[bytes, dict[str, str]]:
    """The bytes of the ``what`` file at ``path`` and its fcnn metadata, both checked."""
    data = _read_bytes(path, what)
    return data, _read_metadata(data, path, what, fmt)


def write(path: str | os.PathLike[str], tensors: dict, fmt: str, fields: dict[str, str]) -> None:
    """Write ``tensors`` with fcnn's metadata (format ``fmt``, versions, then ``fields``),
    atomically."""
    metadata = {"format": fmt, "format_version": FORMAT_VERSION, "fcnn_version": _fcnn_version()}
    atomic_write_bytes(path, safetensors.numpy.save(tensors, metadata=metadata | fields))
