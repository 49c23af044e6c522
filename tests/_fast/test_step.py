"""fcnn._fast against the readable math.

The loop trains on preallocated workspaces in seed 002's layout (one sample per column) with
shortcuts that ``fcnn.reference`` does not take: column sums as one BLAS product, a two-row
maximum, an argmax of two rows by one comparison, a finiteness test by a zero dot product, the
compiled softmax/cross-entropy step, plain SGD's rate folded into the output delta. Each test
here names the shortcut it checks and compares it with the plain formula, with
``fcnn.reference`` or with the readable step (``fcnn._fast.step.readable``: ``Network._step``
then ``Optimizer.step``), in float64 and float32. Where a shortcut is claimed to be exact, the
test asserts bit equality.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import one_hot

import fcnn
from fcnn import losses, reference
from fcnn._fast import step as fast_step
from fcnn._fast.batch import Batch
from fcnn.data.training import Data
from fcnn.metrics import correct
from fcnn.train import Trainer

TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-4, atol=2e-6)}


def _problem(seed, sizes, n, dtype, activation="tanh", output="softmax", loss="cross_entropy"):
    rng = np.random.default_rng(seed)
    net = fcnn.Network(sizes, activation, output, loss, seed=seed, dtype=dtype)
    X = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    return net, X, y


def _reference_step(net, X, y, lr, reduction="mean"):
    """One gradient-descent step in float64 by ``fcnn.reference``; returns (J, new params)."""
    Ws = [W.astype(np.float64) for W in net.weights]
    bs = [b.astype(np.float64) for b in net.biases]
    Y = one_hot(y, net.n_outputs)
    J, dWs, dbs = reference.gradients(
        Ws, bs, X.T, Y.T, net.activations, net.output, net.loss_name, reduction
    )
    new = []
    for W, b, dW, db in zip(Ws, bs, dWs, dbs, strict=True):
        new.append(np.column_stack([W - lr * dW, b - lr * db]).ravel())
    return J, np.concatenate(new)


# ------------------------------------------------------------------ whole training steps
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_full_batch_gd_steps_equal_reference_steps(dtype):
    net, X, y = _problem(0, [2, 2, 2], 200, dtype)
    ref = net.copy()
    h = net.fit(X, y, epochs=5, lr=0.1, optimizer="gd")
    for epoch in range(5):
        J, params = _reference_step(ref, X, y, 0.1)
        assert h.loss[epoch] == pytest.approx(J, rel=TOL[dtype]["rtol"])
        ref.set_params(params)
    np.testing.assert_allclose(net.params, ref.params, **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("sizes", [[5, 7, 3], [4, 6, 5, 2], [3, 4]])
def test_mini_batch_sgd_epoch_equals_reference_steps_on_the_same_batches(dtype, sizes):
    net, X, y = _problem(1, sizes, 23, dtype)
    ref = net.copy()
    trainer = Trainer(net, X, y, epochs=1, lr=0.05, batch_size=5, optimizer="sgd", seed=3)
    h = trainer.run()
    order = np.random.default_rng(np.random.SeedSequence(3).spawn(2)[1]).permutation(23)
    for i, start in enumerate(range(0, 23, 5)):
        idx = order[start : start + 5]
        J, params = _reference_step(ref, X[idx], y[idx], 0.05)
        assert h.step_loss[i] == pytest.approx(J, rel=TOL[dtype]["rtol"])
        ref.set_params(params)
    np.testing.assert_allclose(net.params, ref.params, **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("sizes", [[2, 3, 2], [2, 3, 4]])
def test_history_accuracy_is_the_argmax_accuracy_before_each_update(dtype, sizes):
    net, X, y = _problem(2, sizes, 60, dtype)
    starts = [net.params.copy()]  # full batch: epoch e is measured on the parameters it starts from
    h = net.fit(X, y, epochs=4, lr=0.5, callbacks=[lambda t: starts.append(t.net.params.copy())])
    probe = net.copy()
    for epoch in range(4):
        probe.set_params(starts[epoch])
        assert h.accuracy[epoch] == np.mean(probe.predict(X) == y)


# ------------------------------------------------------------------------- the shortcuts
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("l", [2, 3, 10])
def test_column_max_is_exactly_np_max(dtype, l):
    Z = np.random.default_rng(l).normal(size=(l, 37)).astype(dtype)
    Z[:, 0] = 1.5  # a column of ties
    buf = losses.Buffers.like(Z)
    losses.softmax(Z.copy(), np.empty_like(Z), buf)
    assert np.array_equal(buf.m, Z.max(axis=0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("l", [2, 3, 10])
def test_softmax_with_blas_column_sums_equals_the_plain_formula(dtype, l):
    rng = np.random.default_rng(l)
    Z = (rng.normal(size=(l, 50)) * 30).astype(dtype)  # large logits: the shift matters
    expected = np.exp(Z - Z.max(axis=0)) / np.exp(Z - Z.max(axis=0)).sum(axis=0)
    P = np.empty_like(Z)
    losses.output_forward("softmax", Z.copy(), P, losses.Buffers.like(Z))
    np.testing.assert_allclose(P, expected, rtol=1e-6 if dtype == np.float32 else 1e-14)
    np.testing.assert_allclose(P.sum(axis=0), 1, rtol=1e-6 if dtype == np.float32 else 1e-14)


@pytest.mark.parametrize("l", [2, 3])
def test_correct_count_equals_argmax_including_ties(l):
    rng = np.random.default_rng(0)
    P = rng.integers(0, 3, size=(l, 200)).astype(float)  # many exact ties
    labels = rng.integers(0, l, 200)
    expected = int(np.count_nonzero(P.argmax(axis=0) == labels))
    assert correct("argmax", P, labels, one_hot(labels, l).T) == expected
    # the batch's own counter, with its preallocated buffers
    net = fcnn.Network([1, l])
    data = Data(net, np.zeros((200, 1)), labels, None)
    batch = Batch(net, 200, data)
    batch.gather(data, None)
    batch.P[...] = P
    assert batch.correct() == expected


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [0, 7, -1])
def test_finiteness_test_by_a_zero_dot_product_equals_isfinite(dtype, bad, where):
    net, X, y = _problem(0, [2, 3, 2], 10, dtype)
    trainer = Trainer(net, X, y, epochs=1)
    params = net.params.copy()
    assert trainer._finite(params)
    huge = np.finfo(dtype).max
    params[:] = huge  # finite, however large
    assert trainer._finite(params)
    params[where] = bad
    with np.errstate(invalid="ignore"):  # as Trainer.run calls it: 0·inf is NaN, silently
        assert not trainer._finite(params)


# ------------------------------------------------------- the compiled softmax-CE step
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("sizes", [[2, 2, 2], [3, 5, 4, 10], [4, 3]])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_compiled_softmax_ce_step_is_bit_identical_to_the_readable_path(dtype, sizes, reduction):
    net, X, y = _problem(4, sizes, 9, dtype)
    net.reduction = reduction
    data = Data(net, X * 3, y, None)  # large logits: the max shift matters
    compiled, readable = Batch(net, 9, data), Batch(net, 9, data)
    for ws in (compiled, readable):
        ws.gather(data, None)

    (loss,) = fast_step.compile_step(compiled, compiled.Y)(1.0)
    grad = net._grad.copy()
    (ce,) = net._step(readable, readable.Y)  # Network._forward, losses, Network._backward
    # the same calls on the same arrays: the loss, the gradient and every array of the step
    # are bit-identical
    assert loss == ce
    assert np.array_equal(grad, net._grad)
    arrays = [ws.A + ws.G + ws.T + ws.H + [ws.P] for ws in (compiled, readable)]
    for a, b in zip(*arrays, strict=True):
        assert np.array_equal(a, b)


# ------------------------------------------------- every step plan against the readable one
def _chosen_and_readable(make, **fit):
    """(trainer, history or error) with the plan the trainer chose, then with the readable
    plan (``Network._step`` then ``Optimizer.step``); and the chosen plan's kind."""
    out = []
    for chosen in (True, False):
        trainer = make(**fit)
        kind = trainer._plan.kind
        if not chosen:
            trainer._plan = fast_step.readable(
                trainer.net, trainer.optimizer, l2=trainer.l2, clip=trainer.clip
            )
        try:
            out.append((trainer, trainer.run()))
        except fcnn.DivergenceError as err:
            out.append((trainer, (err.epoch, err.step)))
        if chosen:
            chosen_kind = kind
    return out, chosen_kind


