"""The fast path (flat buffers, bias trick, fused loss gradients) against ``fcnn.reference``,
the seeds' math line by line in seed 002's features × batch layout with explicit output
Jacobians. One source of truth per formula: this module proves the two agree."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (
    ACTIVATIONS,
    DEPTHS,
    PAIRS,
    REDUCTIONS,
    batch_sizes,
    layer_sizes,
    numpy_forward,
    one_hot,
    random_problem,
    seeds,
)
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fcnn import reference


def _seed_layout(net, X, y):
    """Weights as they are (seed 002's orientation), X and Y transposed to features × batch."""
    Y = one_hot(y, net.n_outputs) if np.ndim(y) == 1 else np.asarray(y, float)
    return list(net.weights), list(net.biases), X.T, Y.T


@pytest.mark.usefixtures("custom_activation")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("output", "loss"), PAIRS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@settings(max_examples=8, deadline=None)
@given(data=st.data(), seed=seeds, B=batch_sizes, depth=st.sampled_from(DEPTHS))
def test_network_gradients_and_loss_equal_the_reference(
    activation, output, loss, reduction, data, seed, B, depth
):
    sizes = data.draw(layer_sizes(depth, output), label="sizes")
    net, X, y = random_problem(seed, sizes, activation, output, loss, reduction, B)
    if output == "sigmoid":
        # the reference takes ln(1 - σ(a)) of a rounded σ(a), which keeps only ~u/(1 - σ) relative
        # precision where σ saturates; fcnn computes it from the logits (docs/math.md §3.3)
        assume(np.abs(numpy_forward(net, X)[0][-1]).max() < 12)
    Ws, bs, Xs, Ys = _seed_layout(net, X, y)
    acts = net.activations
    J, dWs_ref, dbs_ref = reference.gradients(Ws, bs, Xs, Ys, acts, output, loss, reduction)

    assert net.loss(X, y) == pytest.approx(J, rel=1e-10, abs=1e-13)
    dWs, dbs = net.gradients(X, y)
    for k in range(depth):
        np.testing.assert_allclose(dWs[k], dWs_ref[k], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(dbs[k], dbs_ref[k], rtol=1e-9, atol=1e-12)


@pytest.mark.usefixtures("custom_activation")
@pytest.mark.parametrize(("output", "loss"), PAIRS)
@settings(max_examples=20, deadline=None)
@given(
    data=st.data(),
    seed=seeds,
    B=batch_sizes,
    depth=st.sampled_from(DEPTHS),
    activation=st.sampled_from(ACTIVATIONS),
)
def test_fast_forward_equals_reference_forward_then_output(
    output, loss, data, seed, B, depth, activation
):
    sizes = data.draw(layer_sizes(depth, output), label="sizes")
    net, X, y = random_problem(seed, sizes, activation, output, loss, B=B)
    Ws, bs, Xs, _ = _seed_layout(net, X, y)
    a, h = reference.forward(Ws, bs, Xs, net.activations)

    assert len(a) == depth + 1 and a[0] is None
    assert [hk.shape for hk in h] == [(n, B) for n in sizes[:-1]]
    np.testing.assert_allclose(net.logits(X), a[-1].T, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(
        net.forward(X), reference.output(output, a[-1]).T, rtol=1e-12, atol=1e-13
    )


def test_reference_uses_seed002_layout_one_sample_per_column():
    # The same network on a batch and on its columns one at a time: the batch's gradients are
    # the sum of the per-sample ones (seed 002 eq. 8, reduction "sum").
    net, X, y = random_problem(0, [3, 4, 2], "tanh", "softmax", "cross_entropy", "sum", B=4)
    Ws, bs, Xs, Ys = _seed_layout(net, X, y)
    J, dWs, dbs = reference.gradients(
        Ws, bs, Xs, Ys, net.activations, "softmax", "cross_entropy", "sum"
    )
    parts = [
        reference.gradients(
            Ws, bs, Xs[:, [k]], Ys[:, [k]], net.activations, "softmax", "cross_entropy", "sum"
        )
        for k in range(4)
    ]
    assert J == pytest.approx(sum(p[0] for p in parts), rel=1e-12)
    for k in range(2):
        np.testing.assert_allclose(dWs[k], sum(p[1][k] for p in parts), rtol=1e-12)
        np.testing.assert_allclose(dbs[k], sum(p[2][k] for p in parts), rtol=1e-12)
