"""Losses and output functions (docs/math.md §3): values against plain NumPy formulas, the
gradients with respect to the logits, numerical stability, reductions, and properties.

Most tests use a *logit network*: one layer with W = I and b = 0, so that the logits equal the
input rows and ∂J/∂b is the sum over the batch of ∂J_k/∂a_k.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (
    PAIRS,
    batch_sizes,
    layer_sizes,
    numpy_softmax,
    one_hot,
    random_problem,
    seeds,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fcnn
from fcnn import losses


def logit_net(n: int, output: str, loss: str, reduction: str = "mean") -> fcnn.Network:
    net = fcnn.Network([n, n], output=output, loss=loss, reduction=reduction)
    net.weights[0][...] = np.eye(n)
    net.biases[0][...] = 0.0
    return net


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


logits = st.integers(1, 6).flatmap(
    lambda B: st.integers(2, 5).flatmap(
        lambda n: arrays(np.float64, (B, n), elements=st.floats(-30, 30))
    )
)

# ---------------------------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------------------------


def test_softmax_cross_entropy_equals_minus_log_of_the_true_class_probability():
    Z = np.array([[0.3, -0.2, 1.0], [2.0, 0.0, -1.0]])
    y = np.array([2, 1])
    p = numpy_softmax(Z)
    by_hand = -(np.log(p[0, 2]) + np.log(p[1, 1])) / 2  # seed 002 eq. 13, mean of 2
    assert logit_net(3, "softmax", "cross_entropy").loss(Z, y) == pytest.approx(by_hand, 1e-12)


def test_sigmoid_cross_entropy_is_the_binary_cross_entropy_summed_over_units():
    Z = np.array([[0.3, -2.0], [1.5, 0.2]])
    Y = np.array([[1.0, 0.0], [0.25, 1.0]])
    s = sigmoid(Z)
    by_hand = -np.sum(Y * np.log(s) + (1 - Y) * np.log(1 - s)) / 2
    assert logit_net(2, "sigmoid", "cross_entropy").loss(Z, Y) == pytest.approx(by_hand, 1e-12)


@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
def test_mse_is_squared_error_over_twice_the_node_count(output):
    # seed 000 eq. 5: J_k = Σ_i (ŷ_i - y_i)² / (2N), N = 3 output nodes; mean over 2 samples
    Z = np.array([[0.3, -0.2, 1.0], [2.0, 0.0, -1.0]])
    Y = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    P = {"softmax": numpy_softmax(Z), "sigmoid": sigmoid(Z), "identity": Z}[output]
    by_hand = np.sum((P - Y) ** 2) / (2 * 3) / 2
    assert logit_net(3, output, "mse").loss(Z, Y) == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_mse_plus_ce_parts_are_the_mse_and_ce_losses(output):
    net, X, y = random_problem(0, [3, 4, 3], "tanh", output, "mse+ce", B=6)
    parts = net.loss_parts(X, y)
    alone = {
        name: fcnn.Network.from_config(net.config() | {"loss": loss}, net.params).loss(X, y)
        for name, loss in (("mse", "mse"), ("ce", "cross_entropy"))
    }
    assert parts == pytest.approx(alone, rel=1e-12)
    assert net.loss(X, y) == pytest.approx(parts["mse"] + parts["ce"], rel=1e-12)


def test_softmax_cross_entropy_is_finite_and_exact_for_huge_logits():
    # naive exp(1000) overflows; log-sum-exp gives -ln softmax(z)_1 = 1000 + ln(1 + e^-1000)
    Z = np.array([[1000.0, 0.0], [0.0, -1000.0]])
    y = np.array([1, 1])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        J = logit_net(2, "softmax", "cross_entropy", "sum").loss(Z, y)
    assert J == pytest.approx(1000.0 + 1000.0, rel=1e-15)


def test_sigmoid_cross_entropy_is_finite_and_exact_for_huge_logits():
    # -ln(1 - σ(800)) = softplus(800) = 800 (to double precision); -ln σ(-800) = 800
    Z = np.array([[800.0], [-800.0]])
    y = np.array([[0.0], [1.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        J = logit_net(1, "sigmoid", "cross_entropy", "sum").loss(Z, y)
    assert J == pytest.approx(1600.0, rel=1e-15)


def test_cross_entropy_of_a_confident_right_answer_is_near_zero_not_nan():
    Z = np.array([[50.0, -50.0]])
    J = logit_net(2, "softmax", "cross_entropy").loss(Z, [0])
    assert 0.0 <= J < 1e-40


# ---------------------------------------------------------------------------------------------
# gradients with respect to the logits
# ---------------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(Z=logits, seed=seeds)
def test_softmax_cross_entropy_gradient_is_prediction_minus_soft_target(Z, seed):
    # seed 000 eq. 11 / seed 002 eq. 14: ∂J_k/∂a = ŷ - y for any probability row y
    Y = np.random.default_rng(seed).dirichlet(np.ones(Z.shape[1]), len(Z))
    net = logit_net(Z.shape[1], "softmax", "cross_entropy", "sum")
    for z, yk in zip(Z, Y, strict=True):
        _, dbs = net.gradients(z[None], yk[None])
        np.testing.assert_allclose(dbs[0], numpy_softmax(z[None])[0] - yk, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(Z=logits, seed=seeds)
def test_sigmoid_cross_entropy_gradient_is_prediction_minus_target(Z, seed):
    Y = np.random.default_rng(seed).uniform(0, 1, Z.shape)
    _, dbs = logit_net(Z.shape[1], "sigmoid", "cross_entropy", "sum").gradients(Z, Y)
    np.testing.assert_allclose(dbs[0], (sigmoid(Z) - Y).sum(axis=0), atol=1e-12)


def test_identity_mse_gradient_is_residual_over_node_count():
    Z = np.array([[0.5, -1.0, 2.0]])
    Y = np.array([[1.0, 1.0, 1.0]])
    _, dbs = logit_net(3, "identity", "mse").gradients(Z, Y)
    np.testing.assert_allclose(dbs[0], (Z - Y)[0] / 3, rtol=1e-15)


def test_sigmoid_mse_gradient_passes_through_the_elementwise_derivative():
    Z = np.array([[0.5, -1.0, 2.0]])
    Y = np.array([[1.0, 0.0, 0.5]])
    s = sigmoid(Z)
    _, dbs = logit_net(3, "sigmoid", "mse").gradients(Z, Y)
    np.testing.assert_allclose(dbs[0], ((s - Y) / 3 * s * (1 - s))[0], rtol=1e-12)


def test_softmax_mse_gradient_uses_the_full_jacobian():
    # ∂J/∂a = Jᵀ g with J = diag(s) - s sᵀ formed explicitly (docs/math.md §3.4)
    z = np.array([0.3, -0.2, 0.1])
    y = np.array([1.0, 0.0, 0.0])
    s = numpy_softmax(z[None])[0]
    jac = np.diag(s) - np.outer(s, s)
    _, dbs = logit_net(3, "softmax", "mse").gradients(z[None], y[None])
    np.testing.assert_allclose(dbs[0], jac.T @ ((s - y) / 3), rtol=1e-12)
    # and the numbers docs/math.md §4.1 gives for this case
    np.testing.assert_allclose(dbs[0], [-0.071727, 0.026334, 0.045393], atol=1e-6)


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(Z=logits)
def test_softmax_outputs_are_probability_rows(Z):
    P = logit_net(Z.shape[1], "softmax", "cross_entropy").forward(Z)
    assert (P >= 0).all() and (P <= 1).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    seed=seeds,
    B=batch_sizes,
    c=st.floats(-50, 50),
    loss=st.sampled_from(["cross_entropy", "mse", "mse+ce"]),
)
def test_softmax_losses_are_invariant_to_a_constant_added_to_the_logits(seed, B, c, loss):
    # softmax(a + c1) = softmax(a); adding c to every output bias adds c to every logit
    net, X, y = random_problem(seed, [3, 4, 3], "tanh", "softmax", loss, B=B)
    J, (dWs, dbs) = net.loss(X, y), net.gradients(X, y)
    net.biases[-1][...] += c
    assert net.loss(X, y) == pytest.approx(J, rel=1e-9, abs=1e-12)
    dWs_c, dbs_c = net.gradients(X, y)
    for d, d_c in zip(dWs + dbs, dWs_c + dbs_c, strict=True):
        np.testing.assert_allclose(d_c, d, rtol=1e-7, atol=1e-11)


@pytest.mark.parametrize(("output", "loss"), PAIRS)
@settings(max_examples=10, deadline=None)
@given(data=st.data(), seed=seeds, B=batch_sizes, depth=st.integers(1, 3))
def test_mean_reduction_is_the_sum_divided_by_the_batch_size(output, loss, data, seed, B, depth):
    sizes = data.draw(layer_sizes(depth, output), label="sizes")
    net, X, y = random_problem(seed, sizes, "tanh", output, loss, "sum", B)
    mean = fcnn.Network.from_config(net.config() | {"reduction": "mean"}, net.params)
    assert mean.loss(X, y) == pytest.approx(net.loss(X, y) / B, rel=1e-12)
    assert mean.loss_parts(X, y) == pytest.approx(
        {k: v / B for k, v in net.loss_parts(X, y).items()}, rel=1e-12
    )
    g_sum, g_mean = net.gradients(X, y), mean.gradients(X, y)
    for d_sum, d_mean in zip(g_sum[0] + g_sum[1], g_mean[0] + g_mean[1], strict=True):
        np.testing.assert_allclose(d_mean, d_sum / B, rtol=1e-12, atol=1e-15)


def test_poisson_loss_is_half_the_poisson_deviance_of_the_exponential_output():
    # J_k = Σ_i (y ln(y/ŷ) - y + ŷ), ŷ = exp(z), y ln y = 0 at y = 0; mean over 2 samples
    Z = np.array([[0.3, -1.2], [2.0, 0.0]])
    Y = np.array([[1.0, 0.0], [7.0, 2.0]])
    P = np.exp(Z)
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogy = np.where(Y > 0, Y * np.log(Y / P), 0.0)
    by_hand = np.sum(ylogy - Y + P) / 2
    net = logit_net(2, "exp", "poisson")
    assert net.loss(Z, Y) == pytest.approx(by_hand, rel=1e-12)
    assert net.loss(Z, P) == pytest.approx(0.0, abs=1e-12)  # a perfect fit has no deviance


def test_poisson_loss_equals_scikit_learns_half_poisson_deviance():
    sklearn_base = pytest.importorskip("sklearn.neural_network._base")
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(20, 3))
    Y = rng.poisson(2.0, (20, 3)).astype(float)
    w = rng.uniform(0.5, 2.0, 20)
    want = sklearn_base.poisson_loss(Y, np.exp(Z), sample_weight=w)
    net = logit_net(3, "exp", "poisson")  # sklearn: Σ_k w_k J_k / Σ_k w_k
    parts = net._loss_parts(*net._batch(Z, Y), 0.0, w / w.mean())
    assert parts["poisson"] == pytest.approx(want, rel=1e-12)


def test_poisson_gradient_is_prediction_minus_target():
    Z = np.array([[0.3, -1.2], [2.0, 0.0]])
    Y = np.array([[1.0, 0.0], [7.0, 2.0]])
    dZ = np.empty((2, 2))
    losses.value_and_delta(
        "poisson", "exp", Z.T.copy(), np.exp(Z).T, Y.T, dZ, 1.0, losses.Buffers.like(Z.T)
    )
    np.testing.assert_allclose(dZ, (np.exp(Z) - Y).T, rtol=1e-15)


@pytest.mark.parametrize(
    ("output", "loss", "y", "match"),
    [
        ("identity", "poisson", [[1.0]], "needs the exponential output"),
        ("exp", "poisson", [[-1.0]], "needs targets y >= 0"),
    ],
)
def test_poisson_refuses_other_outputs_and_negative_targets(output, loss, y, match):
    with pytest.raises(ValueError, match=match):
        logit_net(1, output, loss).loss(np.zeros((1, 1)), np.array(y))


def test_sum_reduction_adds_the_per_sample_losses():
    # seed 002 eq. 3i: J = Σ_k J_k
    net, X, y = random_problem(1, [2, 3, 2], "tanh", "softmax", "mse+ce", "sum", B=4)
    singles = sum(net.loss(X[k : k + 1], y[k : k + 1]) for k in range(4))
    assert net.loss(X, y) == pytest.approx(singles, rel=1e-12)


def test_labels_and_their_one_hot_rows_give_the_same_loss():
    net, X, _ = random_problem(2, [2, 3, 4], "tanh", "softmax", "mse+ce", B=5)
    labels = np.array([0, 3, 1, 1, 2])
    assert net.loss(X, labels) == pytest.approx(net.loss(X, one_hot(labels, 4)), rel=1e-15)
