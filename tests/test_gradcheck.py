"""Backpropagation against finite differences (docs/math.md §6), and the checker itself.

Every hidden activation × (output, loss) pair × reduction × depth 1..4 is checked on random
shapes, weights, inputs and targets drawn by hypothesis, in float64, to a max relative error
below 1e-6. Finite differences are the independent source: they only evaluate ``net.loss``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import (
    ACTIVATIONS,
    DEPTHS,
    EXP_PAIRS,
    KINKED,
    PAIRS,
    REDUCTIONS,
    batch_sizes,
    layer_sizes,
    min_hidden_margin,
    random_problem,
    seeds,
)
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import fcnn

TOL = 1e-6
# The difference quotient carries rounding noise of about u |J| / eps (u = 1.1e-16), some 1e-12
# at eps = 1e-3: an entry whose true gradient is ~1e-6 cannot be matched to 1e-6 *relative*
# error by any finite difference. The floor of the relative error is therefore set to the
# noise level (1e-5), so such entries are held to ~1e-11 absolute error instead. The noise
# grows with |J| (sum reductions, large targets), so _check scales the floor by max(1, |J|).
FLOOR = 1e-5
# ReLU's kink: keep every hidden pre-activation this far from 0, so that no perturbation of the
# five-point stencil (at most 2 eps per parameter) can move one across it. The smaller eps
# brings ten times the rounding noise, hence ten times the floor.
KINK_EPS, KINK_MARGIN, KINK_FLOOR = 1e-4, 1e-2, 1e-4


def _check(net, X, y, **kwargs):
    # rounding noise of about u |J| / eps: the floor grows with |J| (W2 of a leaky-ReLU net
    # with J = 42.7 read 1.1e-6 at the fixed floor, 2.6e-8 at the scaled one)
    size = max(1.0, abs(net.loss(X, y, l2=kwargs.get("l2", 0.0))))
    if any(a in KINKED for a in net.activations):
        assume(min_hidden_margin(net, X) > KINK_MARGIN)
        return fcnn.gradcheck(net, X, y, eps=KINK_EPS, floor=KINK_FLOOR * size, **kwargs)
    return fcnn.gradcheck(net, X, y, floor=FLOOR * size, **kwargs)


def _grid():
    """Every hidden activation × (output, loss) × reduction × depth, the full run's (CI's) grid.
    ``pytest -m "not slow"`` has each combination at depth 3 (the first layer, a hidden-to-hidden
    step and the output: every step of the backward pass) and depths 1 and 2 with the first
    activation; the rest is marked ``slow``. The inner loop also checks the gradients of every
    combination against the reference at depths 1 to 4 (test_reference.py)."""
    for activation, (output, loss), reduction, depth in itertools.product(
        ACTIVATIONS, PAIRS, REDUCTIONS, DEPTHS
    ):
        slow = depth == 4 or (depth < 3 and activation != ACTIVATIONS[0])
        yield pytest.param(
            activation,
            output,
            loss,
            reduction,
            depth,
            marks=pytest.mark.slow if slow else (),
            id=f"{activation}-{output}-{loss}-{reduction}-{depth}",
        )


@pytest.mark.usefixtures("custom_activation")
@pytest.mark.parametrize(("activation", "output", "loss", "reduction", "depth"), list(_grid()))
@settings(max_examples=3, deadline=None)
@given(data=st.data(), seed=seeds, B=batch_sizes)
def test_backprop_gradients_match_finite_differences(
    activation, output, loss, reduction, depth, data, seed, B
):
    sizes = data.draw(layer_sizes(depth, output), label="sizes")
    net, X, y = random_problem(seed, sizes, activation, output, loss, reduction, B)
    report = _check(net, X, y)
    assert set(report.errors) == {f"{p}{k}" for k in range(1, depth + 1) for p in "Wb"}
    assert report.max_error < TOL, str(report)
    assert report.passed


@pytest.mark.parametrize(("output", "loss"), PAIRS)
@settings(max_examples=10, deadline=None)
@given(
    data=st.data(),
    seed=seeds,
    B=batch_sizes,
    depth=st.integers(1, 4),
    l2=st.floats(1e-3, 1.0),
    reduction=st.sampled_from(REDUCTIONS),
)
def test_gradients_with_l2_penalty_match_finite_differences(
    output, loss, data, seed, B, depth, l2, reduction
):
    sizes = data.draw(layer_sizes(depth, output), label="sizes")
    net, X, y = random_problem(seed, sizes, "tanh", output, loss, reduction, B)
    report = _check(net, X, y, l2=l2)
    assert report.max_error < TOL, str(report)


@pytest.mark.usefixtures("custom_activation")
@pytest.mark.parametrize(("output", "loss"), EXP_PAIRS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@settings(max_examples=4, deadline=None)
@given(
    data=st.data(),
    seed=seeds,
    B=batch_sizes,
    depth=st.integers(1, 3),
    l2=st.sampled_from([0.0, 0.1]),
    reduction=st.sampled_from(REDUCTIONS),
)
def test_exponential_output_gradients_match_finite_differences(
    activation, output, loss, data, seed, B, depth, l2, reduction
):
    sizes = data.draw(layer_sizes(depth, output), label="sizes")
    net, X, y = random_problem(seed, sizes, activation, output, loss, reduction, B)
    net.set_params(net.params * 0.5)  # ŷ = exp(z): keep z moderate, as trained nets have it
    report = _check(net, X, y, l2=l2)
    assert report.max_error < TOL, str(report)


def test_gradcheck_reports_a_wrong_gradient(monkeypatch):
    # A backward pass that is off by 1% in every entry must fail the check, array by array.
    net, X, y = random_problem(0, [3, 4, 2], "tanh", "softmax", "cross_entropy")
    right = fcnn.Network.gradients

    def off_by_one_percent(self, X, y, l2=0.0):
        dWs, dbs = right(self, X, y, l2)
        return [1.01 * d for d in dWs], [1.01 * d for d in dbs]

    monkeypatch.setattr(fcnn.Network, "gradients", off_by_one_percent)
    report = fcnn.gradcheck(net, X, y)
    assert not report.passed
    assert all(err == pytest.approx(0.01 / 1.01, rel=1e-4) for err in report.errors.values())
    assert "FAIL" in str(report)


def test_gradcheck_reports_one_bad_array_by_name(monkeypatch):
    net, X, y = random_problem(1, [3, 4, 4, 2], "tanh", "softmax", "cross_entropy")
    right = fcnn.Network.gradients

    def bad_b2(self, X, y, l2=0.0):
        dWs, dbs = right(self, X, y, l2)
        dbs[1] = dbs[1] + 0.5
        return dWs, dbs

    monkeypatch.setattr(fcnn.Network, "gradients", bad_b2)
    report = fcnn.gradcheck(net, X, y)
    bad = {name for name, err in report.errors.items() if err > TOL}
    assert bad == {"b2"}


def test_gradcheck_of_float32_network_runs_in_float64_and_leaves_network_untouched():
    net, X, y = random_problem(2, [2, 3, 2], "tanh", "softmax", "mse+ce")
    net32 = fcnn.Network.from_config(net.config() | {"dtype": "float32"}, net.params)
    before = net32.params.copy()
    report = fcnn.gradcheck(net32, X, y, floor=FLOOR)
    # float32 differences would leave errors near 1e-3 (docs/math.md §6); float64 is far below
    assert report.max_error < TOL, str(report)
    assert net32.params.dtype == np.float32
    assert np.array_equal(net32.params, before)


def test_gradcheck_passes_at_a_dead_relu_unit():
    # A hidden unit that is off for every sample has zero gradient in its weights, both
    # analytically and numerically; the floor turns 0/0 into 0 rather than NaN.
    net, X, y = random_problem(3, [2, 3, 2], "relu", "softmax", "cross_entropy")
    net.weights[0][0] = 0.0
    net.biases[0][0] = -5.0
    assert min_hidden_margin(net, X) > KINK_MARGIN
    report = fcnn.gradcheck(net, X, y, eps=KINK_EPS, floor=KINK_FLOOR)
    dWs, _ = net.gradients(X, y)
    assert np.all(dWs[0][0] == 0)
    assert report.max_error < TOL, str(report)


@pytest.mark.parametrize(
    ("option", "match"),
    [
        ({"eps": 0.0}, "eps must be a finite number > 0"),
        ({"eps": -1e-3}, "eps must be a finite number > 0"),
        ({"floor": 0.0}, "floor must be a finite number > 0"),
        ({"tolerance": float("nan")}, "tolerance must be a finite number >= 0"),
        ({"l2": -1.0}, "l2 must be a finite number >= 0"),
    ],
)
def test_gradcheck_refuses_bad_options(option, match):
    net, X, y = random_problem(0, [3, 4, 2], "tanh", "softmax", "cross_entropy")
    with pytest.raises(ValueError, match=match):
        fcnn.gradcheck(net, X, y, **option)
