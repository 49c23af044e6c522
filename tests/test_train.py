"""The training loop: convergence, reproducibility, batching, validation, early stopping,
callbacks, history, checkpoint resume, divergence, sample weights and bad options."""

from __future__ import annotations

import json
from itertools import pairwise

import numpy as np
import pytest
from conftest import StopAt

import fcnn
from fcnn.activations import register_activation, unregister_activation

# ---------------------------------------------------------------------------------------------
# convergence
# ---------------------------------------------------------------------------------------------


def _accuracy(net, X, y):
    return float(np.mean(net.predict(X) == y))


def test_seed000_network_separates_the_two_gaussians_with_full_batch_gd():
    X, y = fcnn.datasets.gaussians()  # two Gaussians, seed 10, as in seed 000
    net = fcnn.Network([2, 2, 2], "tanh", "softmax", "mse+ce", seed=0)
    history = net.fit(X, y, epochs=100, lr=0.5, optimizer="gd")
    assert _accuracy(net, X, y) >= 0.95
    assert history.loss[-1] < 0.5 * history.loss[0]


def test_one_hidden_layer_learns_xor():
    X, y = fcnn.datasets.xor(n_samples=200, noise=0.0, seed=0)
    net = fcnn.Network([2, 8, 2], "tanh", seed=0)
    net.fit(X, y, epochs=500, lr=0.02, optimizer="adam")
    assert _accuracy(net, X, y) >= 0.98


def test_two_hidden_layers_learn_three_spirals():
    X, y = fcnn.datasets.spirals(n_samples=300, n_classes=3, seed=0)
    net = fcnn.Network([2, 16, 16, 3], "tanh", seed=0)
    net.fit(X, y, epochs=1000, lr=0.01, optimizer="adam")
    assert _accuracy(net, X, y) >= 0.95


# ---------------------------------------------------------------------------------------------
# reproducibility and dtype
# ---------------------------------------------------------------------------------------------

MOONS = fcnn.datasets.moons(n_samples=100, noise=0.2, seed=0)
SGD_RUN = {"epochs": 5, "lr": 0.1, "batch_size": 16, "optimizer": "sgd", "shuffle": True}


def _train(net_seed=0, dtype="float64", **kwargs):
    net = fcnn.Network([2, 6, 2], seed=net_seed, dtype=dtype)
    history = net.fit(*MOONS, **(SGD_RUN | kwargs))
    return net, history


def test_same_seed_trains_bit_identically_with_shuffled_mini_batches():
    (a, ha), (b, hb) = _train(), _train()
    assert np.array_equal(a.params, b.params)
    assert ha.step_loss == hb.step_loss


def test_different_seed_gives_different_initial_weights_and_training():
    (a, _), (b, _) = _train(0), _train(1)
    assert not np.allclose(a.params, b.params)


def test_shuffling_follows_the_network_seed_unless_fit_is_given_one():
    (a, _), (b, _), (c, _) = _train(0), _train(0, seed=0), _train(0, seed=1)
    assert np.array_equal(a.params, b.params)
    assert not np.allclose(a.params, c.params)  # same initial weights, other batches