def _assert_same_run(a, b):
    (ta, ha), (tb, hb) = a, b
    if isinstance(ha, tuple):
        assert ha == hb
    else:
        for field in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "step_loss"):
            assert getattr(ha, field) == getattr(hb, field), field
        assert ha.parts == hb.parts and ha.val_parts == hb.val_parts
        assert (ha.best_epoch, ha.stopped_early) == (hb.best_epoch, hb.stopped_early)
    arrays_a, meta_a = ta.state_dict()
    arrays_b, meta_b = tb.state_dict()
    assert meta_a == meta_b
    assert arrays_a.keys() == arrays_b.keys()
    for key in arrays_a:
        assert np.array_equal(arrays_a[key], arrays_b[key], equal_nan=True), key


class _Hooks(fcnn.Callback):
    def __init__(self):
        self.calls = []

    def on_step_end(self, trainer):
        self.calls.append(("step", trainer.step, trainer.pos, float(trainer.net.params[0])))

    def on_epoch_end(self, trainer):
        self.calls.append(("epoch", trainer.epoch, trainer.pos, trainer.history.loss[-1]))
        if trainer.epoch == 7:
            trainer.request_stop()


FULL_BATCH_CASES = {
    "plain gd": dict(),
    "float32": dict(dtype="float32"),
    "l2 and sample weights": dict(l2=0.01, sample_weight=np.linspace(0.5, 2, 60)),
    "validation and early stopping": dict(val_split=0.25, early_stopping=True, patience=2, lr=3.0),
    "accuracy monitor": dict(monitor="accuracy"),
    "adaptive schedule and momentum": dict(schedule="adaptive", optimizer="momentum"),
    "adam, invscaling": dict(optimizer="adam", schedule="invscaling", lr=0.05),
    "mse on sigmoid": dict(output="sigmoid", loss="mse"),
    "mse+ce on softmax, sum": dict(loss="mse+ce", reduction="sum"),
    "divergence": dict(lr=1e300),
}


