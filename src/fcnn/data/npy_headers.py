"""The headers of .npy files and of the .npy members of .npz archives, read before any array:
the shape and dtype a header claims give the bytes it asks for, which must fit in the file (an
.npy) or the member's stated size (an .npz) and in the memory fcnn may use
(:mod:`fcnn.memory`). A 100-byte file claiming 10^12 rows, or a small deflated archive that
expands to gigabytes, is refused before NumPy allocates anything."""

from __future__ import annotations

import math
import zipfile
import zlib
from pathlib import Path
from tokenize import TokenError
from typing import IO

import numpy as np

from .. import memory

MAX_HEADER_BYTES = 2**20  # NumPy itself refuses headers over 10,000 bytes unless told


def _header(f: IO[bytes]) -> tuple[tuple[int, ...], np.dtype] | None:
    """(shape, dtype) of the .npy stream ``f``, positioned at its start; None where it is no
    .npy (np.load then says so, in the loaders' words)."""
    try:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0), (3, 0)):
            return None
        width = 2 if version == (1, 0) else 4
        length = int.from_bytes(f.read(width), "little")
        if length > MAX_HEADER_BYTES:  # NumPy would read (allocate) all of it first
            raise ValueError(
                f"its header claims {length} bytes (NumPy writes < {MAX_HEADER_BYTES}); the "
                "file is corrupt: write it again with numpy.save"
            )
        f.seek(-width, 1)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    except (OSError, EOFError, SyntaxError, TokenError, zipfile.BadZipFile, zlib.error):
        return None
    except ValueError as exc:
        if "header claims" in str(exc):
            raise
        return None
    return shape, dtype


def _claims(shape: tuple[int, ...], dtype: np.dtype) -> int:
    return math.prod(shape) * max(dtype.itemsize, 1)


def check_npy(path: Path) -> None:
    """Refuse an .npy whose header claims more bytes than the file holds or than fcnn may
    use."""
    with open(path, "rb") as f:
        try:
            header = _header(f)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        data = path.stat().st_size - f.tell()
    if header is None:
        return
    shape, dtype = header
    need = _claims(shape, dtype)
    if dtype.hasobject:
        return  # np.load refuses it (allow_pickle=False) with its own message
    if need > data:
        raise ValueError(
            f"{path} is truncated or corrupt: its header claims an array {shape} of {dtype} "
            f"({need} bytes) but {data} bytes follow; write it again with numpy.save"
        )
    memory.check(need, f"{path} (an array {shape} of {dtype})")


def check_npz(path: Path) -> None:
    """Refuse an .npz whose members, together, claim more than fcnn may use: each member's
    uncompressed size (zip's own record, which reading never exceeds) and its .npy header's
    shape are read before any member is inflated."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # np.load reports it
    total, shapes = 0, []
    with archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            try:
                with archive.open(info) as member:
                    header = _header(member)
            except ValueError as exc:
                raise ValueError(f"{path}: member {info.filename!r}: {exc}") from None
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, OSError,
                    zlib.error):  # fmt: skip
                return  # np.load reports it
            if header is None:
                return
            shape, dtype = header
            need = max(_claims(shape, dtype), info.file_size)
            total += need
            shapes.append(f"{info.filename[:-4]} {shape}")
    memory.check(total, f"{path} (arrays {', '.join(shapes)})")