def test_float32_and_float64_training_curves_agree():
    (n32, h32), (n64, h64) = _train(dtype="float32"), _train(dtype="float64")
    np.testing.assert_allclose(h32.loss, h64.loss, rtol=1e-4)
    np.testing.assert_allclose(n32.params, n64.params, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_parameters_keep_the_chosen_dtype_after_fit(dtype):
    net, _ = _train(dtype=dtype, optimizer="adam", l2=0.01)
    assert net.params.dtype == dtype
    assert all(W.dtype == dtype for W in net.weights)
    assert all(b.dtype == dtype for b in net.biases)
    assert net.forward(MOONS[0]).dtype == dtype
    assert np.shares_memory(net.weights[0], net.params)  # still views, not copies


# ---------------------------------------------------------------------------------------------
# batching: a custom activation sees every batch the loop feeds the network
# ---------------------------------------------------------------------------------------------


class Frozen(fcnn.Optimizer):
    """Leaves the parameters as they are, so the spy's pre-activation stays a = x."""

    name = "frozen"

    def _update(self, params, grads, lr):
        pass


@pytest.fixture
def spy():
    """A network [1, 1, 1] whose hidden activation records the batches it sees; with W1 = 1,
    b1 = 0 and a frozen optimiser, what it sees is the batch's x column itself."""
    seen: list[np.ndarray] = []

    def record(a):
        seen.append(np.array(a).ravel())
        return a

    register_activation("spy", record, lambda a: np.ones_like(a))
    seen.clear()
    net = fcnn.Network([1, 1, 1], activation="spy", output="identity", loss="mse")
    net.weights[0][...] = 1.0
    net.biases[0][...] = 0.0
    yield net, seen
    unregister_activation("spy")


class EpochMarks(fcnn.Callback):
    def __init__(self, seen):
        self.seen, self.marks = seen, [0]

    def on_epoch_end(self, trainer):
        self.marks.append(len(self.seen))


def _epochs_seen(net, seen, n, **kwargs):
    """Row indices fed to the network, as a list (epochs) of lists (batches)."""
    X = np.arange(n, dtype=float)[:, None]
    seen.clear()
    marks = EpochMarks(seen)
    net.fit(X, np.zeros(n), optimizer=Frozen(), callbacks=[marks], **kwargs)
    return [[b.astype(int).tolist() for b in seen[i:j]] for i, j in pairwise(marks.marks)]


@pytest.mark.parametrize("shuffle", [True, False])
def test_mini_batches_cover_every_sample_once_per_epoch(spy, shuffle):
    net, seen = spy
    epochs = _epochs_seen(net, seen, 23, epochs=3, batch_size=5, shuffle=shuffle, seed=0)
    assert len(epochs) == 3
    for batches in epochs:
        assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
        assert sorted(sum(batches, [])) == list(range(23))
    if not shuffle:
        assert all(sum(batches, []) == list(range(23)) for batches in epochs)
    else:
        assert sum(epochs[0], []) != sum(epochs[1], [])  # a new order every epoch


def test_shuffled_order_depends_on_the_seed(spy):
    net, seen = spy
    orders = [
        sum(_epochs_seen(net, seen, 40, epochs=1, batch_size=8, seed=s)[0], []) for s in (3, 3, 4)
    ]
    assert orders[0] == orders[1]
    assert orders[0] != orders[2]


def test_full_batch_gd_feeds_all_samples_in_order(spy):
    net, seen = spy
    epochs = _epochs_seen(net, seen, 7, epochs=2)
    assert epochs == [[list(range(7))], [list(range(7))]]


# ---------------------------------------------------------------------------------------------
# validation and early stopping
# ---------------------------------------------------------------------------------------------

VAL = fcnn.datasets.moons(n_samples=60, noise=0.2, seed=1)


def test_validation_data_gives_per_epoch_val_loss_and_accuracy():
    net = fcnn.Network([2, 6, 2], seed=0)
    h = net.fit(*MOONS, epochs=4, lr=0.3, validation_data=VAL)
    assert len(h.val_loss) == len(h.val_accuracy) == 4
    # measured after each epoch: the last one is the final network's
    assert h.val_loss[-1] == pytest.approx(net.loss(*VAL), rel=1e-12)
    assert h.val_accuracy[-1] == pytest.approx(_accuracy(net, *VAL))


def test_val_split_holds_out_a_fraction_of_the_rows():
    X, y = MOONS
    trainer = fcnn.Trainer(fcnn.Network([2, 6, 2], seed=0), X, y, epochs=3, val_split=0.25)
    assert (len(trainer.data), len(trainer.val)) == (75, 25)
    rows = {tuple(r) for r in trainer.data.X} | {tuple(r) for r in trainer.val.X}
    assert rows == {tuple(r) for r in X}  # a partition of the data
    h = trainer.run()
    assert len(h.val_loss) == len(h.val_accuracy) == 3
    assert all(0 <= a <= 1 for a in h.val_accuracy)


def _overfit(**kwargs):
    # 40 noisy training points, a big network and Adam: validation loss turns up after a few
    # epochs (at epoch 5 with these settings)
    X, y = fcnn.datasets.moons(n_samples=40, noise=0.35, seed=0)
    val = fcnn.datasets.moons(n_samples=300, noise=0.35, seed=1)
    net = fcnn.Network([2, 32, 32, 2], seed=0)
    h = net.fit(
        X,
        y,
        epochs=300,
        lr=0.02,
        optimizer="adam",
        batch_size=10,
        validation_data=val,
        early_stopping=True,
        patience=4,
        record_params=True,
        **kwargs,
    )
    return net, h


def test_early_stopping_restores_the_best_epochs_weights():
    net, h = _overfit()
    best = int(np.argmin(h.val_loss)) + 1  # 1-based epoch of the first minimum
    assert h.stopped_early
    assert h.best_epoch == best
    assert len(h) == best + 4  # patience epochs without improvement
    assert np.array_equal(net.params, h.params[best * 4])  # 4 updates per epoch
    assert net.loss(*fcnn.datasets.moons(n_samples=300, noise=0.35, seed=1)) == pytest.approx(
        min(h.val_loss), rel=1e-12
    )


def test_early_stopping_without_restore_keeps_the_last_weights():
    net, h = _overfit(restore_best=False)
    assert h.stopped_early
    assert np.array_equal(net.params, h.params[-1])


@pytest.mark.parametrize("batch_size", [None, 10])
def test_early_stopping_that_never_fires_still_ends_on_the_best_epochs_weights(batch_size):
    # as scikit-learn's MLPClassifier: with early stopping and restore_best, the run that
    # reaches its last epoch hands back the best epoch's parameters too, and says so
    X, y = fcnn.datasets.moons(n_samples=40, noise=0.35, seed=0)
    val = fcnn.datasets.moons(n_samples=300, noise=0.35, seed=1)
    net = fcnn.Network([2, 32, 32, 2], seed=0)
    kw = dict(lr=0.02, optimizer="adam", batch_size=batch_size, validation_data=val)
    h = net.fit(X, y, epochs=30, early_stopping=True, patience=1000, record_params=True, **kw)
    best = int(np.argmin(h.val_loss)) + 1
    assert not h.stopped_early and h.restored_best
    assert best < 30 and h.best_epoch == best
    steps = 1 if batch_size is None else 4  # updates per epoch
    assert np.array_equal(net.params, h.params[best * steps])
    assert net.loss(*val) == pytest.approx(min(h.val_loss), rel=1e-12)
    # without restore_best, or without early stopping, the last epoch's weights stay
    for extra in ({"early_stopping": True, "restore_best": False}, {}):
        other = fcnn.Network([2, 32, 32, 2], seed=0)
        ho = other.fit(X, y, epochs=30, record_params=True, **kw, **extra)
        assert not ho.restored_best
        assert np.array_equal(other.params, ho.params[-1])


def test_early_stopping_can_monitor_training_accuracy():
    X, y = MOONS
    net = fcnn.Network([2, 6, 2], seed=0)
    h = net.fit(X, y, epochs=200, lr=0.5, early_stopping=True, patience=3, monitor="accuracy")
    assert h.stopped_early and len(h) < 200
    assert h.best_epoch == int(np.argmax(h.accuracy)) + 1


# ---------------------------------------------------------------------------------------------
# callbacks and history
# ---------------------------------------------------------------------------------------------


class Log(fcnn.Callback):
    def __init__(self, stop_at_step=None):
        self.events, self.stop_at_step = [], stop_at_step

    def on_train_begin(self, trainer):
        self.events.append("begin")

    def on_step_end(self, trainer):
        self.events.append(("step", trainer.step))
        if trainer.step == self.stop_at_step:
            trainer.request_stop()

    def on_epoch_end(self, trainer):
        self.events.append(("epoch", trainer.epoch))

    def on_train_end(self, trainer):
        self.events.append("end")


def test_callback_hooks_fire_in_order():
    log = Log()
    fcnn.Network([2, 4, 2], seed=0).fit(*MOONS, epochs=2, batch_size=50, callbacks=[log])
    assert log.events == [
        "begin",
        ("step", 1),
        ("step", 2),
        ("epoch", 1),
        ("step", 3),
        ("step", 4),
        ("epoch", 2),
        "end",
    ]


def test_function_callbacks_run_after_every_epoch_and_can_stop_training():
    epochs = []

    def stop_after_three(trainer):
        epochs.append(trainer.epoch)
        if trainer.epoch == 3:
            trainer.request_stop()

    h = fcnn.Network([2, 4, 2], seed=0).fit(*MOONS, epochs=50, callbacks=[stop_after_three])
    assert epochs == [1, 2, 3]
    assert len(h) == 3


def test_one_callback_need_not_be_in_a_list_and_a_non_callback_is_refused_by_name():
    # callbacks=print once failed with "'builtin_function_or_method' object is not iterable"
    epochs = []
    fcnn.Network([2, 4, 2], seed=0).fit(
        *MOONS, epochs=3, callbacks=lambda t: epochs.append(t.epoch)
    )
    assert epochs == [1, 2, 3]
    fcnn.Network([2, 4, 2], seed=0).fit(*MOONS, epochs=1, callbacks=None)
    for bad in (1, "on_epoch_end"):
        with pytest.raises(ValueError, match="callbacks must be a list of fcnn.Callback objects"):
            fcnn.Network([2, 4, 2], seed=0).fit(*MOONS, epochs=1, callbacks=bad)


def test_request_stop_mid_epoch_leaves_a_resumable_trainer():
    log = Log(stop_at_step=3)
    trainer = fcnn.Trainer(
        fcnn.Network([2, 4, 2], seed=0), *MOONS, epochs=2, batch_size=25, callbacks=[log]
    )
    h = trainer.run()
    assert (trainer.step, trainer.pos, len(h)) == (3, 3, 0)
    assert log.events[-1] == "end"
    trainer.callbacks = []
    h = trainer.run()
    assert (trainer.step, len(h)) == (8, 2)


def test_record_params_keeps_one_snapshot_per_update_plus_the_start():
    net = fcnn.Network([2, 5, 3, 2], seed=0)
    start = net.params.copy()
    h = net.fit(*MOONS, epochs=3, batch_size=30, record_params=True)  # 4 batches per epoch
    assert len(h.params) == 3 * 4 + 1
    assert np.array_equal(h.params[0], start)
    assert np.array_equal(h.params[-1], net.params)
    Ws, bs = h.trajectory(net)
    assert [W.shape for W in Ws] == [(13, 5, 2), (13, 3, 5), (13, 2, 3)]
    assert [b.shape for b in bs] == [(13, 5), (13, 3), (13, 2)]
    for W, b, W_now, b_now in zip(Ws, bs, net.weights, net.biases, strict=True):
        assert np.array_equal(W[-1], W_now) and np.array_equal(b[-1], b_now)


def test_trajectory_needs_recorded_params():
    h = fcnn.Network([2, 3, 2], seed=0).fit(*MOONS, epochs=1)
    with pytest.raises(ValueError, match="record_params=True"):
        h.trajectory(fcnn.Network([2, 3, 2]))


def test_trajectory_of_another_architecture_is_refused_by_name():
    h = fcnn.Network([2, 3, 2], seed=0).fit(*MOONS, epochs=1, record_params=True)
    with pytest.raises(ValueError, match="recorded from a 2-3-2 network, not Network\\(2-4-2"):
        h.trajectory(fcnn.Network([2, 4, 2]))


def test_full_batch_history_loss_is_the_loss_before_each_update():
    net = fcnn.Network([2, 4, 2], loss="mse+ce", seed=0)
    h = net.fit(*MOONS, epochs=4, lr=0.5, record_params=True)
    probe = net.copy()
    for e in range(4):
        probe.set_params(h.params[e])
        assert h.loss[e] == pytest.approx(probe.loss(*MOONS), rel=1e-12)
        assert h.accuracy[e] == pytest.approx(_accuracy(probe, *MOONS))


def test_epoch_loss_is_the_batch_size_weighted_mean_of_step_losses():
    h = fcnn.Network([2, 4, 2], seed=0).fit(*MOONS, epochs=2, batch_size=30)
    sizes = np.array([30, 30, 30, 10])
    for e in range(2):
        steps = np.array(h.step_loss[4 * e : 4 * e + 4])
        assert h.loss[e] == pytest.approx(float(steps @ sizes) / 100, rel=1e-12)


def test_composite_loss_parts_are_recorded_and_sum_to_the_loss():
    net = fcnn.Network([2, 4, 2], loss="mse+ce", seed=0)
    h = net.fit(*MOONS, epochs=3, batch_size=32, validation_data=VAL)
    cols = h.columns()
    assert list(cols) == [
        "epoch",
        "loss",
        "mse",
        "ce",
        "accuracy",
        "val_loss",
        "val_mse",
        "val_ce",
        "val_accuracy",
        "loss_per_sample",
        "mse_per_sample",
        "ce_per_sample",
        "val_loss_per_sample",
        "val_mse_per_sample",
        "val_ce_per_sample",
        "lr",
    ]
    assert all(len(v) == 3 for v in cols.values())
    np.testing.assert_allclose(np.add(cols["mse"], cols["ce"]), cols["loss"], rtol=1e-12)
    np.testing.assert_allclose(np.add(cols["val_mse"], cols["val_ce"]), cols["val_loss"])


def test_l2_penalty_is_recorded_as_a_part():
    h = fcnn.Network([2, 4, 2], seed=0).fit(*MOONS, epochs=2, l2=0.1)
    assert set(h.parts) == {"ce", "l2"}
    np.testing.assert_allclose(np.add(h.parts["ce"], h.parts["l2"]), h.loss, rtol=1e-12)


def test_single_loss_history_has_no_part_columns():
    h = fcnn.Network([2, 4, 2], seed=0).fit(*MOONS, epochs=2)
    assert list(h.columns()) == ["epoch", "loss", "accuracy", "loss_per_sample", "lr"]


def test_progress_bar_goes_to_stderr(capsys):
    fcnn.Network([2, 4, 2], seed=0).fit(*MOONS, epochs=3, progress=True)
    captured = capsys.readouterr()
    assert "epoch" in captured.err
    assert captured.out == ""


# ---------------------------------------------------------------------------------------------
# checkpoint state: stop mid-epoch, resume in a fresh trainer, end bit-identical
# ---------------------------------------------------------------------------------------------


RESUME_CASES = {
    "gd": ({"optimizer": "gd", "lr": 0.5}, 3),
    "sgd-shuffle": ({"optimizer": "sgd", "batch_size": 8, "shuffle": True}, 10),
    "adam": ({"optimizer": "adam", "lr": 0.01, "batch_size": 16}, 5),
    "momentum": ({"optimizer": "momentum", "batch_size": 8, "record_params": True}, 11),
    "lbfgs": ({"optimizer": "lbfgs", "l2": 1e-3, "record_params": True}, 5),
    "val-early-stopping": (
        {
            "epochs": 20,  # early stopping ends the run at epoch 8
            "optimizer": "adam",
            "lr": 0.05,
            "batch_size": 8,
            "val_split": 0.2,
            "early_stopping": True,
            "patience": 2,
            "schedule": "adaptive",
            "l2": 1e-3,
        },
        13,
    ),
}


@pytest.mark.parametrize(("options", "stop"), RESUME_CASES.values(), ids=RESUME_CASES.keys())
def test_resume_from_state_dict_is_bit_identical_to_an_uninterrupted_run(options, stop):
    X, y = fcnn.datasets.moons(n_samples=50, noise=0.2, seed=0)
    args = {"epochs": 8} | options

    whole = fcnn.Network([2, 5, 2], seed=0)
    h_whole = fcnn.Trainer(whole, X, y, **args).run()

    first = fcnn.Trainer(fcnn.Network([2, 5, 2], seed=0), X, y, callbacks=[StopAt(stop)], **args)
    first.run()
    assert first.step == stop and not first.done
    arrays, meta = first.state_dict()
    arrays = {k: np.array(v) for k, v in arrays.items()}
    meta = json.loads(json.dumps(meta))  # the metadata is JSON-able

    net = fcnn.Network([2, 5, 2], seed=0)
    resumed = fcnn.Trainer(net, X, y, **args)
    resumed.load_state_dict(arrays, meta)
    h = resumed.run()

    assert np.array_equal(net.params, whole.params)
    assert h.loss == h_whole.loss and h.step_loss == h_whole.step_loss
    assert h.val_loss == h_whole.val_loss
    assert (h.best_epoch, h.stopped_early) == (h_whole.best_epoch, h_whole.stopped_early)
    assert len(h.params) == len(h_whole.params)


# ---------------------------------------------------------------------------------------------
# divergence
# ---------------------------------------------------------------------------------------------


# the DivergenceError says it all: no NumPy overflow warnings on the way
@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("batch_size", [None, 10])
def test_huge_learning_rate_raises_divergence_error_and_keeps_finite_parameters(batch_size):
    rng = np.random.default_rng(0)
    X, y = rng.normal(0, 100, (50, 3)), rng.normal(0, 100, (50, 1))  # unscaled regression
    net = fcnn.Network([3, 8, 1], output="identity", loss="mse", seed=0)
    with pytest.raises(fcnn.DivergenceError) as info:
        net.fit(X, y, epochs=100, lr=1e6, batch_size=batch_size)
    err = info.value
    assert isinstance(err, fcnn.FCNNError) and isinstance(err, FloatingPointError)
    assert err.epoch >= 1 and err.step >= err.epoch
    assert f"epoch {err.epoch}, step {err.step}" in str(err)
    assert "Lower the learning rate" in str(err)
    assert np.isfinite(net.params).all()


# ---------------------------------------------------------------------------------------------
# sample weights
# ---------------------------------------------------------------------------------------------

W_INT = np.array([1, 2, 0, 3] * 5)


def _one_step_weighted_vs_repeated(reduction):
    X, y = fcnn.datasets.gaussians(n_samples=20)
    weighted = fcnn.Network([2, 3, 2], loss="mse+ce", reduction=reduction, seed=0)
    repeated = weighted.copy()
    weighted.fit(X, y, epochs=1, lr=0.1, sample_weight=W_INT)
    repeated.fit(np.repeat(X, W_INT, axis=0), np.repeat(y, W_INT), epochs=1, lr=0.1)
    return weighted.params, repeated.params


def test_integer_sample_weights_equal_repeated_rows_with_sum_reduction():
    weighted, repeated = _one_step_weighted_vs_repeated("sum")
    np.testing.assert_allclose(weighted, repeated, rtol=1e-12, atol=1e-15)


def test_sample_weights_with_mean_reduction_scale_the_repeated_rows_step_by_sum_w_over_b():
    # reduction="mean" with weights is J = (1/B) Σ_k w_k J_k (Keras' "sum over batch size"),
    # B the row count. Repeating row k w_k times gives (1/Σw) Σ_k w_k J_k instead, so one GD
    # step from the same start differs by the factor Σw / B = 30 / 20 = 1.5.
    X, y = fcnn.datasets.gaussians(n_samples=20)
    weighted = fcnn.Network([2, 3, 2], loss="mse+ce", reduction="mean", seed=0)
    repeated, start = weighted.copy(), weighted.params.copy()
    weighted.fit(X, y, epochs=1, lr=0.1, sample_weight=W_INT)
    repeated.fit(np.repeat(X, W_INT, axis=0), np.repeat(y, W_INT), epochs=1, lr=0.1)
    factor = W_INT.sum() / len(W_INT)
    np.testing.assert_allclose(
        weighted.params - start, factor * (repeated.params - start), rtol=1e-10, atol=1e-15
    )


@pytest.mark.parametrize(
    "w",
    [np.ones(19), -np.ones(20), np.full(20, np.nan), np.ones((20, 1))],
    ids=["short", "negative", "nan", "2-D"],
)
def test_bad_sample_weights_raise_value_error(w):
    X, y = fcnn.datasets.gaussians(n_samples=20)
    with pytest.raises(ValueError, match="sample_weight must be 20 finite non-negative numbers"):
        fcnn.Network([2, 3, 2], seed=0).fit(X, y, epochs=1, sample_weight=w)


def test_all_zero_sample_weights_are_refused_as_the_estimators_refuse_them():
    X, y = fcnn.datasets.gaussians(n_samples=20)
    with pytest.raises(ValueError, match="sample_weight is all zeros.*at least one positive"):
        fcnn.Network([2, 3, 2], seed=0).fit(X, y, epochs=1, sample_weight=np.zeros(20))


# ---------------------------------------------------------------------------------------------
# bad training options
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"epochs": 0}, "epochs must be a positive integer, got 0"),
        ({"epochs": -3}, "epochs must be a positive integer"),
        ({"epochs": 2.5}, "epochs must be a positive integer"),
        ({"epochs": True}, "epochs must be a positive integer"),
        ({"epochs": "10"}, "epochs must be a positive integer"),
        ({"batch_size": 0}, "batch_size must be a positive integer or None, got 0"),
        ({"batch_size": -8}, "batch_size must be a positive integer"),
        ({"batch_size": 8.5}, "batch_size must be a positive integer"),
        ({"lr": 0.0}, "learning rate must be a positive number"),
        ({"lr": -0.1}, "learning rate must be a positive number"),
        ({"lr": float("nan")}, "learning rate must be a positive number"),
        ({"l2": -0.1}, "l2 must be a finite number >= 0"),
        ({"l2": float("inf")}, "l2 must be a finite number >= 0"),
        ({"l2": float("nan")}, "l2 must be a finite number >= 0"),
        ({"val_split": 1.0}, r"val_split must be in \[0, 1\)"),
        ({"val_split": -0.2}, r"val_split must be in \[0, 1\)"),
        ({"val_split": 0.001}, "leaves 0 for validation"),
        ({"clip": 0.0}, "clip must be a positive number or None"),
        ({"patience": 0}, "patience must be an integer >= 1, got 0"),
        ({"patience": 2.5}, "patience must be an integer >= 1, got 2.5"),
        ({"l2": "0.1"}, "l2 must be a finite number >= 0, got '0.1'"),
        ({"clip": "1"}, "clip must be a positive number or None"),
        ({"val_split": "0.2"}, r"val_split must be in \[0, 1\)"),
        ({"monitor": "f1"}, "unknown monitor 'f1'"),
        ({"monitor": "val_loss"}, "monitor='val_loss' needs validation_data or val_split"),
        ({"schedule": "cosine"}, "unknown schedule 'cosine'"),
        ({"optimizer": "adagrad"}, "unknown optimizer 'adagrad'"),
        ({"val_split": 0.2, "validation_data": VAL}, "give validation_data or val_split, not both"),
        ({"validation_data": (VAL[0][:, :1], VAL[1])}, "X has 1 features"),
        ({"validation_data": (VAL[0],)}, r"validation_data must be a pair \(X_val, y_val\)"),
        ({"validation_data": (*VAL, None)}, "validation_data must be a pair.*of length 3"),
        ({"validation_data": VAL[0]}, "validation_data must be a pair"),
        ({"callbacks": [1]}, "callbacks must be fcnn.Callback objects or functions"),
        ({"seed": "x"}, "seed must be an integer >= 0, a sequence of them.*got 'x'"),
        ({"seed": -2}, "seed must be an integer >= 0"),
        ({"min_delta": "a"}, "min_delta must be a finite number >= 0, got 'a'"),
        ({"min_delta": -1.0}, "min_delta must be a finite number >= 0"),
        ({"min_delta": float("nan")}, "min_delta must be a finite number >= 0"),
        ({"l2": True}, "l2 must be a finite number >= 0, got True"),
        ({"clip": True}, "clip must be a positive number or None"),
        ({"patience": True}, "patience must be an integer >= 1"),
        ({"lr": True}, "learning rate must be a positive number, got True"),
    ],
)
def test_bad_training_options_raise_value_error_naming_the_problem(options, match):
    with pytest.raises(ValueError, match=match):
        fcnn.Network([2, 4, 2], seed=0).fit(*MOONS, **options)


