"""Sweeps on Dask with real parts: LocalClusters, and a ``dask scheduler`` with two
``dask worker`` processes on 127.0.0.1. A trial's result does not depend on the worker that
ran it, on how many there were, on a worker killed under it, or on the sweep process being
killed and resumed: the results, less wall time and worker names, are identical bit for bit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sweep_helpers import (  # noqa: F401 - fixtures
    LONG,
    TINY,
    cluster,
    dask,
    env,
    fcnn,
    models,
    require_dask,
    rows,
    trial_bytes,
    wait_until,
    write,
)

from fcnn.sweep import DaskBackend, SerialBackend, folder, local_cluster, run_sweep
from fcnn.sweep import load as load_spec
from fcnn.sweep.trials import trials

pytestmark = pytest.mark.slow


def start(path, out, backend, **kwargs):
    spec = folder.absolute_data(load_spec(path), os.getcwd())
    meta = folder.create(out, path, len(trials(spec)))
    try:
        return run_sweep(spec, out, meta, backend, **kwargs)
    finally:
        backend.close()


@pytest.fixture(scope="module")
def long_reference(tmp_path_factory):
    """The LONG sweep, undisturbed, on a LocalCluster of two workers."""
    require_dask()
    root = tmp_path_factory.mktemp("reference")
    path = root / "long.toml"
    path.write_text(LONG)
    start(path, root / "s", DaskBackend(workers=2), figures=False)
    return path, root / "s"


def test_results_are_bit_identical_on_one_and_on_two_workers_and_without_dask(
    dask, write, tmp_path
):
    path = write(TINY.replace("seeds = 2", "seeds = 4"))
    start(path, tmp_path / "one", DaskBackend(workers=1), figures=False)
    start(path, tmp_path / "two", DaskBackend(workers=2), figures=False)
    start(path, tmp_path / "alone", SerialBackend(), figures=False)
    assert rows(tmp_path / "alone") == rows(tmp_path / "one")
    assert models(tmp_path / "alone") == models(tmp_path / "one")
    assert len(rows(tmp_path / "one")) == 8
    assert rows(tmp_path / "one") == rows(tmp_path / "two")
    assert models(tmp_path / "one") == models(tmp_path / "two")
    assert trial_bytes(tmp_path / "one", "history.csv") == trial_bytes(
        tmp_path / "two", "history.csv"
    )
    workers = {r["worker"] for r in rows(tmp_path / "two", drop=())}
    assert len(workers) == 2  # both workers ran trials
    assert len({r["worker"] for r in rows(tmp_path / "one", drop=())}) == 1


def test_a_sweep_runs_on_a_dask_cluster_given_by_its_scheduler_address(
    cluster, long_reference, tmp_path
):
    path, reference = long_reference
    out = tmp_path / "s"
    done = fcnn(
        "sweep", str(path), "--scheduler", cluster.address, "--out", str(out), "--no-figures"
    )
    assert done.returncode == 0, done.stderr
    assert f"Dask cluster at {cluster.address} (2 workers now)" in done.stderr
    assert rows(out) == rows(reference)
    assert models(out) == models(reference)
    assert trial_bytes(out, "history.csv") == trial_bytes(reference, "history.csv")
    assert len({r["worker"] for r in rows(out, drop=())}) == 2


def in_progress(out):
    """a trial has sent a checkpoint home and is not finished"""
    runs = (out / "trials").glob("trial-*")
    return any(
        (r / "checkpoint.safetensors").is_file() and not (r / "trial.json").exists() for r in runs
    )


def test_a_worker_killed_mid_sweep_loses_nothing(cluster, long_reference, tmp_path):
    from distributed import Client

    path, reference = long_reference
    out = tmp_path / "s"
    cmd = [
        sys.executable,
        "-m",
        "fcnn",
        "sweep",
        str(path),
        "--scheduler",
        cluster.address,
        "--out",
        str(out),
        "--no-figures",
    ]
    sweep = subprocess.Popen(
        cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        with Client(cluster.address) as client:
            info = client.scheduler_info()["workers"]
            victim, survivor = (
                next(a for a, w in info.items() if w["name"] == n) for n in ("w0", "w1")
            )

            lost: set[str] = set()

            def victim_busy():
                """the worker to be killed is training a trial that has sent a checkpoint"""
                keys = [str(k) for k in client.processing().get(victim, [])]
                names = {k.split("-")[2] for k in keys if k.startswith("fcnn-trial-")}
                lost.clear()
                lost.update(n for n in names if (out / "trials" / f"trial-{n}").is_dir())
                return bool(lost)

            wait_until(victim_busy)
            cluster.workers[0].send_signal(signal.SIGKILL)
        stdout, stderr = sweep.communicate(timeout=240)
    finally:
        if sweep.poll() is None:
            sweep.kill()
    assert sweep.returncode == 0, stderr
    assert cluster.workers[0].wait(timeout=10) == -signal.SIGKILL
    by_trial = {r["trial"]: r for r in rows(out, drop=())}
    # the trial the killed worker was running was run again, to the end, on the other one
    assert {by_trial[f"trial-{n}"]["worker"] for n in lost} == {survivor}
    assert rows(out) == rows(reference)
    assert models(out) == models(reference)
    assert trial_bytes(out, "history.csv") == trial_bytes(reference, "history.csv")


def test_a_killed_sweep_resumes_where_it_stopped_and_ends_as_an_undisturbed_one(
    dask, long_reference, tmp_path
):
    import psutil

    path, reference = long_reference
    out = tmp_path / "s"
    cmd = [
        sys.executable,
        "-m",
        "fcnn",
        "sweep",
        str(path),
        "--workers",
        "2",
        "--out",
        str(out),
        "--no-figures",
    ]
    sweep = subprocess.Popen(cmd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # two trials run side by side and end together; the third starts after them, so
        # once the first two are finished and the third has sent a checkpoint home, the
        # kill lands in the middle of a trial (waiting for "one finished, one in progress"
        # let the second trial finish in the moment before the kill, in one full run)
        trials = out / "trials"
        wait_until(
            lambda: (
                all((trials / t / "trial.json").exists() for t in ("trial-0000", "trial-0001"))
                and in_progress(out)
            )
        )
        children = psutil.Process(sweep.pid).children(recursive=True)
        sweep.send_signal(signal.SIGKILL)
        sweep.wait(timeout=30)
    finally:
        if sweep.poll() is None:
            sweep.kill()
    # the local workers of the killed sweep stop by themselves, before anything runs again
    gone, alive = psutil.wait_procs(children, timeout=30)
    assert not alive and children
    finished = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("trials/*/trial.json")}
    partial = [
        p.parent.name
        for p in out.glob("trials/*/checkpoint.safetensors")
        if p.parent.name not in finished
    ]
    assert finished and partial
    done = fcnn("sweep", "--resume", str(out), "--workers", "2", "--no-figures")
    assert done.returncode == 0, done.stderr
    assert {
        p.parent.name: p.stat().st_mtime_ns
        for p in out.glob("trials/*/trial.json")
        if p.parent.name in finished
    } == finished  # nothing finished ran again
    resumed = [n for n in partial if folder.record(out, trials_by(out)[n])["resumed_from"] > 0]
    assert resumed  # a trial cut short went on from its streamed checkpoint
    assert rows(out) == rows(reference)
    assert models(out) == models(reference)
    assert trial_bytes(out, "history.csv") == trial_bytes(reference, "history.csv")


def trials_by(out):
    spec, _ = folder.reopen(out, None)
    return {t.name: t for t in trials(spec)}


def test_gridsearchcv_on_dask_finds_what_it_finds_on_one_process(dask):
    import joblib
    from distributed import Client
    from sklearn.datasets import make_classification
    from sklearn.model_selection import GridSearchCV

    from fcnn.sklearn import FCNNClassifier

    X, y = make_classification(n_samples=150, n_features=5, n_informative=3, random_state=0)
    grid = {"learning_rate_init": [1e-3, 1e-2, 1e-1], "alpha": [1e-4, 1e-1]}
    est = FCNNClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the short fits
        alone = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y)
        with local_cluster(2) as cl, Client(cl), joblib.parallel_backend("dask"):
            spread = GridSearchCV(est, grid, cv=3).fit(X, y)
    assert spread.best_params_ == alone.best_params_
    np.testing.assert_array_equal(
        spread.cv_results_["mean_test_score"], alone.cv_results_["mean_test_score"]
    )
