"""A generated corpus of hostile files for every loader: model files, checkpoints, .npy and
.npz headers, CSV files and TOML configs, each a valid file of its kind mutated by a seeded
random generator (bytes flipped, cut short, header fields replaced by crafted values, cells
of every kind). ``cases(n, seed)`` yields ``(name, suffix, bytes, loader)`` tuples."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

import fcnn
from fcnn.data.datasets import load_features, load_file
from fcnn.runs import checkpoint as run_checkpoint
from fcnn.runs import config
from fcnn.storage import load_checkpoint, save_checkpoint

Loader = Callable[[Path], object]

HOSTILE_VALUES = [
    None, True, False, 0, -1, 2**63, 10**12, -(10**12), 1e308, -1e308, float("nan"), "",
    "x" * 1000, [], {}, [1, 2], [[1]], {"a": 1}, "F64", "BOOL", "tanh", [2, 10**12, 2],
    [2, True, 2], [0, 0], [-5, 3], "1e308",
]  # fmt: skip


def _model_bytes(tmp: Path) -> bytes:
    net = fcnn.Network([2, 3, 2], seed=0)
    net.classes = ["a", "b"]
    net.feature_mean, net.feature_scale = np.zeros(2), np.ones(2)
    fcnn.save(net, tmp / "valid.safetensors")
    return (tmp / "valid.safetensors").read_bytes()


def _checkpoint_bytes(tmp: Path) -> bytes:
    arrays = {"params": np.arange(10.0), "perm": np.arange(5)}
    save_checkpoint(tmp / "valid.ckpt", arrays, {"step": 3, "config": {"a": 1}})
    return (tmp / "valid.ckpt").read_bytes()


def _split(blob: bytes) -> tuple[dict, bytes]:
    n = int.from_bytes(blob[:8], "little")
    return json.loads(blob[8 : 8 + n]), blob[8 + n :]


def _join(header: dict, data: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def _mutate_container(blob: bytes, rng: np.random.Generator) -> bytes:
    """One hostile change to a safetensors file: bytes, lengths, header fields, metadata."""
    header, data = _split(blob)
    kind = rng.integers(9)
    value = HOSTILE_VALUES[rng.integers(len(HOSTILE_VALUES))]
    tensors = [k for k in header if k != "__metadata__"]
    meta = header.setdefault("__metadata__", {})
    if kind == 0:  # random bytes flipped
        out = bytearray(blob)
        for i in rng.integers(0, len(out), rng.integers(1, 20)):
            out[i] = int(rng.integers(256))
        return bytes(out)
    if kind == 1:  # cut short, or junk appended
        cut = int(rng.integers(0, len(blob)))
        return blob[:cut] if rng.random() < 0.7 else blob + rng.bytes(int(rng.integers(1, 99)))
    if kind == 2:  # the header length lies
        n = [0, 1, 7, 2**31, 2**63, len(blob), int(rng.integers(0, 500))][rng.integers(7)]
        return struct.pack("<Q", n) + blob[8:]
    if kind == 3 and tensors:  # a tensor's field replaced
        name = tensors[rng.integers(len(tensors))]
        field = ["dtype", "shape", "data_offsets"][rng.integers(3)]
        header[name][field] = value
        if field == "shape" and rng.random() < 0.5:
            header[name]["shape"] = [int(rng.integers(0, 10**6)) for _ in range(rng.integers(3))]
    elif kind == 4:  # a metadata field replaced by crafted JSON
        key = ["config", "classes", "format", "format_version", "meta"][rng.integers(5)]
        meta[key] = json.dumps(value) if rng.random() < 0.8 else str(value)
    elif kind == 5 and "config" in meta:  # a config key replaced, or removed
        cfg = json.loads(meta["config"])
        key = list(cfg)[rng.integers(len(cfg))]
        if rng.random() < 0.3:
            del cfg[key]
        else:
            cfg[key] = value
        meta["config"] = json.dumps(cfg)
    elif kind == 6 and tensors:  # a tensor's values replaced (NaN, huge, zero scale)
        name = tensors[rng.integers(len(tensors))]
        start, end = header[name]["data_offsets"]
        fill = [np.nan, np.inf, 1e308, 0.0, -1.0, 1e150][rng.integers(6)]
        values = np.full((end - start) // 8, fill, "<f8").tobytes()
        data = data[:start] + values + data[end:]
    elif kind == 7:  # the metadata itself replaced
        header["__metadata__"] = value
    else:  # a tensor added or removed
        if tensors and rng.random() < 0.5:
            del header[tensors[rng.integers(len(tensors))]]
        else:
            header["extra"] = {
                "dtype": "F64",
                "shape": [1],
                "data_offsets": [len(data), len(data) + 8],
            }
            data += b"\0" * 8
    return _join(header, data)


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _mutate_npy(rng: np.random.Generator) -> bytes:
    arr = np.column_stack([rng.normal(size=(8, 2)), rng.integers(0, 3, 8)])
    blob = bytearray(_npy(arr))
    kind = rng.integers(4)
    if kind == 0:  # the header's shape claims more
        text = bytes(blob).replace(b"(8, 3)", f"({10 ** int(rng.integers(3, 13))}, 3)".encode())
        return text
    if kind == 1:
        for i in rng.integers(0, len(blob), rng.integers(1, 10)):
            blob[i] = int(rng.integers(256))
        return bytes(blob)
    if kind == 2:
        return bytes(blob[: rng.integers(0, len(blob))])
    return bytes(blob).replace(b"'<f8'", [b"'|O'", b"'<c16'", b"'<U3'", b"'|b1'"][rng.integers(4)])


def _mutate_npz(rng: np.random.Generator) -> bytes:
    buf = io.BytesIO()
    members = {"X": _npy(rng.normal(size=(8, 2))), "y": _npy(rng.integers(0, 3, 8))}
    kind = rng.integers(4)
    if kind == 0:  # a member's header claims huge
        members["X"] = members["X"].replace(b"(8, 2)", b"(1000000000000, 2)")
    elif kind == 1:
        members["y"] = _npy(rng.integers(0, 3, 5))  # lengths differ
    elif kind == 2:
        del members[["X", "y"][rng.integers(2)]]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in members.items():
            z.writestr(f"{name}.npy", blob)
    out = bytearray(buf.getvalue())
    if kind == 3:
        for i in rng.integers(0, len(out), rng.integers(1, 10)):
            out[i] = int(rng.integers(256))
    return bytes(out)


CELLS = [
    "1", "-2.5", "1e308", "1e309", "nan", "NA", "", "inf", "0x10", "abc", '"q,uoted"', "9" * 40,
    "2e20", "\ufeff1", "é", " ", "1,5", '"', "None", "-0", "x" * 200_000, "\x00",
]  # fmt: skip


def _csv(rng: np.random.Generator) -> bytes:
    rows, width = int(rng.integers(0, 12)), int(rng.integers(1, 6))
    lines = []
    for _ in range(rows):
        w = width if rng.random() < 0.9 else int(rng.integers(1, 8))
        cells = [
            CELLS[rng.integers(len(CELLS))] if rng.random() < 0.3 else f"{rng.normal():.3f}"
            for _ in range(w)
        ]
        lines.append([",", ";", "\t", " "][rng.integers(4)].join(cells))
    text = "\n".join(lines).encode()
    return text if rng.random() < 0.9 else text + rng.bytes(int(rng.integers(1, 40)))


def _toml(rng: np.random.Generator) -> bytes:
    sections = {"data": ["dataset", "file", "target", "val_split", "standardize"],
                "network": ["layers", "activation", "output", "loss", "dtype"],
                "training": ["lr", "epochs", "batch_size", "seed", "optimizer", "l2"],
                "junk": ["x"]}  # fmt: skip
    values = ['"xor"', '"moons"', "0", "-1", "1e400", "nan", "inf", "true", '"tanh"',
              "[2, 0, 2]", '["auto", 4, "auto"]', '"/dev/zero"', "{a = 1}", '"x"', "[]",
              "99999999999999999999", "0.5", "3"]  # fmt: skip
    lines = []
    for section, keys in sections.items():
        if rng.random() < 0.7:
            lines.append(f"[{section}]")
            for key in keys:
                if rng.random() < 0.4:
                    lines.append(f"{key} = {values[rng.integers(len(values))]}")
    text = "\n".join(lines)
    if rng.random() < 0.1:
        text = text[: rng.integers(0, len(text) + 1)] + "= = ["
    return text.encode()


def _check_model(path: Path) -> object:
    net = fcnn.load(path)
    out = net.forward(np.zeros((3, net.n_inputs)))
    assert np.isfinite(out).all(), "a model that load accepts must compute finite outputs"
    return net


def cases(n: int, seed: int, tmp: Path) -> Iterator[tuple[str, str, bytes, Loader]]:
    """``n`` hostile cases: (name, file suffix, content, the loader to run on the file)."""
    rng = np.random.default_rng(seed)
    model, ckpt = _model_bytes(tmp), _checkpoint_bytes(tmp)
    kinds = [
        ("model", ".safetensors", lambda: _mutate_container(model, rng), _check_model),
        ("checkpoint", ".safetensors", lambda: _mutate_container(ckpt, rng), load_checkpoint),
        ("run-checkpoint", ".safetensors", lambda: _mutate_container(ckpt, rng),
         run_checkpoint.load),
        ("npy", ".npy", lambda: _mutate_npy(rng), load_file),
        ("npz", ".npz", lambda: _mutate_npz(rng), load_file),
        ("npz-features", ".npz", lambda: _mutate_npz(rng), lambda p: load_features(p, 2)),
        ("csv", ".csv", lambda: _csv(rng), load_file),
        ("csv-features", ".csv", lambda: _csv(rng), lambda p: load_features(p, 2)),
        ("toml", ".toml", lambda: _toml(rng), lambda p: config.resolve(p)),
    ]  # fmt: skip
    for i in range(n):
        name, suffix, make, loader = kinds[i % len(kinds)]
        yield f"{name}-{i}", suffix, make(), loader
