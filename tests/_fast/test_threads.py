"""fcnn._fast.threads: the BLAS thread count chosen by size once per run, under any outer
limit, and restored when the run ends."""

from __future__ import annotations

import os

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import fcnn
from fcnn._fast import threads

needs_control = pytest.mark.skipif(
    not threads.available(), reason="the thread count of NumPy's OpenBLAS is not reachable here"
)


class _Counts(fcnn.Callback):
    """Records the BLAS thread count NumPy's OpenBLAS has after every update."""

    def __init__(self) -> None:
        self.seen: list[int | None] = []

    def on_step_end(self, trainer) -> None:
        self.seen.append(threads.current())


def _data(n: int, n_in: int, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_in)), rng.integers(0, classes, n)


def test_small_products_get_one_thread_and_large_ones_one_per_grain():
    assert threads.choose([2, 2, 2], 4, limit=8) == 1
    assert threads.choose([40, 100, 100, 10], 128, limit=8) == 2  # MNIST-1D shape
    assert threads.choose([40, 100, 100, 10], 128, limit=1) == 1  # an outer limit wins
    assert threads.choose([2, 64, 64, 3], 32, limit=8) == 1  # spirals, small batches
    assert threads.choose([2, 2, 2], 200, limit=8) == 1  # the seed network
    big = threads.largest_product([784, 256, 256, 10], 128)
    assert big == 256 * 785 * 128
    assert threads.choose([784, 256, 256, 10], 128, limit=8) == min(8, big // threads.GRAIN)
    assert threads.choose([784, 256, 256, 10], 128, limit=2) == 2


def test_the_outer_limit_caps_the_choice_and_a_bad_limit_is_refused():
    assert threads.choose([784, 2048, 10], 1024, limit=1) == 1
    with pytest.raises(ValueError, match="at least 1"):
        threads.choose([2, 2], 4, limit=0)


def test_a_busy_machine_leaves_fewer_spare_cores_and_never_fewer_than_one():
    assert threads.spare_cores(load=0.1, cores=8) == 8
    assert threads.spare_cores(load=1.0, cores=2) == 2  # a run's own thread from the last run
    assert threads.spare_cores(load=3.5, cores=4) == 1
    assert threads.spare_cores(load=7.0, cores=2) == 1
    assert threads.spare_cores(load=1.3, cores=2) == 2  # quiet, right after a run
    assert threads.spare_cores(load=2.0, cores=2) == 1  # one other busy process
    assert 1 <= threads.spare_cores() <= threads._cores()


def test_other_processes_running_now_decide_where_they_can_be_read():
    # whatever the 1-minute average says: a load that has just ended, or just started
    assert threads.spare_cores(load=2.0, cores=2, others=0) == 2
    assert threads.spare_cores(load=0.0, cores=2, others=2) == 1
    assert threads.spare_cores(cores=4, others=1) == 3
    assert threads.spare_cores(cores=4, others=40) == 1
    now = threads.others_running()
    assert now is None or now >= 0


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="no /proc here")
def test_two_processes_spinning_are_seen_as_others_running():
    import subprocess
    import sys

    spin = "while True: pass"
    busy = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(2)]
    try:
        import time

        time.sleep(0.3)
        assert threads.others_running(samples=5) >= 1
        threads._recent[0] = -1e9  # a fresh reading, not one cached from an earlier test
        assert threads.spare_cores() < threads._cores() or threads._cores() == 1
    finally:
        for p in busy:
            p.kill()
            p.wait()
        threads._recent[0] = -1e9  # later runs read the machine afresh


@needs_control
def test_a_small_network_never_reads_the_load(monkeypatch):
    def unread(*args):
        raise AssertionError("the load was read for a run that takes one thread by size")

    monkeypatch.setattr(threads, "spare_cores", unread)
    X, y = _data(40, 2, 2)
    fcnn.Network([2, 4, 2], seed=0).fit(X, y, epochs=2)


@needs_control
def test_a_small_network_trains_on_one_thread_and_the_count_is_restored_after_fit():
    X, y = _data(64, 4, 3)
    before = threads.current()
    with threadpool_limits(2, user_api="blas"):
        outer = threads.current()
        counts = _Counts()
        fcnn.Network([4, 8, 3], seed=0).fit(X, y, epochs=3, batch_size=16, callbacks=[counts])
        assert set(counts.seen) == {1}
        assert threads.current() == outer
    assert threads.current() == before


@needs_control
def test_an_outer_threadpool_limit_of_one_wins_over_a_large_network():
    X, y = _data(1100, 784, 10)
    counts = _Counts()
    with threadpool_limits(1, user_api="blas"):
        fcnn.Network([784, 256, 10], seed=0, dtype="float32").fit(
            X, y, epochs=1, batch_size=1024, callbacks=[counts]
        )
        assert threads.current() == 1
    assert set(counts.seen) == {1}


class _Fails(_Counts):
    """Raises after the first update, having recorded the count in force."""

    def on_step_end(self, trainer) -> None:
        super().on_step_end(trainer)
        raise RuntimeError("stop here")


@needs_control
def test_the_count_is_restored_when_fit_raises():
    X, y = _data(32, 2, 2)
    fails = _Fails()
    with threadpool_limits(2, user_api="blas"):
        with pytest.raises(RuntimeError, match="stop here"):
            fcnn.Network([2, 4, 2], seed=0).fit(X, y, epochs=5, callbacks=[fails])
        assert fails.seen == [1]
        assert threads.current() == 2