@pytest.mark.parametrize("batch_size", [None, 16])
@pytest.mark.parametrize("case", list(FULL_BATCH_CASES))
def test_the_chosen_step_trains_as_the_readable_step(case, batch_size):
    """The compiled step is bit-identical to the readable one; plain SGD with its rate folded
    into the delta, or descending inside the products, equals it up to rounding (where the
    rate is applied). Histories, parameters and checkpoint state alike."""
    kw = dict(FULL_BATCH_CASES[case])
    net_kw = {k: kw.pop(k) for k in ("dtype", "output", "loss", "reduction") if k in kw}
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=60) > 0).astype(int)
    if net_kw.get("output") == "sigmoid":
        y = y.reshape(-1, 1)
    sizes = [3, 5, 1 if net_kw.get("output") == "sigmoid" else 2]

    def make(**fit):
        net = fcnn.Network(sizes, seed=1, **net_kw)
        return Trainer(net, X, y, epochs=12, batch_size=batch_size, **{"lr": 0.5, **fit})

    runs, kind = _chosen_and_readable(make, **kw)
    if kind in ("readable", "compiled") or isinstance(runs[0][1], tuple):
        _assert_same_run(*runs)
    else:
        (ta, ha), (tb, hb) = runs
        tol = dict(rtol=1e-4, atol=1e-6) if net_kw.get("dtype") == "float32" else {}
        np.testing.assert_allclose(ta.net.params, tb.net.params, **(tol or dict(rtol=1e-12)))
        np.testing.assert_allclose(ha.loss, hb.loss, **(tol or dict(rtol=1e-12)))


def test_each_kind_of_step_is_chosen_where_it_applies():
    X, y = np.zeros((8, 3)), np.arange(8) % 2
    kinds = {
        "descend" if fast_step.blas.available("float64") else "folded": dict(),
        "folded": dict(l2=0.1),
        "compiled": dict(optimizer="adam"),
        "readable": dict(optimizer="adam", sample_weight=np.ones(8)),
    }
    for kind, fit in kinds.items():
        assert Trainer(fcnn.Network([3, 2], seed=0), X, y, **fit)._plan.kind == kind
    # a callback that reads the gradient buffer gets a step that leaves ∇J there
    reader = fcnn.Callback()
    reader.needs_gradient = True
    trainer = Trainer(fcnn.Network([3, 2], seed=0), X, y, callbacks=[reader])
    assert trainer._plan.kind == "compiled"


