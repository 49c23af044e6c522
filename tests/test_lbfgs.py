"""L-BFGS in the core: the two-loop recursion (Nocedal & Wright Alg. 7.4) against the dense
BFGS inverse-Hessian update, and ``fit(optimizer="lbfgs")`` inside the one training loop:
convergence, history, callbacks, early stopping, resume, and the options it refuses."""

from __future__ import annotations

import numpy as np
import pytest

import fcnn
from fcnn.lbfgs import LBFGS


def _bfgs_inverse(pairs, gamma, n):
    """H_k by N&W eq. 7.19 applied pair by pair to H_0 = γ I (the dense oracle)."""
    H = gamma * np.eye(n)
    for s, y in pairs:
        rho = 1 / (y @ s)
        V = np.eye(n) - rho * np.outer(y, s)
        H = V.T @ H @ V + rho * np.outer(s, s)
    return H


def test_two_loop_recursion_equals_the_dense_bfgs_inverse_hessian_product():
    rng = np.random.default_rng(0)
    n, opt = 6, LBFGS(m=4)
    A = rng.normal(size=(n, n))
    A = A @ A.T + n * np.eye(n)  # a convex quadratic: y = A s has positive curvature
    pairs = []
    for _ in range(6):
        s = rng.normal(size=n)
        assert opt.remember(s, A @ s)
        pairs = (pairs + [(s, A @ s)])[-4:]
    g = rng.normal(size=n)
    s, y = pairs[-1]
    H = _bfgs_inverse(pairs, (s @ y) / (y @ y), n)
    assert np.allclose(opt.direction(g, out=np.empty(n)), -H @ g, rtol=1e-10, atol=1e-12)


def test_a_pair_without_positive_curvature_is_skipped():
    opt = LBFGS()
    assert not opt.remember(np.ones(3), -np.ones(3))
    assert opt.pairs == 0
    assert np.array_equal(opt.direction(np.arange(3.0), out=np.empty(3)), -np.arange(3.0))


def test_lbfgs_step_alone_is_refused_with_the_way_to_train_with_it():
    with pytest.raises(TypeError, match="fit\\(optimizer='lbfgs'\\)"):
        LBFGS().step(np.zeros(2), np.zeros(2), 0.1)


def test_lbfgs_reaches_a_lower_loss_in_50_iterations_than_gd_in_500_on_spirals():
    X, y = fcnn.datasets.spirals(n_samples=300, n_classes=3, noise=0.05, seed=0)
    lbfgs = fcnn.Network([2, 32, 32, 3], "tanh", seed=1)
    h = lbfgs.fit(X, y, optimizer="lbfgs", epochs=50)
    gd = fcnn.Network([2, 32, 32, 3], "tanh", seed=1)
    h_gd = gd.fit(X, y, optimizer="gd", lr=0.5, epochs=500)
    assert h.loss[-1] < h_gd.loss[-1]
    assert len(h.loss) == len(h.step_loss) == 50  # one iteration per epoch


def test_every_lbfgs_iteration_lowers_the_loss_as_the_wolfe_conditions_promise():
    X, y = fcnn.datasets.moons(n_samples=100, noise=0.2, seed=0)
    net = fcnn.Network([2, 8, 2], seed=0)
    h = net.fit(X, y, optimizer="lbfgs", epochs=30, l2=1e-3)
    assert all(b < a for a, b in zip(h.loss, h.loss[1:], strict=False))
    assert h.loss[0] == pytest.approx(
        fcnn.Network([2, 8, 2], seed=0).loss(X, y, l2=1e-3), rel=1e-12
    )


def test_lbfgs_callbacks_and_gradient_observers_see_each_iteration():
    X, y = fcnn.datasets.moons(n_samples=60, noise=0.2, seed=0)
    net = fcnn.Network([2, 6, 2], seed=0)
    seen = []

    class Grad(fcnn.Callback):
        needs_gradient = True

        def on_step_end(self, trainer):
            seen.append(np.linalg.norm(trainer.net._grad))

    h = net.fit(X, y, optimizer="lbfgs", epochs=5, callbacks=[Grad()])
    assert len(seen) == 5
    start = fcnn.Network([2, 6, 2], seed=0)
    dW, db = start.gradients(X, y)
    first = np.sqrt(sum((d**2).sum() for d in dW + db))
    assert seen[0] == pytest.approx(first, rel=1e-12)  # ∇J at θ_0, before the step
    assert len(h.epoch) == 5


def test_lbfgs_with_early_stopping_on_validation_loss_restores_the_best_iteration():
    X, y = fcnn.datasets.moons(n_samples=80, noise=0.4, seed=1)
    net = fcnn.Network([2, 30, 2], seed=0)
    h = net.fit(X, y, optimizer="lbfgs", epochs=300, val_split=0.3, early_stopping=True, patience=5)
    assert h.stopped_early and h.restored_best
    assert h.best_epoch == int(np.argmin(h.val_loss)) + 1  # epochs count from 1


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"batch_size": 10}, "needs the full batch"),
        ({"clip": 1.0}, "clip does not apply"),
        ({"optimizer_options": {"m": 0}}, "m must be an int >= 1"),
    ],
)
def test_lbfgs_refuses_options_it_cannot_honour(options, match):
    X, y = fcnn.datasets.moons(n_samples=40, seed=0)
    with pytest.raises(ValueError, match=match):
        fcnn.Network([2, 4, 2], seed=0).fit(X, y, optimizer="lbfgs", **options)


def test_lbfgs_trains_float32_networks_in_float32():
    X, y = fcnn.datasets.moons(n_samples=60, noise=0.2, seed=0)
    net = fcnn.Network([2, 6, 2], seed=0, dtype="float32")
    h = net.fit(X, y, optimizer="lbfgs", epochs=20)
    assert net.params.dtype == np.float32 and h.loss[-1] < 0.5 * h.loss[0]


@pytest.mark.slow
def test_cli_trains_with_optimizer_lbfgs_and_refuses_mini_batches(tmp_path, capsys):
    from fcnn import cli

    code = cli.main(
        ["train", "--dataset", "moons", "--layers", "2,8,2", "--optimizer", "lbfgs",
         "--epochs", "20", "--batch-size", "0", "--out", str(tmp_path / "run")]
    )  # fmt: skip
    assert code == 0
    net = fcnn.load(tmp_path / "run" / "model.safetensors")
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert len(history) == 21 and net.sizes == (2, 8, 2)
    code = cli.main(
        ["train", "--dataset", "moons", "--optimizer", "lbfgs", "--batch-size", "16",
         "--out", str(tmp_path / "bad")]
    )  # fmt: skip
    assert code != 0
    assert "needs the full batch" in capsys.readouterr().err