@needs_control
def test_a_large_network_trains_the_same_on_one_thread_or_two(monkeypatch):
    monkeypatch.setattr(threads, "_others_recently", lambda: 0)  # as on a quiet machine
    if threads._cores() < 2:
        pytest.skip("one core: a second thread is never chosen")
    X, y = _data(600, 300, 10)
    results = []
    for n in (1, 2):
        with threadpool_limits(n, user_api="blas"):
            net, counts = fcnn.Network([300, 256, 10], seed=1), _Counts()
            h = net.fit(X, y, epochs=2, batch_size=512, lr=0.05, callbacks=[counts])
        assert set(counts.seen) == {n}
        results.append((net.params.copy(), h.loss))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10)


def _scipy_blas_threads() -> int | None:
    """The thread count of scipy's own OpenBLAS, or None where it has none of its own."""
    import scipy.optimize  # noqa: F401 - loads scipy's BLAS, as fcnn.sklearn's L-BFGS-B does
    from threadpoolctl import threadpool_info

    for info in threadpool_info():
        if "scipy.libs" in info.get("filepath", "") and info.get("user_api") == "blas":
            return int(info["num_threads"])
    return None


needs_scipy_blas = pytest.mark.skipif(
    _scipy_blas_threads() is None, reason="scipy shares NumPy's BLAS here (no OpenBLAS of its own)"
)


@needs_scipy_blas
def test_scipy_blas_is_held_to_one_thread_in_the_block_and_restored_after_it_also_on_error():
    with threadpool_limits(2):  # both libraries at two threads, whatever the machine
        numpy_before = threads.current()
        with threads.others_limited(1) as limited:
            assert limited >= 1
            assert _scipy_blas_threads() == 1
            assert threads.current() == numpy_before  # NumPy's is the run policy's business
        assert _scipy_blas_threads() == 2
        with pytest.raises(RuntimeError), threads.others_limited(1):
            raise RuntimeError("inside the block")
        assert _scipy_blas_threads() == 2


@needs_scipy_blas
@pytest.mark.filterwarnings("ignore:lbfgs failed to converge")  # 5 iterations on purpose
def test_sklearn_lbfgs_runs_l_bfgs_b_with_scipy_blas_on_one_thread(monkeypatch):
    pytest.importorskip("sklearn")
    import scipy.optimize

    from fcnn.sklearn import FCNNClassifier

    seen: list[int | None] = []
    minimize = scipy.optimize.minimize

    def recording(*args, **kwargs):
        seen.append(_scipy_blas_threads())
        return minimize(*args, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", recording)
    X, y = _data(60, 3, 2)
    with threadpool_limits(2):
        FCNNClassifier(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, random_state=0).fit(
            X, y
        )
        assert _scipy_blas_threads() == 2
    assert seen == [1]


@needs_control
def test_a_population_shares_its_members_between_threads_only_where_they_pay(monkeypatch):
    grain = threads.MEMBER_GRAIN
    monkeypatch.setattr(threads, "_cores", lambda: 8)
    monkeypatch.setattr(threads, "spare_cores", lambda: 1)  # a busy machine: not asked
    with threadpool_limits(4, user_api="blas"):
        assert threads.for_members(grain) == 1  # too little work to hand to another thread
        assert threads.for_members(3 * grain) == 3  # one per grain
        assert threads.for_members(100 * grain) == 4  # no more than the count in force
        assert threads.for_members(100 * grain, busy=6) == 2  # nor the cores left to it
    with threadpool_limits(1, user_api="blas"):  # an outer limit (a sweep worker's) wins
        assert threads.for_members(100 * grain) == 1


@needs_control
def test_population_fits_at_once_in_one_process_share_its_cores(monkeypatch):
    monkeypatch.setattr(threads, "_cores", lambda: 4)
    work = 100 * threads.MEMBER_GRAIN
    with threadpool_limits(8, user_api="blas"):
        with threads.members(work) as first:
            with threads.members(work) as second:  # another thread's fit, meanwhile
                with threads.members(work) as third:
                    assert (first, second, third) == (4, 1, 1)
            with threads.members(work) as again:
                assert again == 1  # the first still holds all 4
        with threads.members(work) as alone:
            assert alone == 4  # all given back
        with threads.members(0) as unshared:  # a fit without the kernel
            assert unshared == 1
    assert threads._members_busy == [0]


@pytest.mark.parametrize(
    ("value", "off"),
    [("0", True), ("off", True), ("no", True), ("1", False), ("on", False), ("", False)],
)
def test_fcnn_thread_policy_takes_its_settings(monkeypatch, value, off):
    monkeypatch.setenv("FCNN_THREAD_POLICY", value)
    assert threads.policy_off() is off


def test_a_thread_policy_setting_that_is_none_is_refused_not_taken_as_on(monkeypatch):
    monkeypatch.setenv("FCNN_THREAD_POLICY", "false-ish")
    threads._controls.cache_clear()
    try:
        with pytest.raises(ValueError, match="FCNN_THREAD_POLICY='false-ish' is not a setting"):
            threads.available()
    finally:
        monkeypatch.delenv("FCNN_THREAD_POLICY")
        threads._controls.cache_clear()
