"""Optimisers and learning-rate schedules (docs/math.md §7), weight decay and gradient clipping.

The update equations are checked against a hand-written NumPy transcription of the documented
equations, step by step on a quadratic; the schedules against their formulas, also through the
updates a training run actually makes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import fcnn
from fcnn.optim import SGD, Adam, RMSprop, get_optimizer, get_schedule

# a quadratic J(θ) = ½ θᵀ Q θ - cᵀ θ with gradient Q θ - c
Q = np.diag([1.0, 2.0, 5.0, 0.5, 3.0]) + 0.1
C = np.array([1.0, -2.0, 0.5, 3.0, 0.0])
THETA0 = np.array([0.5, -1.0, 2.0, 0.0, 1.5])


def quad_grad(theta):
    return Q @ theta - C


def hand_updates(kind, lr, steps, mu=0.9, beta1=0.9, beta2=0.999, rho=0.9, eps=1e-8):
    """The table of docs/math.md §7, one line per equation."""
    theta = THETA0.copy()
    v, m, s = np.zeros(5), np.zeros(5), np.zeros(5)
    path = []
    for t in range(1, steps + 1):
        g = quad_grad(theta)
        if kind == "gd":
            theta = theta - lr * g
        elif kind == "momentum":
            v = mu * v - lr * g
            theta = theta + v
        elif kind == "nesterov":
            v = mu * v - lr * g
            theta = theta + mu * v - lr * g
        elif kind == "adam":
            m = beta1 * m + (1 - beta1) * g
            s = beta2 * s + (1 - beta2) * g**2
            m_hat, s_hat = m / (1 - beta1**t), s / (1 - beta2**t)
            theta = theta - lr * m_hat / (np.sqrt(s_hat) + eps)
        elif kind == "rmsprop":
            s = rho * s + (1 - rho) * g**2
            theta = theta - lr * g / (np.sqrt(s) + eps)
        path.append(theta.copy())
    return path


def fcnn_updates(opt, lr, steps, theta=None):
    theta = THETA0.copy() if theta is None else theta
    path = []
    for _ in range(steps):
        opt.step(theta, quad_grad(theta), lr)
        path.append(theta.copy())
    return path


CASES = [
    # (optimizer as fcnn takes it, hand-written equations and hyperparameters)
    ("gd", ("gd", {})),
    ("sgd", ("gd", {})),
    ("momentum", ("momentum", {"mu": 0.9})),  # documented default μ = 0.9
    ("nesterov", ("nesterov", {"mu": 0.9})),
    ("adam", ("adam", {})),  # Kingma & Ba defaults β1 = 0.9, β2 = 0.999, ε = 1e-8
    ("rmsprop", ("rmsprop", {})),
    (SGD(momentum=0.5), ("momentum", {"mu": 0.5})),
    (SGD(momentum=0.7, nesterov=True), ("nesterov", {"mu": 0.7})),
    (Adam(beta1=0.8, beta2=0.99, eps=1e-6), ("adam", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6})),
    (RMSprop(rho=0.8, eps=1e-5), ("rmsprop", {"rho": 0.8, "eps": 1e-5})),
]


@pytest.mark.parametrize(("spec", "expected"), CASES, ids=lambda c: repr(c)[:40])
def test_optimizer_updates_follow_the_documented_equations(spec, expected):
    kind, hp = expected
    lr = 0.05
    got = fcnn_updates(get_optimizer(spec), lr, 12)
    want = hand_updates(kind, lr, 12, **hp)
    for t, (a, b) in enumerate(zip(got, want, strict=True), start=1):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14, err_msg=f"step {t}")


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        ("momentum", {"momentum": 0.3}, ("momentum", {"mu": 0.3})),
        ("nesterov", {"momentum": 0.6}, ("nesterov", {"mu": 0.6})),
        ("adam", {"beta1": 0.5}, ("adam", {"beta1": 0.5})),
        ("rmsprop", {"rho": 0.5}, ("rmsprop", {"rho": 0.5})),
    ],
)
def test_optimizer_options_by_name_reach_the_update(name, options, expected):
    kind, hp = expected
    got = fcnn_updates(get_optimizer(name, **options), 0.05, 5)
    np.testing.assert_allclose(got[-1], hand_updates(kind, 0.05, 5, **hp)[-1], rtol=1e-12)


def test_an_optimizer_object_is_used_as_given():
    opt = Adam(beta1=0.5)
    assert get_optimizer(opt) is opt


@pytest.mark.parametrize("spec", ["gd", "momentum", "nesterov", "adam", "rmsprop"])
def test_state_dict_round_trip_continues_identically(spec):
    whole = fcnn_updates(get_optimizer(spec), 0.05, 9)[-1]

    first = get_optimizer(spec)
    theta = fcnn_updates(first, 0.05, 4)[-1]
    saved = first.state_dict()
    fcnn_updates(first, 0.05, 3, theta.copy())  # the saved state must not follow the original
    resumed = get_optimizer(spec)
    resumed.load_state_dict(saved)
    assert np.array_equal(fcnn_updates(resumed, 0.05, 5, theta)[-1], whole)


def test_state_dict_holds_the_step_count_and_moments():
    opt = Adam()
    fcnn_updates(opt, 0.05, 3)
    state = opt.state_dict()
    assert state["t"] == 3
    assert {"m", "s"} <= set(state)
    with pytest.raises(ValueError, match=r"adam state lacks \['s'\]"):
        Adam().load_state_dict({"t": 1, "m": np.zeros(5)})


@pytest.mark.parametrize(
    ("optimizer", "lr", "batch_size"),
    [
        ("gd", 0.5, None),
        ("sgd", 0.1, 16),
        ("momentum", 0.05, 16),
        ("nesterov", 0.05, 16),
        ("adam", 0.01, 16),
        ("rmsprop", 0.01, 16),
    ],
)
def test_every_optimizer_reduces_the_loss_on_moons(optimizer, lr, batch_size):
    X, y = fcnn.datasets.moons(n_samples=200, noise=0.1, seed=0)
    net = fcnn.Network([2, 8, 2], seed=0)
    before = net.loss(X, y)
    net.fit(X, y, epochs=30, lr=lr, batch_size=batch_size, optimizer=optimizer)
    assert net.loss(X, y) < 0.7 * before


@pytest.mark.parametrize(
    ("spec", "options", "match"),
    [
        ("adagrad", {}, "unknown optimizer 'adagrad'; choose one of gd, sgd, momentum"),
        ("adam", {"beta3": 0.1}, "bad options for optimizer 'adam'"),
        ("momentum", {"momentum": 1.0}, r"momentum must be in \[0, 1\)"),
        ("sgd", {"momentum": -0.1}, r"momentum must be in \[0, 1\)"),
        ("sgd", {"nesterov": True}, "Nesterov momentum needs momentum > 0"),
        ("adam", {"beta1": 1.0}, r"beta1 must be in \[0, 1\)"),
        ("adam", {"beta2": -0.5}, r"beta2 must be in \[0, 1\)"),
        ("adam", {"eps": 0.0}, "eps must be > 0"),
        ("rmsprop", {"rho": 1.5}, r"rho must be in \[0, 1\)"),
        ("rmsprop", {"eps": -1.0}, "eps must be > 0"),
        ("adam", {"eps": float("nan")}, "eps must be > 0 and finite, got nan"),
        ("adam", {"beta1": float("nan")}, r"beta1 must be in \[0, 1\)"),
        ("momentum", {"momentum": "0.9"}, r"momentum must be in \[0, 1\)"),
    ],
)
def test_bad_optimizer_names_and_options_raise_value_error(spec, options, match):
    with pytest.raises(ValueError, match=match):
        get_optimizer(spec, **options)


def test_unknown_optimizer_is_refused_by_fit():
    X, y = fcnn.datasets.gaussians(n_samples=20)
    with pytest.raises(ValueError, match="unknown optimizer 'newton'"):
        fcnn.Network([2, 2, 2], seed=0).fit(X, y, epochs=1, optimizer="newton")


# ---------------------------------------------------------------------------------------------
# learning-rate schedules
# ---------------------------------------------------------------------------------------------


def test_constant_schedule_keeps_the_rate():
    s = get_schedule("constant", 0.3)
    assert [s.lr(e, t) for e, t in [(0, 0), (5, 17), (100, 1000)]] == [0.3, 0.3, 0.3]


def test_step_schedule_multiplies_by_gamma_every_step_size_epochs():
    s = get_schedule("step", 0.8, step_size=3, gamma=0.5)
    # α_e = α γ^⌊e/3⌋
    assert [s.lr(e, 0) for e in range(8)] == [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2]


def test_exponential_schedule_is_gamma_to_the_epoch():
    s = get_schedule("exponential", 0.5, gamma=0.9)
    assert [s.lr(e, 99) for e in range(4)] == pytest.approx([0.5, 0.45, 0.405, 0.3645])


def test_invscaling_schedule_divides_by_updates_plus_one_to_the_power_t():
    s = get_schedule("invscaling", 1.0, power_t=0.5)
    # α_t = α / (t + 1)^0.5 with t the updates done so far, whatever the epoch
    assert [s.lr(7, t) for t in (0, 3, 8, 99)] == pytest.approx([1.0, 0.5, 1 / 3, 0.1])


def test_adaptive_schedule_divides_by_factor_after_patience_epochs_without_improvement():
    s = get_schedule("adaptive", 1.0, factor=5.0, patience=2, tol=1e-4)
    rates = []
    for loss in [1.0, 0.9, 0.9, 0.9, 0.5, 0.49995, 0.5, 0.3]:
        s.on_epoch_end(loss)
        rates.append(s.lr(0, 0))
    # 0.9 twice without gain: /5; 0.49995 (a gain < tol) and 0.5: /5 again; 0.3 improves
    assert rates == pytest.approx([1.0, 1.0, 1.0, 0.2, 0.2, 0.2, 0.04, 0.04])


def test_adaptive_schedule_state_round_trip():
    s = get_schedule("adaptive", 1.0, patience=1)
    s.on_epoch_end(1.0)
    s.on_epoch_end(2.0)
    t = get_schedule("adaptive", 1.0, patience=1)
    t.load_state_dict(s.state_dict())
    for loss in (3.0, 0.1, 0.2):
        s.on_epoch_end(loss)
        t.on_epoch_end(loss)
        assert t.lr(0, 0) == s.lr(0, 0)


def _recorded_rates(schedule, options, epochs=6, batch_size=None):
    """The rate each update of a GD run really used: from θ_{t+1} = θ_t - α_t ∇J(θ_t)."""
    X, y = fcnn.datasets.gaussians(n_samples=40)
    net = fcnn.Network([2, 3, 2], seed=1)
    h = net.fit(
        X,
        y,
        epochs=epochs,
        lr=0.5,
        batch_size=batch_size,
        shuffle=False,
        schedule=schedule,
        schedule_options=options,
        record_params=True,
    )
    probe, rates = net.copy(), []
    B = len(X) if batch_size is None else batch_size
    for t in range(len(h.params) - 1):
        probe.set_params(h.params[t])
        k = t % (len(X) // B)
        dWs, dbs = probe.gradients(X[k * B : (k + 1) * B], y[k * B : (k + 1) * B])
        g = np.concatenate([np.column_stack(p).ravel() for p in zip(dWs, dbs, strict=True)])
        step = h.params[t] - h.params[t + 1]
        rates.append(float(step @ g / (g @ g)))
        np.testing.assert_allclose(step, rates[-1] * g, rtol=1e-9, atol=1e-15)
    return rates, h.lr


@pytest.mark.parametrize(
    ("schedule", "options", "expected"),
    [
        ("constant", {}, [0.5] * 6),
        ("step", {"step_size": 2, "gamma": 0.5}, [0.5, 0.5, 0.25, 0.25, 0.125, 0.125]),
        ("exponential", {"gamma": 0.8}, [0.5 * 0.8**e for e in range(6)]),
        ("invscaling", {"power_t": 0.5}, [0.5 / math.sqrt(t + 1) for t in range(6)]),
    ],
)
def test_training_uses_and_records_the_scheduled_rate(schedule, options, expected):
    rates, recorded = _recorded_rates(schedule, options)
    assert rates == pytest.approx(expected, rel=1e-8)
    assert recorded == pytest.approx(expected, rel=1e-12)


def test_invscaling_counts_updates_not_epochs_with_mini_batches():
    rates, _ = _recorded_rates("invscaling", {"power_t": 1.0}, epochs=2, batch_size=10)
    assert rates == pytest.approx([0.5 / (t + 1) for t in range(8)], rel=1e-8)


@pytest.mark.parametrize(
    ("spec", "lr", "options", "match"),
    [
        ("cosine", 0.1, {}, "unknown schedule 'cosine'; choose one of constant, step"),
        ("step", 0.1, {"step_size": 0}, "step_size >= 1"),
        ("step", 0.1, {"gamma": 0.0}, "0 < gamma <= 1"),
        ("exponential", 0.1, {"gamma": 1.5}, "0 < gamma <= 1"),
        ("invscaling", 0.1, {"power_t": -1.0}, "power_t must be >= 0"),
        ("adaptive", 0.1, {"factor": 0.0}, "adaptive schedule needs factor > 1"),
        ("adaptive", 0.1, {"factor": -5.0}, "adaptive schedule needs factor > 1"),
        ("adaptive", 0.1, {"factor": 0.5}, "adaptive schedule needs factor > 1"),
        ("adaptive", 0.1, {"patience": 0}, "patience >= 1"),
        ("adaptive", 0.1, {"tol": -1.0}, "tol >= 0"),
        ("step", 0.1, {"decay": 0.5}, "bad options for schedule 'step'"),
        ("constant", 0.0, {}, "learning rate must be a positive number, got 0.0"),
        ("constant", -0.1, {}, "learning rate must be a positive number"),
        ("constant", math.nan, {}, "learning rate must be a positive number"),
        ("constant", math.inf, {}, "learning rate must be a positive number"),
        ("constant", "0.1", {}, "learning rate must be a positive number"),
        ("constant", True, {}, "learning rate must be a positive number, got True"),
        ("invscaling", 0.1, {"power_t": float("nan")}, "power_t must be >= 0 and finite"),
        ("step", 0.1, {"step_size": 2.5}, "step_size >= 1"),
        ("exponential", 0.1, {"gamma": float("nan")}, "0 < gamma <= 1"),
        ("adaptive", 0.1, {"tol": float("nan")}, "tol >= 0"),
    ],
)
def test_bad_schedules_and_rates_raise_value_error(spec, lr, options, match):
    with pytest.raises(ValueError, match=match):
        get_schedule(spec, lr, **options)


# ---------------------------------------------------------------------------------------------
# weight decay and gradient clipping
# ---------------------------------------------------------------------------------------------


def _problem(seed=0):
    X, y = fcnn.datasets.gaussians(n_samples=30, seed=seed)
    net = fcnn.Network([2, 4, 3, 2], init="normal", seed=seed)
    return net, X, y


def test_l2_adds_lambda_times_w_to_weight_gradients_and_leaves_biases_alone():
    net, X, y = _problem()
    l2 = 0.37
    dWs, dbs = net.gradients(X, y)
    dWs_l2, dbs_l2 = net.gradients(X, y, l2=l2)
    for W, dW, dW_l2 in zip(net.weights, dWs, dWs_l2, strict=True):
        np.testing.assert_allclose(dW_l2 - dW, l2 * W, rtol=1e-12, atol=1e-15)
    for db, db_l2 in zip(dbs, dbs_l2, strict=True):
        np.testing.assert_array_equal(db_l2, db)


def test_one_gd_step_with_l2_decays_the_weights_only():
    net, X, y = _problem(1)
    l2, lr = 0.2, 0.1
    before = net.copy()
    dWs, dbs = before.gradients(X, y)
    net.fit(X, y, epochs=1, lr=lr, optimizer="gd", l2=l2)
    for W0, W1, dW in zip(before.weights, net.weights, dWs, strict=True):
        np.testing.assert_allclose(W1, W0 - lr * (dW + l2 * W0), rtol=1e-12, atol=1e-15)
    for b0, b1, db in zip(before.biases, net.biases, dbs, strict=True):
        np.testing.assert_allclose(b1, b0 - lr * db, rtol=1e-12, atol=1e-15)


def _one_clipped_step(clip):
    net, X, y = _problem(2)
    before = net.copy()
    dWs, dbs = before.gradients(X, y)
    norm = math.sqrt(sum(float((d**2).sum()) for d in dWs + dbs))
    net.fit(X, y, epochs=1, lr=1.0, optimizer="gd", clip=None if clip is None else clip * norm)
    old, new = before.weights + before.biases, net.weights + net.biases
    steps = [b - a for a, b in zip(old, new, strict=True)]
    step_norm = math.sqrt(sum(float((s**2).sum()) for s in steps))
    return steps, [-d for d in dWs + dbs], norm, step_norm


def test_clipping_scales_the_step_to_the_global_norm_bound():
    steps, descent, norm, step_norm = _one_clipped_step(0.25)
    assert step_norm == pytest.approx(0.25 * norm, rel=1e-10)  # lr = 1: |Δθ| = clip
    for s, d in zip(steps, descent, strict=True):  # same direction as the unclipped step
        np.testing.assert_allclose(s, 0.25 * d, rtol=1e-9, atol=1e-15)


def test_clipping_leaves_a_gradient_inside_the_bound_untouched():
    steps, descent, norm, step_norm = _one_clipped_step(2.0)
    for s, d in zip(steps, descent, strict=True):
        np.testing.assert_allclose(s, d, rtol=1e-10, atol=1e-15)
    assert step_norm == pytest.approx(norm, rel=1e-10)


def test_numpy_rates_are_accepted():
    assert get_schedule("constant", np.float32(0.5)).lr(0, 0) == 0.5
    assert get_schedule("step", np.int64(1), step_size=np.int64(2)).lr(2, 0) == 0.5