def test_numpy_numbers_are_accepted_wherever_python_numbers_are():
    # lr, l2, clip, min_delta as NumPy floats; epochs, batch_size, patience, seed as NumPy ints
    opts = dict(epochs=np.int64(3), batch_size=np.int32(16), patience=np.int64(2), seed=np.int64(1))
    a = fcnn.Network([2, 4, 2], seed=0)
    ha = a.fit(
        *MOONS,
        lr=np.float32(0.25),
        l2=np.float64(1e-3),
        clip=np.float32(5),
        min_delta=np.float64(0),
        **opts,
    )
    b = fcnn.Network([2, 4, 2], seed=0)
    hb = b.fit(
        *MOONS,
        lr=float(np.float32(0.25)),
        l2=1e-3,
        clip=5.0,
        min_delta=0.0,
        epochs=3,
        batch_size=16,
        patience=2,
        seed=1,
    )
    assert ha.loss == hb.loss
    assert np.array_equal(a.params, b.params)


@pytest.mark.parametrize("monitor", ["accuracy", "val_accuracy"])
@pytest.mark.parametrize("batch_size", [None, 16])
def test_monitoring_accuracy_of_a_regression_network_is_refused_before_training(
    monitor, batch_size
):
    X = MOONS[0]
    net = fcnn.Network([2, 4, 1], output="identity", loss="mse", seed=0)
    before = net.params.copy()
    with pytest.raises(ValueError, match=f"monitor='{monitor}'.*has no accuracy.*'loss'"):
        net.fit(X, X[:, 0], epochs=3, monitor=monitor, val_split=0.2, batch_size=batch_size)
    assert np.array_equal(net.params, before)


