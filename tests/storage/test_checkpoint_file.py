"""Tests for fcnn.storage.checkpoint_file: training checkpoints.

Corrupt files are crafted with the safetensors package itself (or raw bytes), never with the
code under test, and every one must give ModelFileError and nothing else.
"""

from __future__ import annotations

import numpy as np
import pytest
import safetensors
import safetensors.numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fcnn import storage
from fcnn.errors import FCNNError, ModelFileError

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _checkpoint_state():
    rng = np.random.default_rng(12345)
    rng.random(7)
    arrays = {
        "params": rng.standard_normal(17),
        "optim.m": rng.standard_normal(17).astype(np.float32),
        "perm": rng.permutation(10),
        "history.loss": np.array([], dtype=np.float64),
        "step": np.array(3, dtype=np.int64),
        "mask": np.array([True, False]),
        "transposed": np.arange(6.0).reshape(2, 3).T,
        "big_endian": np.arange(4, dtype=">f8"),
    }
    meta = {
        "epoch": 4,
        "rng": rng.bit_generator.state,
        "best_loss": float("inf"),
        "worst": float("-inf"),
        "nan": float("nan"),
        "schedule": {"name": "step", "gamma": 0.5, "milestones": [1, 2]},
        "tag": "ŷ",
        "np_scalar": np.float32(0.25),
    }
    return rng, arrays, meta


def test_checkpoint_round_trips_arrays_and_meta_exactly(tmp_path):
    rng, arrays, meta = _checkpoint_state()
    path = tmp_path / "ckpt.safetensors"
    storage.save_checkpoint(path, arrays, meta)
    got_arrays, got_meta = storage.load_checkpoint(path)
    assert got_arrays.keys() == arrays.keys()
    for name, value in arrays.items():
        assert got_arrays[name].shape == value.shape
        assert got_arrays[name].dtype == value.dtype.newbyteorder("=")
        np.testing.assert_array_equal(got_arrays[name], value)
    assert got_meta["rng"] == meta["rng"]  # PCG64 state: 128-bit ints survive
    assert got_meta["best_loss"] == float("inf") and got_meta["worst"] == float("-inf")
    assert np.isnan(got_meta["nan"])
    assert got_meta["schedule"] == meta["schedule"] and got_meta["tag"] == "ŷ"
    assert got_meta["np_scalar"] == 0.25 and type(got_meta["np_scalar"]) is float


def test_checkpoint_restores_generator_to_the_same_stream(tmp_path):
    rng, arrays, meta = _checkpoint_state()
    storage.save_checkpoint(tmp_path / "c.safetensors", arrays, meta)
    _, got_meta = storage.load_checkpoint(tmp_path / "c.safetensors")
    resumed = np.random.default_rng()
    resumed.bit_generator.state = got_meta["rng"]
    np.testing.assert_array_equal(resumed.random(5), rng.random(5))


def test_checkpoint_arrays_come_back_writable(tmp_path):
    storage.save_checkpoint(tmp_path / "c.safetensors", {"params": np.zeros(3)}, {})
    arrays, _ = storage.load_checkpoint(tmp_path / "c.safetensors")
    arrays["params"] += 1.0
    np.testing.assert_array_equal(arrays["params"], np.ones(3))


def test_empty_checkpoint_round_trips(tmp_path):
    storage.save_checkpoint(tmp_path / "c.safetensors", {}, {})
    assert storage.load_checkpoint(tmp_path / "c.safetensors") == ({}, {})


@pytest.mark.parametrize(
    ("arrays", "meta", "words"),
    [
        ({"x": np.zeros(2)}, {"f": lambda: 0}, "JSON-able"),
        ({"x": np.zeros(2)}, {"a": np.zeros(2)}, "put arrays in"),
        ({"x": np.zeros(2)}, [1, 2], "meta must be a dict"),
        ({"x": np.array(["a"])}, {}, "bool/int/float ndarray"),
        ({"x": np.zeros(2, dtype=complex)}, {}, "bool/int/float ndarray"),
        ({"x": [1.0, 2.0]}, {}, "bool/int/float ndarray"),
        ({"__metadata__": np.zeros(1)}, {}, "not allowed"),
        ({"": np.zeros(1)}, {}, "not allowed"),
    ],
)
def test_save_checkpoint_rejects_what_it_cannot_store(tmp_path, arrays, meta, words):
    with pytest.raises(ValueError, match=words):
        storage.save_checkpoint(tmp_path / "c.safetensors", arrays, meta)
    assert not (tmp_path / "c.safetensors").exists()


def test_missing_checkpoint_is_a_model_file_error_and_a_value_error(tmp_path):
    with pytest.raises(ModelFileError, match="no such checkpoint file") as info:
        storage.load_checkpoint(tmp_path / "nope.safetensors")
    assert isinstance(info.value, ValueError) and isinstance(info.value, FCNNError)


def test_checkpoint_with_non_object_meta_is_rejected(tmp_path):
    metadata = {"format": "fcnn-checkpoint", "format_version": "1", "meta": "[1, 2]"}
    (tmp_path / "c.safetensors").write_bytes(safetensors.numpy.save({}, metadata=metadata))
    with pytest.raises(ModelFileError, match="'meta' is not a JSON object"):
        storage.load_checkpoint(tmp_path / "c.safetensors")


def test_checkpoint_with_invalid_meta_json_is_rejected(tmp_path):
    metadata = {"format": "fcnn-checkpoint", "format_version": "1", "meta": "{oops"}
    (tmp_path / "c.safetensors").write_bytes(safetensors.numpy.save({}, metadata=metadata))
    with pytest.raises(ModelFileError, match="'meta' is not valid JSON"):
        storage.load_checkpoint(tmp_path / "c.safetensors")


@pytest.fixture(scope="module")
def checkpoint_bytes(tmp_path_factory):
    _, arrays, meta = _checkpoint_state()
    path = tmp_path_factory.mktemp("ckpt") / "c.safetensors"
    storage.save_checkpoint(path, arrays, meta)
    return path.read_bytes()


@FUZZ
@given(data=st.data())
def test_truncated_checkpoint_gives_model_file_error(tmp_path, checkpoint_bytes, data):
    cut = data.draw(st.integers(0, len(checkpoint_bytes) - 1))
    path = tmp_path / "c.safetensors"
    path.write_bytes(checkpoint_bytes[:cut])
    with pytest.raises(ModelFileError):
        storage.load_checkpoint(path)


@FUZZ
@given(data=st.data())
def test_bit_flipped_checkpoint_loads_or_gives_model_file_error(tmp_path, checkpoint_bytes, data):
    flips = data.draw(st.lists(st.integers(0, 8 * len(checkpoint_bytes) - 1), min_size=1))
    corrupt = bytearray(checkpoint_bytes)
    for bit in flips:
        corrupt[bit // 8] ^= 1 << (bit % 8)
    path = tmp_path / "c.safetensors"
    path.write_bytes(bytes(corrupt))
    try:
        arrays, meta = storage.load_checkpoint(path)
    except ModelFileError:
        return
    assert isinstance(arrays, dict) and isinstance(meta, dict)
