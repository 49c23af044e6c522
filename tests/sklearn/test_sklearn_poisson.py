"""``FCNNRegressor(loss='poisson')``: an exponential output and half the Poisson deviance, as
``MLPRegressor(loss='poisson')``; the same solution as ``PoissonRegressor(alpha=0)`` in
scikit-learn's own equivalence test (one identity hidden unit), and the same training run as
MLPRegressor from the same weights."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from numpy.testing import assert_allclose  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import PoissonRegressor  # noqa: E402
from sklearn.neural_network import MLPRegressor  # noqa: E402

import fcnn  # noqa: E402
from fcnn.sklearn import FCNNRegressor  # noqa: E402


def _counts(seed, n=100):
    rng = np.random.default_rng(seed)
    X = np.linspace(0, 1, n)
    return X.reshape(n, -1), rng.poisson(np.exp(X + 1))


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_poisson_regressor_reaches_poisson_glms_solution_as_in_scikit_learns_test(seed):
    # sklearn/neural_network/tests/test_mlp.py::test_mlp_vs_poisson_glm_equivalent
    X, y = _counts(seed)
    glm = PoissonRegressor(alpha=0, tol=1e-7).fit(X, y)
    reg = FCNNRegressor(
        loss="poisson",
        hidden_layer_sizes=(1,),
        activation="identity",
        alpha=0,
        solver="lbfgs",
        tol=1e-7,
        random_state=np.random.RandomState(seed + 1),
    ).fit(X, y)
    assert reg.out_activation_ == "exp"
    assert_allclose(reg.predict(X), glm.predict(X), rtol=1e-4)


@pytest.mark.parametrize("solver", ["lbfgs", "adam", "sgd"])
def test_poisson_training_follows_mlpregressor_from_the_same_weights(solver):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    Y = rng.poisson(np.exp(0.3 * X[:, :2] + 0.5)).astype(float)  # two count targets
    args = dict(
        loss="poisson", solver=solver, hidden_layer_sizes=(5,), max_iter=15, random_state=0,
        shuffle=False, learning_rate_init=0.01,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, theirs = FCNNRegressor(**args).fit(X, Y), MLPRegressor(**args).fit(X, Y)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-8)
    assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-7)


def test_poisson_regressor_refuses_negative_targets():
    X, y = _counts(0)
    with pytest.raises(ValueError, match="needs targets y >= 0"):
        FCNNRegressor(loss="poisson", max_iter=2).fit(X, -y.astype(float))


def test_poisson_network_saves_and_loads_as_a_regressor(tmp_path):
    X, y = _counts(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = FCNNRegressor(loss="poisson", hidden_layer_sizes=(4,), max_iter=5).fit(X, y)
    reg.save(tmp_path / "m.safetensors")
    back = FCNNRegressor.load(tmp_path / "m.safetensors")
    assert back.loss == "poisson" and back.out_activation_ == "exp"
    assert_allclose(back.predict(X), reg.predict(X))
    net = fcnn.load(tmp_path / "m.safetensors")
    assert net.output == "exp" and (net.predict(X) > 0).all()