def test_seeds_numpy_takes_and_huge_integers_and_0d_arrays_are_accepted():
    X, y = MOONS
    for seed in ([1, 2], np.random.SeedSequence(3), 10**400):
        fcnn.Network([2, 4, 2], seed=0).fit(X, y, epochs=1, batch_size=16, seed=seed)
    net = fcnn.Network([2, 4, 2], seed=10**30)
    assert net.seed == 10**30
    h = net.fit(X, y, epochs=np.array(2), lr=np.array(0.1), l2=np.array(0.01))
    assert len(h) == 2


# ------------------------------------------------------------------ per-sample means
def test_with_the_sum_reduction_the_per_sample_means_divide_the_sums_by_the_samples():
    """history.loss is the objective as configured (the mean of per-batch sums); the
    per-sample columns are Σ_k J_k / n, for training (over the epoch's updates) and
    validation alike, so the two can be compared."""
    net = fcnn.Network([2, 4, 2], loss="mse+ce", reduction="sum", seed=0)
    h = net.fit(*MOONS, epochs=2, batch_size=32, validation_data=VAL)
    n, n_val = len(MOONS[0]), len(VAL[0])
    sizes = np.array([32, 32, 32, 4])
    for e in range(2):
        steps = np.array(h.step_loss[4 * e : 4 * e + 4])  # per-batch sums
        assert h.loss[e] == pytest.approx(float(steps @ sizes) / n, rel=1e-12)
        assert h.loss_per_sample[e] == pytest.approx(steps.sum() / n, rel=1e-12)
        parts = h.parts_per_sample
        assert parts["mse"][e] + parts["ce"][e] == pytest.approx(h.loss_per_sample[e])
        assert h.val_loss_per_sample[e] == pytest.approx(h.val_loss[e] / n_val, rel=1e-12)
    probe = net.copy()
    assert h.val_loss_per_sample[-1] == pytest.approx(probe.loss(*VAL) / n_val, rel=1e-12)


