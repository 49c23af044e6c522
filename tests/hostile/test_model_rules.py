"""Issue 14, item 10: save and load check the same rules (fcnn.storage.model_rules): what
load refuses, save refuses to write, each with a message naming the problem."""

from __future__ import annotations

import json

import numpy as np
import pytest
import safetensors.numpy

import fcnn
from fcnn.storage.container import FORMAT_VERSION, MODEL_FORMAT


def _net() -> fcnn.Network:
    net = fcnn.Network([2, 3, 2], seed=0)
    net.classes = ["a", "b"]
    return net


def _write(path, net: fcnn.Network, *, config=None, classes=None, tensors=None) -> None:
    """A model file as fcnn writes it, with one part replaced by a crafted one."""
    t = {}
    for k, (W, b) in enumerate(zip(net.weights, net.biases, strict=True), start=1):
        t[f"W{k}"], t[f"b{k}"] = W.copy(), b.copy()
    t |= tensors or {}
    meta = {
        "format": MODEL_FORMAT,
        "format_version": FORMAT_VERSION,
        "config": json.dumps(net.config() if config is None else config),
        "classes": json.dumps(net.classes if classes is None else classes),
    }
    path.write_bytes(safetensors.numpy.save(t, metadata=meta))


def _config_without(key):
    cfg = _net().config()
    del cfg[key]
    return cfg


CRAFTED = {
    "feature_scale of 0": (
        {"tensors": {"feature_mean": np.zeros(2), "feature_scale": np.array([1.0, 0.0])}},
        "feature_scale",
    ),
    "feature_scale below 0": (
        {"tensors": {"feature_mean": np.zeros(2), "feature_scale": np.array([-1.0, 1.0])}},
        "feature_scale",
    ),
    "no loss": ({"config": _config_without("loss")}, "'loss'"),
    "no output": ({"config": _config_without("output")}, "'output'"),
    "activation as a dict": ({"config": _net().config() | {"activation": {"a": 1}}}, "activation"),
    "classes NaN": ({"classes": [float("nan"), 1]}, "NaN"),
    "classes bool": ({"classes": [True, False]}, "bool"),
    "weights of 1e308": ({"tensors": {"W1": np.full((3, 2), 1e308)}}, "too large"),
    "output weights of 1e307": ({"tensors": {"W2": np.full((2, 3), 1e307)}}, "too large"),
}


@pytest.mark.parametrize("case", CRAFTED)
def test_load_refuses_each_crafted_model_naming_the_problem(tmp_path, case):
    crafted, words = CRAFTED[case]
    path = tmp_path / "m.safetensors"
    _write(path, _net(), **crafted)
    with pytest.raises(fcnn.ModelFileError, match=words):
        fcnn.load(path)


def test_save_refuses_what_load_refuses(tmp_path):
    path = tmp_path / "m.safetensors"
    cases = []
    net = _net()
    net.feature_mean, net.feature_scale = np.zeros(2), np.array([1.0, 0.0])
    cases.append((net, "feature_scale"))
    net = _net()
    net.classes = [True, False]
    cases.append((net, "bool"))
    net = _net()
    net.classes = [float("nan"), 1.0]
    cases.append((net, "finite"))
    net = _net()
    net.weights[0][...] = 1e308
    cases.append((net, "too large"))
    for net, words in cases:
        with pytest.raises(ValueError, match=words):
            fcnn.save(net, path)
        assert not path.exists()


def test_ordinary_models_still_round_trip(tmp_path):
    for act in ("relu", "identity", "tanh"):
        net = fcnn.Network([4, 16, 16, 3], activation=act, seed=1)
        net.classes = [0, 1, 2]
        net.feature_mean, net.feature_scale = np.ones(4), np.full(4, 0.5)
        fcnn.save(net, tmp_path / "m.safetensors")
        back = fcnn.load(tmp_path / "m.safetensors")
        assert np.array_equal(back.params, net.params) and back.classes == [0, 1, 2]
