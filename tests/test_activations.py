"""Hidden activations (docs/math.md §5): each f against its formula in plain NumPy, each f'
against finite differences, stability at large |a|, the ``out=`` buffers, and registration of
custom activations."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import NUMPY_ACTS, min_hidden_margin, random_problem

import fcnn
from fcnn import activations
from fcnn.activations import register_activation, unregister_activation

BUILTINS = ("tanh", "sigmoid", "relu", "leaky_relu", "identity", "softplus")
# points away from relu's kink at 0
A = np.concatenate([np.linspace(-4.0, -0.05, 17), np.linspace(0.05, 4.0, 17)])


@pytest.mark.parametrize("name", BUILTINS)
def test_activation_matches_its_formula(name):
    np.testing.assert_allclose(activations.get(name).f(A), NUMPY_ACTS[name](A), rtol=1e-14)


@pytest.mark.parametrize("name", BUILTINS)
def test_derivative_matches_central_differences(name):
    act = activations.get(name)
    h = 1e-6
    numeric = (NUMPY_ACTS[name](A + h) - NUMPY_ACTS[name](A - h)) / (2 * h)
    np.testing.assert_allclose(act.df(A, act.f(A)), numeric, rtol=1e-8, atol=1e-10)


def test_relu_and_leaky_relu_take_the_left_slope_at_zero():
    a = np.zeros(3)
    assert np.array_equal(activations.get("relu").df(a, a), np.zeros(3))
    assert np.array_equal(activations.get("leaky_relu").df(a, a), np.full(3, 0.01))


def test_sigmoid_and_softplus_do_not_overflow_at_large_inputs():
    a = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = activations.get("sigmoid").f(a)
        sp = activations.get("softplus").f(a)
        dsp = activations.get("softplus").df(a, sp)
    np.testing.assert_allclose(s, [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-16)
    np.testing.assert_allclose(sp, [0.0, 4.248354255291589e-18, np.log(2), 40.0, 1000.0])
    np.testing.assert_allclose(dsp, s, atol=1e-16)


@pytest.mark.parametrize("name", BUILTINS)
def test_out_buffer_receives_the_same_values(name):
    act = activations.get(name)
    h, d = np.empty_like(A), np.empty_like(A)
    assert act.f(A, out=h) is h
    assert act.df(A, h, out=d) is d
    np.testing.assert_array_equal(h, act.f(A))
    np.testing.assert_array_equal(d, act.df(A, act.f(A)))


def test_unknown_activation_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown activation 'gelu'; choose one of tanh, sigmoid"):
        activations.get("gelu")
    with pytest.raises(ValueError, match="unknown activation"):
        fcnn.Network([2, 3, 2], activation="gelu")


def test_builtin_names_are_listed_first():
    assert activations.names()[: len(BUILTINS)] == BUILTINS


# ---------------------------------------------------------------------------------------------
# custom activations
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def cube():
    """Registers ``cube(a) = a³`` for one test and removes it afterwards."""
    register_activation("cube", lambda a: a**3, lambda a: 3 * a**2)
    yield "cube"
    if "cube" in activations.names():
        unregister_activation("cube")


def test_custom_activation_is_used_by_the_forward_pass(cube):
    net, X, _ = random_problem(0, [2, 3, 2], cube, "identity", "mse", B=4)
    W1, b1, W2, b2 = net.weights[0], net.biases[0], net.weights[1], net.biases[1]
    np.testing.assert_allclose(net.forward(X), (X @ W1.T + b1) ** 3 @ W2.T + b2, rtol=1e-12)


def test_custom_activation_passes_gradcheck(cube):
    net, X, y = random_problem(1, [3, 4, 4, 2], cube, "softmax", "mse+ce", B=5)
    report = fcnn.gradcheck(net, X, y, floor=1e-5)
    assert report.max_error < 1e-6, str(report)


def test_custom_activation_trains_end_to_end(custom_activation):
    X, y = fcnn.datasets.xor(n_samples=200, seed=0)
    net = fcnn.Network([2, 8, 2], activation=custom_activation, seed=0)
    history = net.fit(X, y, epochs=150, lr=0.05, optimizer="adam")
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert np.mean(net.predict(X) == y) > 0.9


def test_custom_activation_mixes_with_builtins_per_layer(cube):
    net, X, y = random_problem(2, [2, 3, 3, 2], ["tanh", cube], "softmax", "cross_entropy")
    assert net.activations == ("tanh", "cube")
    assert fcnn.gradcheck(net, X, y, floor=1e-5).max_error < 1e-6


def test_wrong_derivative_is_refused():
    with pytest.raises(ValueError, match="derivative given for activation 'bad' does not match"):
        register_activation("bad", lambda a: a**3, lambda a: 2 * a**2)
    assert "bad" not in activations.names()


def test_non_finite_derivative_is_refused():
    with pytest.raises(ValueError, match="does not match"):
        register_activation("bad", np.tanh, lambda a: np.full_like(a, np.nan))


def test_non_elementwise_function_is_refused():
    with pytest.raises(ValueError, match="must work elementwise"):
        register_activation("bad", lambda a: a.sum(), lambda a: np.ones_like(a))


@pytest.mark.parametrize("name", BUILTINS)
def test_builtins_cannot_be_overwritten_or_removed(name):
    with pytest.raises(ValueError, match=f"activation '{name}' is already registered"):
        register_activation(name, np.tanh, lambda a: 1 - np.tanh(a) ** 2, overwrite=True)
    with pytest.raises(ValueError, match="cannot be removed"):
        unregister_activation(name)
    np.testing.assert_allclose(activations.get(name).f(A), NUMPY_ACTS[name](A), rtol=1e-14)


def test_custom_name_is_replaced_only_with_overwrite(cube):
    with pytest.raises(ValueError, match="already registered; pick another name or pass overwrite"):
        register_activation(cube, lambda a: a, lambda a: np.ones_like(a))
    register_activation(cube, lambda a: 2 * a, lambda a: np.full_like(a, 2.0), overwrite=True)
    np.testing.assert_array_equal(activations.get(cube).f(np.array([1.5])), [3.0])


def test_unregister_removes_the_name(cube):
    unregister_activation(cube)
    assert cube not in activations.names()
    with pytest.raises(ValueError, match="unknown activation 'cube'"):
        fcnn.Network([2, 3, 2], activation=cube)
    with pytest.raises(ValueError, match="no custom activation named 'cube'"):
        unregister_activation(cube)


@pytest.mark.parametrize("name", ["", "two words", "1st", None, 3])
def test_activation_name_must_be_an_identifier(name):
    with pytest.raises(ValueError, match="identifier"):
        register_activation(name, np.tanh, lambda a: 1 - np.tanh(a) ** 2)


def test_register_needs_two_callables():
    with pytest.raises(ValueError, match="two callables"):
        register_activation("half", np.tanh, 0.5)


def test_min_hidden_margin_helper_sees_every_hidden_layer():
    # guards the helper the relu gradchecks rely on: a unit at exactly 0 gives margin 0
    net, X, _ = random_problem(3, [2, 3, 3, 2], "relu", "softmax", "cross_entropy")
    net.weights[1][2] = 0.0
    net.biases[1][2] = 0.0
    assert min_hidden_margin(net, X) == 0.0