def test_with_the_mean_reduction_the_per_sample_means_are_the_losses():
    net = fcnn.Network([2, 4, 2], seed=0)
    h = net.fit(*MOONS, epochs=2, batch_size=30, l2=0.01, validation_data=VAL)
    assert h.loss_per_sample == h.loss and h.val_loss_per_sample == h.val_loss
    assert h.parts_per_sample == h.parts


def test_the_l2_penalty_counts_once_in_the_per_sample_loss():
    net = fcnn.Network([2, 4, 2], reduction="sum", seed=0)
    h = net.fit(*MOONS, epochs=1, l2=0.5)  # full batch: one update, before it
    start = fcnn.Network([2, 4, 2], reduction="sum", seed=0)
    data_mean = start.loss(*MOONS) / len(MOONS[0])
    assert h.parts_per_sample["l2"][0] == pytest.approx(start.l2_penalty(0.5), rel=1e-12)
    assert h.loss_per_sample[0] == pytest.approx(data_mean + start.l2_penalty(0.5), rel=1e-12)


# ------------------------------------------------------------------- the fit signature
def test_network_fit_shows_every_training_option_in_its_signature():
    """help(net.fit) and IDEs see each option with its default; Trainer takes the same ones."""
    import inspect

    params = inspect.signature(fcnn.Network.fit).parameters
    keywords = [n for n, p in params.items() if p.kind is p.KEYWORD_ONLY]
    assert keywords[:3] == ["epochs", "lr", "batch_size"] and len(keywords) >= 22
    assert params["epochs"].default == 200 and params["optimizer"].default == "gd"
    assert all(params[n].annotation is not inspect.Parameter.empty for n in keywords)
    for name in keywords:
        assert f"``{name}``" in fcnn.Network.fit.__doc__, name


def test_an_unknown_training_option_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="unknown training option.*epoch_count"):
        fcnn.Trainer(fcnn.Network([2, 2], seed=0), *MOONS, epoch_count=3)
    with pytest.raises(TypeError):
        fcnn.Network([2, 2], seed=0).fit(*MOONS, epoch_count=3)
