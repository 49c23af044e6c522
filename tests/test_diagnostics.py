"""Training-health diagnostics (fcnn.diagnostics) and the end-of-run verdicts (fcnn.verdicts),
on runs built to trigger each one."""

import math

import numpy as np
import pytest

import fcnn
from fcnn import datasets, reference
from fcnn._fast import step as fast_step
from fcnn.history import History
from fcnn.verdicts import verdicts


@pytest.fixture(scope="module")
def moons():
    return datasets.moons(300, seed=0)


def test_full_batch_epoch_one_matches_an_independent_computation(moons):
    X, y = moons
    net = fcnn.Network([2, 5, 3, 2], activation=["tanh", "sigmoid"], seed=1)
    Ws, bs = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
    theta0 = net.params.copy()
    h = net.fit(X, y, epochs=1, lr=0.3, diagnostics=True)
    a, hs = reference.forward(Ws, bs, X.T, ["tanh", "sigmoid"])
    d = h.diagnostics
    assert d["layer1_saturated"][0] == pytest.approx(np.mean(np.abs(hs[1]) > 0.97))
    assert d["layer2_saturated"][0] == pytest.approx(np.mean((hs[2] < 0.02) | (hs[2] > 0.98)))
    assert d["layer1_act_mean"][0] == pytest.approx(hs[1].mean())
    assert d["layer2_act_std"][0] == pytest.approx(hs[2].std())
    Y = np.eye(2)[y].T
    _, dW, db = reference.gradients(Ws, bs, X.T, Y, ["tanh", "sigmoid"], "softmax", "cross_entropy")
    for k in range(3):
        g = np.sqrt((dW[k] ** 2).sum() + (db[k] ** 2).sum())
        assert d[f"layer{k + 1}_grad_norm"][0] == pytest.approx(g, rel=1e-9)
    blocks = np.split(
        np.arange(net.n_params), np.cumsum([W.size + b.size for W, b in zip(Ws, bs, strict=True)])
    )
    for k, idx in enumerate(blocks[:3]):
        # ‖θ‖ at the start of the epoch
        ratio = np.linalg.norm(net.params[idx] - theta0[idx]) / np.linalg.norm(theta0[idx])
        assert d[f"layer{k + 1}_update_ratio_log10"][0] == pytest.approx(math.log10(ratio))


def test_initial_loss_check_expects_ln_k_for_cross_entropy():
    X, y = datasets.spirals(n_samples=300, n_classes=3, seed=0)
    net = fcnn.Network([2, 8, 3], seed=0)
    h = net.fit(X, y, epochs=1, lr=0.1, batch_size=50, diagnostics=True)
    assert h.checks["expected_initial_loss"] == pytest.approx(math.log(3))
    assert h.checks["initial_loss"] == pytest.approx(h.step_loss[0])
    assert h.checks["frequency_loss"] == pytest.approx(math.log(3))


def test_initial_loss_check_gives_the_class_frequency_loss_when_unbalanced():
    X = np.random.default_rng(0).normal(size=(100, 2))
    y = np.r_[np.zeros(90, int), np.ones(10, int)]
    h = fcnn.Network([2, 4, 2], seed=0).fit(X, y, epochs=1, diagnostics=True)
    assert h.checks["frequency_loss"] == pytest.approx(-(0.9 * math.log(0.9) + 0.1 * math.log(0.1)))


def test_regression_runs_skip_the_initial_loss_check():
    X = np.linspace(-1, 1, 50)[:, None]
    net = fcnn.Network([1, 4, 1], output="identity", loss="mse", seed=0)
    h = net.fit(X, X[:, 0] ** 2, epochs=2, diagnostics=True)
    assert h.checks == {} and len(h.diagnostics["layer1_saturated"]) == 2


def test_diagnostics_are_the_same_whichever_step_ran(moons):
    X, y = moons

    def run(kind: str) -> History:
        net = fcnn.Network([2, 16, 16, 2], activation=["tanh", "relu"], seed=3)
        tr = fcnn.Trainer(net, X, y, epochs=4, lr=0.5, batch_size=32, diagnostics=True)
        if kind == "readable":
            tr._plan = fast_step.readable(net, tr.optimizer, l2=0.0, clip=None)
        elif kind == "compiled":
            tr._plan = fast_step.choose(net, tr.optimizer, l2=0.0, clip=None, weighted=False,
                                        gradient=True)  # fmt: skip
        assert tr._plan.kind == kind
        return tr.run()

    folded, compiled, readable = run("folded"), run("compiled"), run("readable")
    assert folded.diagnostics.keys() == readable.diagnostics.keys()
    for name in folded.diagnostics:
        for other in (compiled, readable):  # the folded step holds α∇J: equal up to rounding
            np.testing.assert_allclose(folded.diagnostics[name], other.diagnostics[name], rtol=1e-9)
    np.testing.assert_array_equal(compiled.loss, readable.loss)


