"""Network: one gradient-descent step of seed 000's 2-2-2 network worked by hand, the
departure from seed 000's softmax derivative (docs/math.md §4.1), the forward pass against
plain NumPy, the parameter layout, and the checks at the public edge."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import (
    ACTIVATIONS,
    PAIRS,
    batch_sizes,
    layer_sizes,
    numpy_forward,
    numpy_softmax,
    random_problem,
    seeds,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import fcnn

# ---------------------------------------------------------------------------------------------
# one step of seed 000's network, by hand
# ---------------------------------------------------------------------------------------------


def _seed000_network() -> fcnn.Network:
    net = fcnn.Network([2, 2, 2], "tanh", "softmax", "mse+ce", "mean")
    net.weights[0][...] = [[0.1, 0.2], [-0.3, 0.4]]
    net.biases[0][...] = [0.0, 0.1]
    net.weights[1][...] = [[0.5, -0.6], [0.7, 0.8]]
    net.biases[1][...] = [0.1, -0.1]
    return net


X_HAND = np.array([[1.0, 2.0], [-1.0, 0.5]])
Y_HAND = np.array([0, 1])  # one-hot: y_1 = (1, 0), y_2 = (0, 1)

# The numbers below were worked out with a calculator (plain Python `math`, no fcnn). N = 2
# output nodes, B = 2 samples, J = (1/B) Σ_k (MSE_k + CE_k) (seed 000 eq. 5-7, mean reduction).
#
# Sample 1: x = (1, 2), y = (1, 0)
#   a1 = W1 x + b1 = (0.1·1 + 0.2·2 + 0, -0.3·1 + 0.4·2 + 0.1) = (0.5, 0.6)
#   h1 = tanh(a1) = (0.4621171573, 0.5370495670)
#   a2 = W2 h1 + b2 = (0.5·0.46212 - 0.6·0.53705 + 0.1, 0.7·0.46212 + 0.8·0.53705 - 0.1)
#      = (0.008828838431, 0.6531216637)
#   ŷ = softmax(a2) = e^a2 / Σe^a2 = (0.3442767861, 0.6557232139)
#   CE_1 = -ln ŷ_1 = 1.066309334;   MSE_1 = ((ŷ_1 - 1)² + ŷ_2²) / (2N) = 0.2149864666
#   dJ_1/da2, CE part (seed 000 eq. 11):  ŷ - y = (-0.6557232139, 0.6557232139)
#   dJ_1/da2, MSE part through the FULL softmax Jacobian diag(ŷ) - ŷŷᵀ (docs/math.md eq. 3.4):
#     g = (ŷ - y)/N = (-0.3278616069, 0.3278616069),  g·ŷ = 0.1021113263,
#     ŷ ⊙ (g - g·ŷ) = (-0.1480296996, 0.1480296996)
#   δ_1 = dJ_1/da2 = (-0.8037529135, 0.8037529135)
#   dh1 = W2ᵀ δ_1 = (0.5·(-0.80375) + 0.7·0.80375, -0.6·(-0.80375) + 0.8·0.80375)
#       = (0.1607505827, 1.125254079)
#   da1 = dh1 ⊙ (1 - h1²) = (0.1264219313, 0.8007057798)
#
# Sample 2: x = (-1, 0.5), y = (0, 1)
#   a1 = (-0.1 + 0.1 + 0, 0.3 + 0.2 + 0.1) = (0, 0.6);  h1 = (0, 0.5370495670)
#   a2 = (-0.6·0.53705 + 0.1, 0.8·0.53705 - 0.1) = (-0.2222297402, 0.3296396536)
#   ŷ = (0.3654308042, 0.6345691958)
#   CE_2 = -ln ŷ_2 = 0.4548089421;   MSE_2 = (ŷ_1² + (ŷ_2 - 1)²) / (2N) = 0.06676983633
#   CE part ŷ - y = (0.3654308042, -0.3654308042)
#   MSE part: g = (0.1827154021, -0.1827154021), g·ŷ = -0.04917572944,
#     ŷ ⊙ (g - g·ŷ) = (0.08474016268, -0.08474016268)
#   δ_2 = (0.4501709669, -0.4501709669)
#   dh1 = W2ᵀ δ_2 = (0.5·0.45017 - 0.7·0.45017, -0.6·0.45017 - 0.8·0.45017)
#       = (-0.09003419338, -0.6302393536)
#   da1 = dh1 ⊙ (1 - h1²) = (-0.09003419338, -0.4484643092)
#
# Batch (mean over the two samples):
#   mse = (0.2149864666 + 0.06676983633)/2 = 0.1408781515
#   ce  = (1.066309334 + 0.4548089421)/2   = 0.7605591382,   J = 0.9014372897
#   dW2 = (δ_1 h1_1ᵀ + δ_2 h1_2ᵀ)/2, e.g. dW2[0,0] = (-0.80375·0.46212 + 0.45017·0)/2
#   db2 = (δ_1 + δ_2)/2,  dW1 = (da1_1 x_1ᵀ + da1_2 x_2ᵀ)/2,  db1 = (da1_1 + da1_2)/2
#   one GD step, lr = 0.1 (seed 000 eq. 8): W <- W - 0.1 dW, b <- b - 0.1 db
HAND_MSE, HAND_CE = 0.140878151473522, 0.7605591382464321
HAND_DW1 = [[0.1082280623535, 0.1039133829877], [0.6245850444593, 0.6885897024815]]
HAND_DB1 = [0.01819386897800, 0.1761207353097]
HAND_DW2 = [[-0.1857140057545, -0.09494551565597], [0.1857140057545, 0.09494551565597]]
HAND_DB2 = [-0.1767909732926, 0.1767909732926]
HAND_W1_AFTER = [[0.08917719376465, 0.1896086617012], [-0.3624585044459, 0.3311410297518]]
HAND_B1_AFTER = [-0.001819386897800, 0.08238792646903]
HAND_W2_AFTER = [[0.5185714005754, -0.5905054484344], [0.6814285994246, 0.7905054484344]]
HAND_B2_AFTER = [0.1176790973293, -0.1176790973293]


def test_seed000_loss_and_its_parts_match_hand_computation():
    net = _seed000_network()
    parts = net.loss_parts(X_HAND, Y_HAND)
    assert set(parts) == {"mse", "ce"}
    assert parts["mse"] == pytest.approx(HAND_MSE, abs=1e-9)
    assert parts["ce"] == pytest.approx(HAND_CE, abs=1e-9)
    assert net.loss(X_HAND, Y_HAND) == pytest.approx(HAND_MSE + HAND_CE, abs=1e-9)


def test_seed000_gradients_match_hand_computation():
    dWs, dbs = _seed000_network().gradients(X_HAND, Y_HAND)
    np.testing.assert_allclose(dWs[0], HAND_DW1, rtol=0, atol=1e-9)
    np.testing.assert_allclose(dbs[0], HAND_DB1, rtol=0, atol=1e-9)
    np.testing.assert_allclose(dWs[1], HAND_DW2, rtol=0, atol=1e-9)
    np.testing.assert_allclose(dbs[1], HAND_DB2, rtol=0, atol=1e-9)


def test_seed000_one_gradient_descent_step_matches_hand_computation():
    net = _seed000_network()
    history = net.fit(X_HAND, Y_HAND, epochs=1, lr=0.1, optimizer="gd")
    np.testing.assert_allclose(net.weights[0], HAND_W1_AFTER, rtol=0, atol=1e-9)
    np.testing.assert_allclose(net.biases[0], HAND_B1_AFTER, rtol=0, atol=1e-9)
    np.testing.assert_allclose(net.weights[1], HAND_W2_AFTER, rtol=0, atol=1e-9)
    np.testing.assert_allclose(net.biases[1], HAND_B2_AFTER, rtol=0, atol=1e-9)
    # full-batch GD: the epoch's loss is J before its one update
    assert history.loss == pytest.approx([HAND_MSE + HAND_CE], abs=1e-9)


@pytest.mark.parametrize("loss", ["mse", "mse+ce"])
def test_seed000_elementwise_softmax_derivative_is_wrong_and_fcnn_is_right(loss):
    # docs/math.md §4.1: one sample, logits a = (0.3, -0.2), target (1, 0). A one-layer network
    # with W = I and b = 0 has a = x, so ∂J/∂b is ∂J/∂a.
    a, y, N = np.array([0.3, -0.2]), np.array([1.0, 0.0]), 2

    def J(a):
        s = numpy_softmax(a[None, :])[0]
        mse = np.sum((s - y) ** 2) / (2 * N)
        return mse if loss == "mse" else mse - np.sum(y * np.log(s))

    h = 1e-6
    fd = np.array([(J(a + h * e) - J(a - h * e)) / (2 * h) for e in np.eye(N)])

    s = numpy_softmax(a[None, :])[0]
    g = (s - y) / N
    seed000 = g * (s - s**2)  # eq. 10: the Jacobian's diagonal only
    if loss == "mse+ce":
        seed000 = seed000 + (s - y)  # eq. 11 is right

    net = fcnn.Network([2, 2], output="softmax", loss=loss)
    net.weights[0][...] = np.eye(2)
    net.biases[0][...] = 0.0
    _, dbs = net.gradients(a[None, :], y[None, :])

    np.testing.assert_allclose(dbs[0], fd, rtol=1e-8)
    assert np.abs(seed000 - fd).max() > 1e-2 * np.abs(fd).max()
    # the values docs/math.md §4.1 tabulates
    expected = {"mse": 0.08872346, "mse+ce": 0.46626413}[loss]
    np.testing.assert_allclose(dbs[0], [-expected, expected], atol=1e-8)


# ---------------------------------------------------------------------------------------------
# forward pass and parameter layout
# ---------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("custom_activation")
@pytest.mark.parametrize(("output", "loss"), PAIRS)
@settings(max_examples=15, deadline=None)
@given(
    data=st.data(),
    seed=seeds,
    B=batch_sizes,
    depth=st.integers(1, 4),
    activation=st.sampled_from(ACTIVATIONS),
)
def test_forward_and_logits_equal_plain_numpy(output, loss, data, seed, B, depth, activation):
    sizes = data.draw(layer_sizes(depth, output), label="sizes")
    net, X, _ = random_problem(seed, sizes, activation, output, loss, B=B)
    A, P = numpy_forward(net, X)
    np.testing.assert_allclose(net.logits(X), A[-1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(net.forward(X), P, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(net.predict_proba(X), P, rtol=1e-12, atol=1e-12)


def test_params_hold_each_layer_as_a_row_major_w_b_block():
    net = fcnn.Network([3, 4, 2], seed=0)
    net.set_params(np.arange(net.n_params, dtype=float))
    # layer 1: W1 (4, 3) and b1 (4,) fill the first 4·(3+1) = 16 entries as [W1 | b1] rows
    np.testing.assert_array_equal(net.weights[0], [[0, 1, 2], [4, 5, 6], [8, 9, 10], [12, 13, 14]])
    np.testing.assert_array_equal(net.biases[0], [3, 7, 11, 15])
    np.testing.assert_array_equal(net.weights[1], [[16, 17, 18, 19], [21, 22, 23, 24]])
    np.testing.assert_array_equal(net.biases[1], [20, 25])
    assert net.n_params == 4 * 4 + 2 * 5
    assert [W.shape for W in net.weights] == [(4, 3), (2, 4)]
    assert [b.shape for b in net.biases] == [(4,), (2,)]


def test_weights_and_biases_are_views_into_params():
    net = fcnn.Network([2, 3, 2], seed=0)
    net.weights[1][0, 2] = 7.5
    net.biases[0][1] = -2.5
    assert net.params[9 + 2] == 7.5  # block 2 starts after 3·(2+1) = 9 entries
    assert net.params[1 * 3 + 2] == -2.5
    net.params[:] = 0
    assert not net.weights[0].any() and not net.biases[1].any()


@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
def test_predict_returns_class_indices_or_values(output):
    net, X, _ = random_problem(4, [3, 5, 4], "tanh", output, "mse", B=20)
    P = net.forward(X)
    pred = net.predict(X)
    if output == "softmax":
        assert pred.shape == (20,)
        np.testing.assert_array_equal(pred, P.argmax(axis=1))
        assert set(pred) <= set(range(4))
    elif output == "sigmoid":
        np.testing.assert_array_equal(pred, (P > 0.5).astype(int))
    else:
        np.testing.assert_array_equal(pred, P)


def test_single_output_network_predicts_a_vector():
    net, X, _ = random_problem(5, [2, 3, 1], "tanh", "sigmoid", "cross_entropy", B=6)
    pred = net.predict(X)
    assert pred.shape == (6,)
    assert set(pred) <= {0, 1}


@settings(max_examples=25, deadline=None)
@given(seed=seeds, B=st.integers(1, 30), n_out=st.integers(2, 6))
def test_predict_returns_valid_class_indices(seed, B, n_out):
    net, X, _ = random_problem(seed, [3, 4, n_out], "tanh", "softmax", "cross_entropy", B=B)
    pred = net.predict(X)
    assert pred.shape == (B,)
    assert pred.dtype.kind == "i"
    assert ((pred >= 0) & (pred < n_out)).all()


def test_l2_penalty_adds_half_lambda_times_squared_weights_to_the_loss():
    net, X, y = random_problem(6, [3, 4, 2], "tanh", "softmax", "cross_entropy", B=5)
    l2 = 0.3
    by_hand = 0.5 * l2 * sum(float((W**2).sum()) for W in net.weights)  # biases not included
    parts = net.loss_parts(X, y, l2=l2)
    assert parts["l2"] == pytest.approx(by_hand, rel=1e-12)
    assert net.loss(X, y, l2=l2) == pytest.approx(net.loss(X, y) + by_hand, rel=1e-12)


def test_copy_and_from_config_rebuild_an_equal_independent_network():
    net, X, _ = random_problem(7, [3, 4, 2], "relu", "softmax", "mse+ce", "sum")
    twin = fcnn.Network.from_config(net.config(), net.params)
    dup = net.copy()
    for other in (twin, dup):
        assert other.config() == net.config()
        np.testing.assert_array_equal(other.forward(X), net.forward(X))
    dup.params[:] = 0
    assert net.params.any()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_parameters_and_outputs_keep_the_chosen_dtype(dtype):
    net = fcnn.Network([3, 4, 2], seed=0, dtype=dtype)
    X = np.ones((2, 3))  # float64 input
    assert net.params.dtype == dtype
    assert all(W.dtype == dtype for W in net.weights)
    assert all(b.dtype == dtype for b in net.biases)
    assert net.forward(X).dtype == dtype
    assert net.logits(X).dtype == dtype
    assert all(d.dtype == dtype for d in net.gradients(X, [0, 1])[0])


# ---------------------------------------------------------------------------------------------
# checks at the public edge
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sizes": [2]}, "sizes must list at least two"),
        ({"sizes": []}, "sizes must list at least two"),
        ({"sizes": [2, 0, 2]}, "sizes must list at least two positive integer"),
        ({"sizes": [2, -1, 2]}, "sizes must"),
        ({"sizes": [2.5, 2]}, "sizes must list at least two positive integer"),
        ({"sizes": ["a", 2]}, "sizes must"),
        ({"sizes": 3}, "sizes must"),
        ({"activation": "swoosh"}, "unknown activation 'swoosh'"),
        ({"activation": ["tanh", "relu"]}, "got 2 activations for 1 hidden layers"),
        ({"sizes": [2, 3, 3, 2], "activation": ["tanh"]}, "got 1 activations for 2 hidden"),
        ({"output": "softmax", "loss": "hinge"}, "unknown loss 'hinge'"),
        ({"output": "tanh"}, "unknown output 'tanh'"),
        ({"output": "identity", "loss": "cross_entropy"}, "needs a probability output"),
        ({"output": "identity", "loss": "mse+ce"}, "needs a probability output"),
        ({"sizes": [2, 1], "output": "softmax"}, "softmax output needs at least 2 units"),
        ({"reduction": "max"}, "unknown reduction 'max'"),
        ({"init": "zeros"}, "unknown init 'zeros'"),
        ({"dtype": "float16"}, "dtype must be float32 or float64"),
        ({"seed": 1.5}, "seed must be an int"),
        ({"seed": True}, "seed must be an int"),
        ({"seed": -1}, "seed must be an int >= 0 or None, got -1"),
        ({"seed": "x"}, "seed must be an int"),
        ({"dtype": "blah"}, "dtype must be float32 or float64, got 'blah'"),
    ],
)
def test_bad_network_arguments_raise_value_error_naming_the_problem(kwargs, match):
    args = {"sizes": [2, 3, 2]} | kwargs
    with pytest.raises(ValueError, match=match):
        fcnn.Network(**args)


def _net():
    return fcnn.Network([2, 3, 3], seed=0)  # softmax, cross-entropy, 3 classes


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.array([[0.0, np.nan]]), "NaN or inf .*row 0, column 1"),
        (np.array([[0.0, 1.0], [np.inf, 0.0]]), "NaN or inf .*row 1, column 0"),
        (np.zeros(2), "must be 2-D .*got shape \\(2,\\)"),
        (np.zeros((2, 2, 1)), "must be 2-D .*got shape \\(2, 2, 1\\)"),
        (np.zeros((0, 2)), "empty"),
        (np.zeros((2, 3)), "X has 3 features but the network's input layer has 2"),
        (np.array([["a", "b"]]), "must be numeric"),
    ],
)
def test_bad_inputs_raise_value_error_naming_the_problem(X, match):
    net = _net()
    with pytest.raises(ValueError, match=match):
        net.forward(X)
    with pytest.raises(ValueError, match=match):
        net.loss(X, np.zeros(len(X), int))


X2 = np.zeros((2, 2))


@pytest.mark.parametrize(
    ("y", "match"),
    [
        ([0, 3], "label 3 is out of range: a network with 3 outputs takes labels 0..2"),
        ([-1, 0], "label -1 is out of range"),
        ([0.5, 1.0], "non-integer values"),
        ([0, 1, 2], "y has 3 rows but X has 2"),
        (np.zeros((2, 2)), "targets \\(n_samples, 3\\); got shape \\(2, 2\\)"),
        (np.full((2, 3), 0.5), "must sum to 1 per row; row 0 sums to 1.5"),
        (np.array([[1.5, -0.5, 0.0], [1, 0, 0]]), "must lie in \\[0, 1\\]"),
        (np.array([[np.nan, 0, 1], [1, 0, 0]]), "NaN or inf"),
        (np.array([np.nan, 1.0]), "y contains NaN or inf"),
        (np.array(["a", "b"]), "must be numeric"),
    ],
)
def test_bad_targets_raise_value_error_naming_the_problem(y, match):
    net = _net()
    with pytest.raises(ValueError, match=match):
        net.loss(X2, y)
    with pytest.raises(ValueError, match=match):
        net.gradients(X2, y)
    with pytest.raises(ValueError, match=match):
        net.fit(X2, y, epochs=1)


def test_integral_float_labels_are_accepted_as_classes():
    net = _net()
    assert net.loss(X2, np.array([0.0, 2.0])) == pytest.approx(net.loss(X2, [0, 2]))


def test_set_params_refuses_a_wrong_shape_and_non_finite_values():
    net = _net()
    with pytest.raises(ValueError, match=f"params must have shape \\({net.n_params},\\)"):
        net.set_params(np.zeros(net.n_params + 1))
    bad = np.zeros(net.n_params)
    bad[3] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        net.set_params(bad)
    for other in (np.full(net.n_params, "a"), np.zeros(net.n_params, complex)):
        with pytest.raises(ValueError, match="params must be real numbers"):
            net.set_params(other)


def test_nan_far_down_a_large_input_is_reported_at_its_row_and_column():
    # the finiteness check runs in blocks of rows; a NaN in a later block keeps its true position
    X = np.zeros((10_000, 3))
    X[9_001, 2] = np.nan
    net = fcnn.Network([3, 2, 2], seed=0)
    with pytest.raises(ValueError, match=r"first at row 9001, column 2"):
        net.forward(X)


def test_a_finite_input_too_large_for_float32_is_named_as_such():
    net = fcnn.Network([3, 4, 2], dtype="float32", seed=0)
    X = np.ones((2, 3))
    X[1, 2] = 1e300
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        with pytest.raises(ValueError, match=r"X holds 1e\+300 at row 1, column 2, too large"):
            net.predict(X)
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        net.predict(np.full((2, 3), np.inf))


@pytest.mark.parametrize("l2", [-1.0, float("nan"), "a", True])
def test_loss_and_gradients_refuse_a_bad_l2(l2):
    net = _net()
    y = np.array([0, 2])
    for call in (net.loss, net.loss_parts, net.gradients):
        with pytest.raises(ValueError, match="l2 must be a finite number >= 0"):
            call(X2, y, l2=l2)


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_pickled_network_trains_and_predicts_as_the_original(how):
    import copy
    import pickle

    X, y = fcnn.datasets.moons(200, seed=1)
    net = fcnn.Network([2, 8, 2], seed=0)
    net.classes, net.feature_mean, net.feature_scale = ["a", "b"], X.mean(0), X.std(0)
    twin = pickle.loads(pickle.dumps(net)) if how == "pickle" else copy.deepcopy(net)
    # its weights and biases are views of its parameters again, not copies cut off from them
    for block in (*twin.weights, *twin.biases, *twin._Wb):
        assert np.shares_memory(block, twin.params)
    assert all(np.shares_memory(g, twin._grad) for g in twin._dWb)
    assert twin.classes == ["a", "b"] and np.array_equal(twin.feature_mean, net.feature_mean)
    net.fit(X, y, epochs=20, lr=0.1)
    twin.fit(X, y, epochs=20, lr=0.1)
    assert np.array_equal(twin.params, net.params)
    assert np.array_equal(twin.weights[1], net.weights[1])
    assert np.array_equal(twin.predict_proba(X), net.predict_proba(X))
