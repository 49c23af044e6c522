"""Loading a model file without copying more than it must: the safetensors header is checked
by hand (names, dtypes, shapes, offsets that tile the data exactly, as the format requires),
the network is built from the config, and each tensor is read from the file straight into
the network's parameter views, a bounded chunk of rows at a time. The values are checked
there (finite, ``feature_scale > 0``, no overflow: :mod:`fcnn.storage.model_rules`), before
the network is handed out. Peak memory: the parameters plus one chunk, about the file's size.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np

from .._regular import open_regular
from ..errors import MemoryLimitError, ModelFileError
from ..network import Network
from . import container, model_rules
from .container import MODEL_FORMAT, bad, json_field
from .container import _read_metadata as read_metadata

DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
}  # fmt: skip
CHUNK_BYTES = 16 * 2**20


class Entry(NamedTuple):
    """A tensor as the header describes it: where its bytes lie in the file."""

    dtype: np.dtype
    shape: tuple[int, ...]
    start: int  # from the start of the file
    nbytes: int


def _open(path: Path) -> IO[bytes]:
    try:
        fd = open_regular(path)  # a FIFO or a device is refused before a byte is read
    except FileNotFoundError as exc:
        raise ModelFileError(f"no such model file: {path}") from exc
    except IsADirectoryError as exc:
        raise ModelFileError(f"{path} is a folder, not a model file") from exc
    except ValueError as exc:
        raise ModelFileError(f"{exc}; a model file must be a regular file") from exc
    return open(fd, "rb")


def _header(f: IO[bytes], path: Path) -> tuple[dict[str, Any], dict[str, str], int, int]:
    """(the header JSON, fcnn's metadata, where the data start, the file size)."""
    size = os.fstat(f.fileno()).st_size
    limit = container.MAX_FILE_BYTES  # read at call time: tests lower it
    if size > limit:
        raise bad(path, "model", f"over the {limit}-byte limit; refusing to read it")
    head = f.read(8)
    n = int.from_bytes(head, "little") if len(head) == 8 else 0
    prefix = head + f.read(min(n, container.MAX_HEADER_BYTES + 1, max(size - 8, 0)))
    meta = read_metadata(prefix, path, "model", MODEL_FORMAT, size)  # every container's checks
    return json.loads(prefix[8 : 8 + n]), meta, 8 + n, size


def _entries(header: dict[str, Any], start: int, size: int, path: Path) -> dict[str, Entry]:
    """The tensors the header lists, their offsets tiling the data from ``start`` to the end
    of the file, as safetensors requires."""
    entries, spans = {}, []
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        ok = isinstance(spec, dict) and isinstance(spec.get("dtype"), str)
        ok = ok and spec["dtype"] in DTYPES
        shape, offsets = (spec.get("shape"), spec.get("data_offsets")) if ok else (None, None)
        ok = ok and isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)
        ok = ok and isinstance(offsets, list) and len(offsets) == 2
        ok = ok and all(type(o) is int and o >= 0 for o in offsets) and offsets[0] <= offsets[1]
        if not ok:
            raise bad(path, "model", f"corrupted tensor data (tensor {name!r}: {spec!r:.200})")
        dtype = np.dtype(DTYPES[spec["dtype"]])
        nbytes = math.prod(shape) * dtype.itemsize
        if offsets[1] - offsets[0] != nbytes:
            raise bad(path, "model", f"corrupted tensor data ({name}: offsets do not fit {shape})")
        entries[name] = Entry(dtype, tuple(shape), start + offsets[0], nbytes)
        spans.append(tuple(offsets))
    end = 0
    for s, e in sorted(spans):
        if s != end:
            raise bad(path, "model", "corrupted tensor data (tensors overlap or leave gaps)")
        end = e
    if start + end != size:
        raise bad(path, "model", f"truncated or padded: the tensors end at byte {start + end}, "
                  f"the file at {size}")  # fmt: skip
    return entries


def _read_into(f: IO[bytes], entry: Entry, out: np.ndarray, path: Path) -> None:
    """Read ``entry`` into ``out`` (its shape, any strides), a chunk of rows at a time."""
    rows = out.reshape(len(out), -1) if out.ndim else out.reshape(1, 1)
    width = rows.shape[1] if rows.size else 1
    step = max(1, CHUNK_BYTES // (width * entry.dtype.itemsize))
    buffer = np.empty((min(step, len(rows)), width), entry.dtype)
    f.seek(entry.start)
    for i in range(0, len(rows), step):
        part = buffer[: min(step, len(rows) - i)]
        if f.readinto(memoryview(part).cast("B")) != part.nbytes:
            raise bad(path, "model", "truncated while reading its tensors")
        rows[i : i + len(part)] = part


def load_model(path: str | os.PathLike[str]) -> Network:
    """The network in the model file ``path``, checked by the rules save checks."""
    path = Path(path)
    with _open(path) as f:
        header, meta, start, size = _header(f, path)
        cfg = json_field(meta, "config", path, "model")
        classes = json_field(meta, "classes", path, "model")
        entries = _entries(header, start, size, path)
        problem = model_rules.model_problem(cfg, classes, None)
        problem = problem or model_rules.layout_problem(entries, cfg["sizes"], cfg["dtype"])
        if problem is not None:
            raise bad(path, "model", problem)
        try:
            net = Network._blank(cfg)
        except (TypeError, KeyError) as exc:
            raise bad(path, "model", f"invalid config: {exc}") from exc
        except ValueError as exc:
            if isinstance(exc, ModelFileError | MemoryLimitError):
                raise
            raise bad(path, "model", f"invalid config: {exc}") from exc
        tensors: dict[str, np.ndarray] = {}
        for k, (W, b) in enumerate(zip(net.weights, net.biases, strict=True), start=1):
            tensors[f"W{k}"], tensors[f"b{k}"] = W, b
        for name in model_rules.STATS:
            if name in entries:
                tensors[name] = np.empty(entries[name].shape, entries[name].dtype.newbyteorder("="))
        for name, out in tensors.items():
            _read_into(f, entries[name], out, path)
    problem = model_rules.value_problem(tensors) or model_rules.overflow_problem(tensors, cfg)
    if problem is not None:
        raise bad(path, "model", problem)
    net.classes = classes
    net.feature_mean = tensors.get("feature_mean")
    net.feature_scale = tensors.get("feature_scale")
    return net