def test_diagnostics_are_off_by_default_and_leave_the_fast_path(moons):
    X, y = moons
    net = fcnn.Network([2, 4, 2], seed=0)
    tr = fcnn.Trainer(net, X, y, epochs=2, lr=0.5)
    assert tr._plan.kind in ("descend", "folded") and tr.run().diagnostics == {}


def test_history_state_round_trips_diagnostics_and_loads_an_old_state(moons):
    X, y = moons
    h = fcnn.Network([2, 4, 2], seed=0).fit(X, y, epochs=3, diagnostics=True)
    arrays, meta = h.to_state()
    back = History.from_state(arrays, meta)
    assert back.diagnostics == h.diagnostics and back.checks == h.checks
    old_meta = {k: v for k, v in meta.items() if k not in ("diagnostics", "checks")}
    old = {k: v for k, v in arrays.items() if not k.startswith("history.diagnostics.")}
    legacy = History.from_state(old, old_meta)
    assert legacy.diagnostics == {} and legacy.loss == h.loss


# ----------------------------------------------------------------------------- verdicts


def test_a_healthy_run_gets_no_verdict(moons):
    X, y = moons
    net = fcnn.Network([2, 16, 16, 2], seed=0)
    h = net.fit(X, y, epochs=100, lr=0.5, batch_size=32, diagnostics=True)
    assert verdicts(h, net) == []


def test_huge_initial_weights_saturate_the_tanh_units(moons):
    X, y = moons
    net = fcnn.Network([2, 16, 2], seed=0)
    net.set_params(net.params * 30)
    h = net.fit(X, y, epochs=20, lr=0.01, batch_size=32, diagnostics=True)
    assert h.diagnostics["layer1_saturated"][-1] > 0.8
    found = " | ".join(verdicts(h, net))
    assert "layer 1:" in found and "of tanh units saturated from epoch 1" in found
    assert "initial loss" in found


def test_relu_with_a_large_negative_bias_dies(moons):
    X, y = moons
    net = fcnn.Network([2, 16, 2], activation="relu", seed=0)
    net.biases[0][...] = -50.0
    h = net.fit(X, y, epochs=5, lr=0.1, diagnostics=True)
    assert h.diagnostics["layer1_dead"] == [1.0] * 5
    assert any("100% of ReLU units dead" in v for v in verdicts(h, net))


def test_learning_rate_ten_trips_the_update_ratio(moons):
    X, y = moons
    net = fcnn.Network([2, 16, 16, 2], seed=0)
    h = net.fit(X, y, epochs=20, lr=10.0, batch_size=32, diagnostics=True)
    assert any("the learning rate is too high" in v for v in verdicts(h, net))


def test_a_tiny_learning_rate_is_reported_as_too_low(moons):
    X, y = moons
    net = fcnn.Network([2, 4, 2], seed=0)
    h = net.fit(X, y, epochs=5, lr=1e-8, diagnostics=True)
    assert any("the learning rate is too low" in v for v in verdicts(h, net))


def test_a_final_loss_above_the_first_epochs_is_a_verdict_without_diagnostics():
    h = History(epoch=[1, 2, 3], loss=[0.5, 0.7, 1081.0])
    (message,) = verdicts(h)
    assert "final loss 1081 is above the first epoch's 0.5" in message


def test_update_ratio_under_adam_is_the_parameters_actual_change(moons):
    X, y = moons
    net = fcnn.Network([2, 6, 2], seed=2)
    theta0 = net.params.copy()
    h = net.fit(X, y, epochs=1, lr=0.01, optimizer="adam", diagnostics=True)
    sizes = [W.size + b.size for W, b in zip(net.weights, net.biases, strict=True)]
    for k, idx in enumerate(np.split(np.arange(net.n_params), np.cumsum(sizes)[:-1])):
        change = np.linalg.norm(net.params[idx] - theta0[idx]) / np.linalg.norm(theta0[idx])
        assert h.diagnostics[f"layer{k + 1}_update_ratio_log10"][0] == pytest.approx(
            math.log10(change)
        )
