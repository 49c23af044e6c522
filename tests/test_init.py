"""Weight initialisers: the documented distributions (checked statistically on a large layer),
and reproducibility: the same seed gives bit-identical weights in float64 and float32."""

from __future__ import annotations

import numpy as np
import pytest

import fcnn
from fcnn import init

N_OUT, N_IN = 300, 200  # 60,000 draws: sample moments within ~1% of the true ones


def _layer(name, seed=0):
    W, b = np.empty((N_OUT, N_IN)), np.empty(N_OUT)
    init.get(name)(W, b, np.random.default_rng(seed))
    return W, b


@pytest.mark.parametrize("name", ["xavier", "glorot"])
def test_xavier_is_uniform_on_plus_minus_sqrt_6_over_fan_sum_with_zero_biases(name):
    W, b = _layer(name)
    r = np.sqrt(6.0 / (N_IN + N_OUT))
    assert np.abs(W).max() <= r
    assert np.abs(W).max() > 0.99 * r  # the whole interval is used
    assert abs(W.mean()) < 0.01 * r
    assert W.std() == pytest.approx(r / np.sqrt(3), rel=0.01)  # U(-r, r) has std r/√3
    assert not b.any()


def test_he_is_normal_with_variance_2_over_fan_in_and_zero_biases():
    W, b = _layer("he")
    assert abs(W.mean()) < 0.01 * np.sqrt(2 / N_IN)
    assert W.std() == pytest.approx(np.sqrt(2.0 / N_IN), rel=0.01)
    assert not b.any()


def test_normal_is_standard_normal_for_weights_and_biases():
    W, b = _layer("normal")
    assert abs(W.mean()) < 0.01
    assert W.std() == pytest.approx(1.0, rel=0.01)
    assert b.std() == pytest.approx(1.0, rel=0.15) and b.any()


def test_unknown_init_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown init 'zeros'; choose one of xavier, glorot, he"):
        init.get("zeros")
    with pytest.raises(ValueError, match="unknown init"):
        fcnn.Network([2, 2], init="zeros")


@pytest.mark.parametrize("name", ["xavier", "he", "normal"])
def test_same_seed_gives_bit_identical_weights(name):
    a = fcnn.Network([4, 8, 8, 3], init=name, seed=123)
    b = fcnn.Network([4, 8, 8, 3], init=name, seed=123)
    assert np.array_equal(a.params, b.params)


@pytest.mark.parametrize("name", ["xavier", "he", "normal"])
def test_different_seed_gives_different_weights(name):
    a = fcnn.Network([4, 8, 8, 3], init=name, seed=123)
    b = fcnn.Network([4, 8, 8, 3], init=name, seed=124)
    assert not np.allclose(a.weights[0], b.weights[0])


def test_each_layer_gets_its_own_draw():
    net = fcnn.Network([5, 5, 5, 5], init="normal", seed=0)
    assert not np.allclose(net.weights[0], net.weights[1])
    assert not np.allclose(net.weights[1], net.weights[2])


@pytest.mark.parametrize("name", ["xavier", "he", "normal"])
def test_float32_initial_weights_are_the_float64_ones_cast(name):
    net64 = fcnn.Network([4, 8, 3], init=name, seed=7, dtype="float64")
    net32 = fcnn.Network([4, 8, 3], init=name, seed=7, dtype="float32")
    assert net32.params.dtype == np.float32
    assert np.array_equal(net32.params, net64.params.astype(np.float32))


def test_initialisers_draw_only_from_the_generator_they_are_given():
    _, key, pos, *_ = np.random.get_state()  # noqa: NPY002 (the global state is the subject)
    fcnn.Network([3, 4, 2], init="normal", seed=5)
    _, key_after, pos_after, *_ = np.random.get_state()  # noqa: NPY002
    assert np.array_equal(key, key_after) and pos == pos_after  # global np.random untouched


def test_unseeded_networks_differ():
    a, b = fcnn.Network([3, 8, 2]), fcnn.Network([3, 8, 2])
    assert not np.array_equal(a.params, b.params)
