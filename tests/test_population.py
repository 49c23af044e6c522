"""fcnn.Population: K networks trained as one computation, each member equal to its lone fit."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import fcnn
from fcnn.errors import MemoryLimitError
from fcnn.population import Population

SEEDS = [3, 7, 11]
RATES = [0.1, 0.2, 0.05]


@pytest.fixture(scope="module")
def moons():
    return fcnn.datasets.moons(120, seed=1)


def _lone(seed: int, X, y, **options) -> tuple[fcnn.Network, fcnn.History]:
    net = fcnn.Network([2, 5, 2], seed=seed)
    return net, net.fit(X, y, **options)


@pytest.mark.parametrize(
    "options",
    [
        {"optimizer": "gd"},
        {"optimizer": "sgd", "batch_size": 32},
        {"optimizer": "momentum", "batch_size": 32, "l2": 1e-3},
        {"optimizer": "adam", "batch_size": 50},
        {"optimizer": "rmsprop", "batch_size": 50, "l2": [0.0, 1e-2, 1e-3]},
    ],
    ids=["gd", "sgd", "momentum+l2", "adam", "rmsprop+l2 per member"],
)
def test_each_member_equals_its_lone_fit_to_rounding(moons, options):
    X, y = moons
    pop = Population([2, 5, 2], seeds=SEEDS)
    histories = pop.fit(X, y, epochs=15, lr=RATES, **options)
    for i, seed in enumerate(SEEDS):
        lone = dict(options, lr=RATES[i])
        if isinstance(options.get("l2"), list):
            lone["l2"] = options["l2"][i]
        net, h = _lone(seed, X, y, epochs=15, **lone)
        np.testing.assert_allclose(pop.member(i).params, net.params, rtol=0, atol=1e-12)
        mine = histories[i]
        np.testing.assert_allclose(mine.loss, h.loss, rtol=1e-12)
        np.testing.assert_allclose(mine.step_loss, h.step_loss, rtol=1e-12)
        assert mine.accuracy == h.accuracy and mine.epoch == h.epoch and mine.lr == h.lr
        assert mine.parts.keys() == h.parts.keys()
        for name in h.parts:
            np.testing.assert_allclose(mine.parts[name], h.parts[name], rtol=1e-12)
            np.testing.assert_allclose(
                mine.parts_per_sample[name], h.parts_per_sample[name], rtol=1e-12
            )


def test_three_class_members_equal_their_lone_fits(moons):
    X, y = moons
    y = np.where(X[:, 0] > 1, 2, y)
    pop = Population([2, 6, 3], seeds=SEEDS)
    histories = pop.fit(X, y, epochs=12, lr=0.3, batch_size=25, optimizer="nesterov")
    for i, seed in enumerate(SEEDS):
        net = fcnn.Network([2, 6, 3], seed=seed)
        h = net.fit(X, y, epochs=12, lr=0.3, batch_size=25, optimizer="nesterov")
        np.testing.assert_allclose(pop.member(i).params, net.params, rtol=0, atol=1e-12)
        assert histories[i].accuracy == h.accuracy


def test_a_member_on_its_bootstrap_sample_equals_a_lone_fit_on_those_rows(moons):
    X, y = moons
    pop = Population([2, 5, 2], seeds=SEEDS, reduction="sum")
    pop.fit(X, y, epochs=10, lr=0.01, batch_size=40, bootstrap=True)
    assert len({tuple(s) for s in pop.samples}) == len(SEEDS)  # each its own sample
    for i, seed in enumerate(SEEDS):
        rows = pop.samples[i]
        net = fcnn.Network([2, 5, 2], seed=seed, reduction="sum")
        h = net.fit(X[rows], y[rows], epochs=10, lr=0.01, batch_size=40)
        np.testing.assert_allclose(pop.member(i).params, net.params, rtol=0, atol=1e-12)
        np.testing.assert_allclose(pop.histories[i].loss_per_sample, h.loss_per_sample)


def test_the_stacked_gradient_of_a_member_passes_a_finite_difference_check(moons):
    X, y = moons
    pop = Population([2, 4, 3, 3], seeds=[0, 1])  # three outputs: the general softmax
    stack, K = pop.stack, pop.K
    Xs, ls = np.broadcast_to(X, (K, *X.shape)), np.broadcast_to(y, (K, len(y)))
    stack.load(Xs, ls)
    stack.step(1 / len(X))
    analytic, eps = stack.grad[1].copy(), 1e-6
    numeric = np.empty_like(analytic)
    for j in range(stack.params.shape[1]):
        keep = stack.params[1, j]
        stack.params[1, j] = keep + eps
        up = stack.step(1 / len(X))[0][1]
        stack.params[1, j] = keep - eps
        down = stack.step(1 / len(X))[0][1]
        stack.params[1, j] = keep
        numeric[j] = (up - down) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    dW, db = pop.member(1).gradients(X, y)  # seed 002 Alg. 2 on the lone network
    lone = np.concatenate([np.column_stack([w, b]).ravel() for w, b in zip(dW, db, strict=True)])
    np.testing.assert_allclose(analytic, lone, rtol=1e-12, atol=1e-15)


def test_a_diverging_member_stops_with_its_last_finite_parameters_and_the_others_train(moons):
    X, y = moons
    pop = Population([2, 5, 2], seeds=SEEDS)
    start = pop.params.copy()
    histories = pop.fit(X * 1e3, y, epochs=30, lr=[0.1, 1e308, 0.1], optimizer="gd")
    assert pop.diverged[1] is not None and pop.diverged[0] is None
    assert np.isfinite(pop.params).all()
    assert len(histories[1].epoch) < 30 == len(histories[0].epoch)
    assert not np.array_equal(pop.params[0], start[0])


def test_members_are_ordinary_networks_and_bad_options_are_refused(moons):
    X, y = moons
    pop = Population([2, 5, 2], seeds=SEEDS, dtype="float32")
    member = pop.member(-1)
    assert isinstance(member, fcnn.Network) and member.seed == SEEDS[-1]
    assert member.dtype == np.float32
    member.params[:] = 0  # a copy: the population is untouched
    assert pop.params[-1].any()
    with pytest.raises(IndexError):
        pop.member(3)
    with pytest.raises(ValueError, match="one per member"):
        pop.fit(X, y, lr=[0.1, 0.2])
    with pytest.raises(ValueError, match="unknown optimizer"):
        pop.fit(X, y, optimizer="lbfgs")
    with pytest.raises(ValueError, match="at least one seed"):
        Population([2, 5, 2], seeds=[])


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda X, y: Population([2, 3, 2], seeds=5), ValueError, "seeds must be a sequence"),
        (lambda X, y: Population([2, 3, 2], seeds="abc"), ValueError, "e.g. range"),
        (lambda X, y: Population([2, 3, 2], seeds=[1.5]), ValueError, "seed must be an int"),
        (lambda X, y: Population([2, 3, 2], seeds=range(10**12)), MemoryLimitError, "fewer seeds"),
        (lambda X, y: _pop().fit(X, y, batch_size=0), ValueError, "batch_size must be an int"),
        (lambda X, y: _pop().fit(X, y, batch_size=-3), ValueError, "batch_size must be an int"),
        (lambda X, y: _pop().fit(X, y, batch_size=2.5), ValueError, "or None for the full"),
        (lambda X, y: _pop().member("a"), TypeError, "index is an int, 0..2"),
        (lambda X, y: _pop().member(1.0), TypeError, "index is an int"),
    ],
)
def test_bad_seeds_batch_sizes_and_indices_are_refused_by_name(moons, call, error, words):
    # each once failed late, or with Python's words: int not iterable, a division by zero,
    # a negative batch size taken as the full batch, a list of 10^12 seeds being made
    with pytest.raises(error, match=words):
        call(*moons)


def _pop() -> Population:
    return Population([2, 3, 2], seeds=range(3))


@pytest.mark.parametrize("options", [{"optimizer": "gd"}, {"optimizer": "adam", "batch_size": 50}])
def test_members_in_chunks_train_bit_for_bit_as_all_at_once(moons, monkeypatch, options):
    X, y = moons
    seeds = list(range(8))
    whole = Population([2, 5, 2], seeds=seeds)
    h_whole = whole.fit(X, y, epochs=5, lr=0.1, **options)
    assert whole.stack.chunk(len(X)) == 8  # all at once
    from fcnn._fast import stacked  # a workspace budget of 3 members: chunks of 3, 3 and 2

    monkeypatch.setattr(stacked, "CHUNK_BYTES", 3 * whole.stack.member_bytes(len(X)))
    chunked = Population([2, 5, 2], seeds=seeds)
    assert chunked.stack.chunk(len(X)) == 3
    h_chunked = chunked.fit(X, y, epochs=5, lr=0.1, **options)
    assert np.array_equal(chunked.params, whole.params)
    for a, b in zip(h_chunked, h_whole, strict=True):
        assert a.loss == b.loss and a.accuracy == b.accuracy and a.step_loss == b.step_loss


@pytest.mark.slow
def test_a_population_holds_the_data_its_members_and_at_most_64_mb_more():
    # 64 members of a 40-32-10 network on 4000 rows, full batch: all members' workspace at
    # once would take ~250 MB; in chunks the step stays within the bound
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 40)).astype(np.float32)
    y = rng.integers(0, 10, 4000)
    pop = Population([40, 32, 10], seeds=range(64), dtype="float32")
    per_member = pop.params[0].nbytes * 5  # parameters, gradient, update scratch, Adam's m, s
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    pop.fit(X, y, epochs=2, optimizer="adam", lr=0.01)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert pop.stack.chunk(4000) < 64
    assert peak <= X.nbytes + pop.K * per_member + 64 * 2**20, peak / 2**20


POP_FITS = {
    "gd": {"optimizer": "gd"},
    "adam in batches": {"optimizer": "adam", "batch_size": 50, "l2": 1e-3},
    # the sum reduction's steps are 32x the mean's: at lr 0.1 the deeper network's training
    # amplifies rounding to 1e-7 within 8 epochs (the NumPy population and a lone fit differ
    # as much), so a smaller rate
    "sum reduction, bootstrap": {
        "optimizer": "sgd",
        "batch_size": 32,
        "bootstrap": True,
        "lr": 0.01,
    },
}


@pytest.mark.parametrize("options", POP_FITS.values(), ids=POP_FITS.keys())
@pytest.mark.parametrize("sizes", [[2, 5, 2], [2, 4, 4, 3]])
def test_the_fused_kernel_trains_a_population_as_the_numpy_step_does(
    moons, monkeypatch, sizes, options
):
    pytest.importorskip("numba")
    X, y = moons
    if sizes[-1] == 3:
        y = np.where(X[:, 0] > 1, 2, y)
    reduction = "sum" if "bootstrap" in options else "mean"
    kernels = pytest.importorskip("fcnn._fast.kernels")
    calls, step = [], kernels.step
    monkeypatch.setattr(kernels, "step", lambda *a: calls.append(1) or step(*a))
    runs = {}
    for setting in ("0", "1"):
        monkeypatch.setenv("FCNN_FUSED", setting)
        pop = Population(sizes, seeds=range(6), reduction=reduction)
        runs[setting] = pop, pop.fit(X, y, epochs=8, **{"lr": 0.1} | options), len(calls)
    (a, ha, fused_a), (b, hb, fused_b) = runs["0"], runs["1"]
    assert fused_a == 0 < fused_b and b.stack.fused is None  # the kernel left with the fit
    np.testing.assert_allclose(b.params, a.params, rtol=1e-10, atol=1e-12)
    for x, z in zip(hb, ha, strict=True):
        np.testing.assert_allclose(x.loss, z.loss, rtol=1e-11)
        assert x.accuracy == z.accuracy
    assert np.array_equal(pickle.loads(pickle.dumps(b)).params, b.params)


def test_a_diverging_member_stops_alike_with_the_fused_kernel(moons, monkeypatch):
    pytest.importorskip("numba")
    X, y = moons
    diverged = {}
    for setting in ("0", "1"):
        monkeypatch.setenv("FCNN_FUSED", setting)
        pop = Population([2, 5, 2], seeds=SEEDS)
        pop.fit(X * 1e3, y, epochs=30, lr=[0.1, 1e308, 0.1], optimizer="gd")
        assert np.isfinite(pop.params).all()
        diverged[setting] = pop.diverged
    assert diverged["1"] == diverged["0"] and diverged["1"][1] is not None


THREADED_FITS = {
    "gd, one member diverging": {"optimizer": "gd", "lr": [0.1, 0.2, 1e308, 0.1, 0.05, 0.1]},
    "adam in batches, l2 per member": {
        "optimizer": "adam",
        "batch_size": 50,
        "l2": [0.0, 1e-3, 0.0, 1e-2, 0.0, 1e-3],
    },
    "sgd, bootstrap, chunks": {"optimizer": "sgd", "batch_size": 32, "bootstrap": True},
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", THREADED_FITS.values(), ids=THREADED_FITS.keys())
def test_members_shared_between_threads_train_bit_for_bit_as_on_one(
    moons, monkeypatch, options, dtype
):
    # with the fused kernel a population's members may be shared between threads
    # (fcnn._fast.threads.for_members); each share runs its own loop on rows of the stack
    pytest.importorskip("numba")
    import threading

    from fcnn._fast import stacked, threads

    kernels = pytest.importorskip("fcnn._fast.kernels")
    X, y = moons
    X = X * (1e3 if options["optimizer"] == "gd" else 1)  # where member 2 diverges
    if "bootstrap" in options:  # a workspace of 3 members: 1 per share, chunks within shares
        probe = Population([2, 5, 2], seeds=[0], dtype=dtype)
        monkeypatch.setattr(stacked, "CHUNK_BYTES", 3 * probe.stack.member_bytes(32))
    monkeypatch.setenv("FCNN_FUSED", "1")
    names, step = set(), kernels.step
    monkeypatch.setattr(
        kernels, "step", lambda *a: names.add(threading.current_thread().name) or step(*a)
    )
    runs = {}
    for parts in (1, 3):
        monkeypatch.setattr(threads, "for_members", lambda work, busy=0, parts=parts: parts)
        names.clear()
        pop = Population([2, 5, 2], seeds=range(6), dtype=dtype)
        with np.errstate(all="raise"):  # each thread keeps NumPy quiet for its own members
            histories = pop.fit(X, y, epochs=6, **{"lr": 0.1} | options)
        runs[parts] = pop, histories, set(names)
    (one, h_one, on_one), (three, h_three, on_three) = runs[1], runs[3]
    # the calling thread and the pool's (a pool thread idle again may take the third share)
    assert on_one == {threading.current_thread().name} and len(on_three) >= 2
    assert all(n.startswith("fcnn-population") for n in on_three - on_one)
    assert np.array_equal(three.params, one.params)
    assert three.diverged == one.diverged
    if options["optimizer"] == "gd":
        assert three.diverged[2] is not None and np.isfinite(three.params).all()
    for a, b in zip(h_three, h_one, strict=True):
        assert a.loss == b.loss and a.accuracy == b.accuracy and a.step_loss == b.step_loss
        assert a.parts == b.parts and a.parts_per_sample == b.parts_per_sample


@pytest.mark.parametrize("where", ["another share", "the calling thread"])
def test_an_error_in_one_share_stops_the_others_and_is_raised(moons, monkeypatch, where):
    # a share's loop that raises (or Ctrl-C in the calling thread) must not leave the other
    # shares training to the end before the error reaches the caller
    pytest.importorskip("numba")
    import threading

    from fcnn._fast import threads

    kernels = pytest.importorskip("fcnn._fast.kernels")
    monkeypatch.setenv("FCNN_FUSED", "1")
    monkeypatch.setattr(threads, "for_members", lambda work, busy=0: 2)
    calls, step, main = {"main": 0, "other": 0}, kernels.step, threading.current_thread()

    def failing(*args):
        mine = threading.current_thread() is main
        calls["main" if mine else "other"] += 1
        if mine == (where == "the calling thread") and calls["main" if mine else "other"] == 5:
            raise KeyboardInterrupt if mine else MemoryError("out of memory in a share")
        return step(*args)

    monkeypatch.setattr(kernels, "step", failing)
    X, y = moons
    pop = Population([2, 5, 2], seeds=range(6))
    error = KeyboardInterrupt if where == "the calling thread" else MemoryError
    with pytest.raises(error):
        pop.fit(X, y, epochs=10_000, lr=0.1)
    # the other share stopped long before its 10,000 steps (within a turn or two on the GIL)
    assert max(calls.values()) < 2_000
    assert pop.stack.fused is None


def test_fits_with_and_without_the_kernel_in_turn_train_as_the_numpy_step_alone(moons, monkeypatch):
    # one population's workspace serves every fit: the kernel's arguments must follow the
    # batches a NumPy fit loaded in between (shuffled batches: loaded every step)
    pytest.importorskip("numba")
    X, y = moons
    turns, reference = Population([2, 5, 2], seeds=SEEDS), Population([2, 5, 2], seeds=SEEDS)
    for setting in ("1", "0", "1"):
        monkeypatch.setenv("FCNN_FUSED", setting)
        mine = turns.fit(X, y, epochs=3, lr=0.1, optimizer="sgd", batch_size=40)
        monkeypatch.setenv("FCNN_FUSED", "0")
        theirs = reference.fit(X, y, epochs=3, lr=0.1, optimizer="sgd", batch_size=40)
        for a, b in zip(mine, theirs, strict=True):  # the count reads the batch's labels
            assert a.accuracy == b.accuracy
            np.testing.assert_allclose(a.loss, b.loss, rtol=1e-10)
    np.testing.assert_allclose(turns.params, reference.params, rtol=1e-10, atol=1e-12)


def test_a_pickled_population_keeps_its_parameters_and_not_its_workspace(moons):
    X, y = moons
    pop = Population([2, 6, 2], seeds=range(8))
    pop.fit(X, y, epochs=3, lr=0.1)
    data = pickle.dumps(pop)
    # the parameters, not the workspace (8 copies of the batch and the step's arrays)
    assert len(data) < 4 * pop.params.nbytes + 4096
    twin = pickle.loads(data)
    assert np.array_equal(twin.params, pop.params)
    pop.fit(X, y, epochs=2, lr=0.1)
    twin.fit(X, y, epochs=2, lr=0.1)  # trains on, as the original does
    assert np.array_equal(twin.params, pop.params)
