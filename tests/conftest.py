"""Shared pieces of the core tests: the combinations under test, random problems, a plain-NumPy
forward pass (an independent source for hidden pre-activations and outputs), and a custom
activation registered for each test module that asks for it.

Test modules import the constants and helpers from here (``from conftest import ...``); the
fixtures are found by pytest as usual.
"""

from __future__ import annotations

import contextlib
import gc
import io

import numpy as np
import pytest
from hypothesis import strategies as st

import fcnn
from fcnn.activations import unregister_activation

# ------------------------------------------------------------------------ the combinations
CUSTOM = "custom_swish"  # registered by the fixture ``custom_activation`` below
ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "identity", "softplus", CUSTOM)
KINKED = ("relu", "leaky_relu")  # not differentiable at 0
PAIRS = (
    ("softmax", "cross_entropy"),
    ("softmax", "mse"),
    ("softmax", "mse+ce"),
    ("sigmoid", "cross_entropy"),
    ("sigmoid", "mse"),
    ("sigmoid", "mse+ce"),
    ("identity", "mse"),
)
REDUCTIONS = ("mean", "sum")
DEPTHS = (1, 2, 3, 4)  # number of weight layers


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def swish(a):
    """swish(a) = a σ(a) (Ramachandran et al., 2017)."""
    return a * _sigmoid(a)


def dswish(a):
    """swish'(a) = σ(a) + a σ(a)(1 - σ(a))."""
    s = _sigmoid(a)
    return s + a * s * (1 - s)


# Plain NumPy activations and outputs, written from the formulas in docs/math.md §5 and §3,
# independently of fcnn.activations and fcnn.losses.
NUMPY_ACTS = {
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda a: np.maximum(a, 0.0),
    "leaky_relu": lambda a: np.where(a > 0, a, 0.01 * a),
    "identity": lambda a: a,
    "softplus": lambda a: np.log1p(np.exp(a)),
    CUSTOM: swish,
}


def numpy_softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


NUMPY_OUTPUTS = {
    "softmax": numpy_softmax,
    "sigmoid": _sigmoid,
    "identity": lambda a: a,
    "exp": np.exp,
}
# the exponential output (Poisson regression), outside fcnn.reference's seed pairs
EXP_PAIRS = (("exp", "poisson"), ("exp", "mse"))


def numpy_forward(net: fcnn.Network, X) -> tuple[list[np.ndarray], np.ndarray]:
    """``(A, P)``: every pre-activation ``A[k] = H W^(k+1)ᵀ + b^(k+1)`` (hidden ones first, the
    logits last), and the outputs ``P = o(A[-1])``, in plain NumPy from ``net.weights``."""
    H, A = np.asarray(X, dtype=np.float64), []
    for k, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        A.append(H @ W.T + b)
        if k < len(net.weights) - 1:
            H = NUMPY_ACTS[net.activations[k]](A[-1])
    return A, NUMPY_OUTPUTS[net.output](A[-1])


class StopAt(fcnn.Callback):
    """Asks the trainer to stop after step ``step`` (a run to resume)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, trainer) -> None:
        if trainer.step == self.step:
            trainer.request_stop()


def one_hot(labels, n: int) -> np.ndarray:
    Y = np.zeros((len(labels), n))
    Y[np.arange(len(labels)), labels] = 1.0
    return Y


def random_targets(rng: np.random.Generator, output: str, B: int, n_out: int) -> np.ndarray:
    """Targets an (output, loss) pair accepts: class labels or probability rows for softmax,
    values in [0, 1] for sigmoid, real values for identity."""
    if output == "softmax":
        if rng.random() < 0.5:
            return rng.integers(0, n_out, B)
        return rng.dirichlet(np.ones(n_out), B)
    if output == "sigmoid":
        return rng.uniform(0.0, 1.0, (B, n_out))
    if output == "exp":  # counts
        return rng.poisson(1.5, (B, n_out)).astype(np.float64)
    return rng.normal(0.0, 1.0, (B, n_out))


def random_problem(
    seed: int,
    sizes,
    activation: str,
    output: str,
    loss: str,
    reduction: str = "mean",
    B: int = 3,
):
    """A network with random weights *and* biases (N(0, 0.8²)), inputs X ~ N(0, 1) and
    targets, all drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    net = fcnn.Network(sizes, activation, output, loss, reduction, seed=seed)
    net.set_params(rng.normal(0.0, 0.8, net.n_params))
    X = rng.normal(0.0, 1.0, (B, sizes[0]))
    return net, X, random_targets(rng, output, B, sizes[-1])


def min_hidden_margin(net: fcnn.Network, X) -> float:
    """The smallest |a| over every hidden pre-activation (inf for a network with none)."""
    A, _ = numpy_forward(net, X)
    return min((float(np.abs(a).min()) for a in A[:-1]), default=np.inf)


@st.composite
def layer_sizes(draw, depth: int, output: str, max_width: int = 4):
    """``depth + 1`` layer widths in 1..max_width; a softmax output gets at least 2 units."""
    sizes = draw(st.lists(st.integers(1, max_width), min_size=depth + 1, max_size=depth + 1))
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    return sizes


seeds = st.integers(0, 2**32 - 1)
batch_sizes = st.integers(1, 5)


# ---------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def custom_activation():
    """Registers swish, a σ(a), as ``custom_swish`` for one test module and removes it after."""
    fcnn.register_activation(CUSTOM, swish, dswish)
    yield CUSTOM
    unregister_activation(CUSTOM)


@pytest.fixture(scope="session")
def cli_default_run(tmp_path_factory):
    """``fcnn train --out DIR`` with every default, figures included: (folder, exit code,
    stdout). Trained once a session for the CLI tests in several modules, which only read it
    (tests/cli/cli_helpers.py's ``default_run``)."""
    from fcnn import cli

    out = tmp_path_factory.mktemp("default") / "run"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(["train", "--out", str(out), "--no-progress"])
    return out, code, stdout.getvalue()


def pytest_collection_finish(session):
    """Freeze what the imports and the collection left on the heap (scikit-learn, SciPy, ONNX,
    matplotlib, hypothesis, 2500 test items: some 285,000 objects) out of the cyclic garbage
    collector's sight, which otherwise walks all of them at every full collection during the run
    and five times at its end (pytest's unraisable-exception check). Nothing a test creates is
    frozen."""
    gc.freeze()