def test_hooks_stops_and_resumes_are_the_same_with_every_step(monkeypatch):
    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(40, 2)), rng.integers(0, 2, 40)
    hooks = []

    def make():
        hooks.append(_Hooks())
        net = fcnn.Network([2, 3, 2], seed=2)
        return Trainer(net, X, y, epochs=10, lr=0.3, optimizer="adam", callbacks=[hooks[-1]])

    runs, kind = _chosen_and_readable(make)
    assert kind == "compiled"
    assert hooks[0].calls == hooks[1].calls
    assert runs[0][0].epoch == 7  # stopped by the hook
    for trainer, _ in runs:
        trainer.run()  # resumes to the end, each with its own step
    _assert_same_run(*[(t, t.history) for t, _ in runs])
    assert hooks[0].calls == hooks[1].calls


# ------------------------------------------------------------------ layouts and counters
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("sizes", [[2, 2, 2], [5, 20, 18, 3]])
def test_row_and_column_workspaces_compute_the_same_step(dtype, sizes):
    """A workspace that gathers mini-batches holds x as rows beside a column of ones, one
    filled once holds x as contiguous columns: the same step either way."""
    net, X, y = _problem(6, sizes, 11, dtype)
    data = Data(net, X, y, None)
    grads, losses_ = [], []
    for rows in (True, False):
        ws = Batch(net, 11, data, rows=rows)
        ws.gather(data, None if not rows else np.arange(11))
        assert ws.H[0].flags.c_contiguous is not rows
        losses_.append(net._step(ws, ws.Y))
        grads.append(net._grad.copy())
    np.testing.assert_allclose(*grads, **TOL[dtype])
    assert losses_[0] == pytest.approx(losses_[1], rel=TOL[dtype]["rtol"])


@pytest.mark.parametrize("classes", [2, 5])
def test_the_accuracy_count_is_a_python_int(classes):
    """A NumPy integer would make every later sum and quotient a slow NumPy scalar operation."""
    net, X, y = _problem(7, [3, 4, classes], 20, "float64")
    data = Data(net, X, y, None)
    ws = Batch(net, 20, data)
    ws.gather(data, None)
    net._step(ws, ws.Y)
    count = ws.correct()
    assert type(count) is int
    assert count == int(np.count_nonzero(ws.P.argmax(axis=0) == y))


# --------------------------------------------------------------- plain SGD's folded rate
@pytest.mark.parametrize("batch_size", [None, 7])
@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
@pytest.mark.parametrize("l2", [0.0, 0.05])
@pytest.mark.parametrize("kind", ["descend", "folded"])
def test_folding_the_rate_trains_as_the_two_pass_update(kind, batch_size, schedule, l2):
    """The backward pass computes α g, then θ -= α g in one pass ("folded"), or inside the
    weight-gradient products ("descend", fcnn._fast.blas, where it can): the same run as
    θ -= α·g computed after the backward pass, up to the rounding of where α is applied."""
    if kind == "descend" and not fast_step.blas.available("float64"):
        pytest.skip("NumPy's own BLAS is not reachable here")
    X, y = fcnn.datasets.moons(n_samples=40, seed=3)
    runs = []
    for fast in (True, False):
        net = fcnn.Network([2, 6, 2], seed=1)
        options = dict(epochs=6, lr=0.3, batch_size=batch_size, schedule=schedule, l2=l2)
        trainer = fcnn.Trainer(net, X, y, optimizer="sgd", shuffle=True, **options)
        assert trainer._plan.kind == ("folded" if l2 else "descend")  # L2 keeps it apart
        opt = trainer.optimizer
        if not fast:
            trainer._plan = fast_step.readable(net, opt, l2=l2, clip=None)
        elif kind == "folded":
            trainer._plan = fast_step.folded(net, opt, l2=l2, weighted=False)
        runs.append((net, trainer.run(), opt.state["t"]))
    (a, ha, ta), (b, hb, tb) = runs
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ha.loss, hb.loss, rtol=1e-12)
    assert ha.accuracy == hb.accuracy
    assert ta == tb  # the optimiser counts the steps it did not take itself
