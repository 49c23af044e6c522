"""A sweep in one process (the backend without Dask): the sweep folder, failed trials, resume,
and the command's errors. The Dask tests are in test_sweep_dask.py."""

from __future__ import annotations

import argparse
import csv
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sweep_helpers import (
    TINY,
    env,
    fcnn,
    models,
    rows,
    trial_bytes,
    write,  # noqa: F401 - fixtures
)

from fcnn import load
from fcnn.cli import build_parser, main
from fcnn.sweep import SerialBackend, folder, run_sweep
from fcnn.sweep import load as load_spec
from fcnn.sweep.trials import trials


def start(path: Path, out: Path, backend=None, **kwargs):
    spec = folder.absolute_data(load_spec(path), os.getcwd())
    meta = folder.create(out, path, len(trials(spec)))
    return run_sweep(spec, out, meta, backend or SerialBackend(), **kwargs)


def resume(out: Path, backend=None, **kwargs):
    spec, meta = folder.reopen(out, None)
    return run_sweep(spec, out, meta, backend or SerialBackend(), **kwargs)


@pytest.mark.slow
def test_a_sweep_writes_one_row_per_trial_and_ordinary_run_folders(write, tmp_path, capsys):
    out = tmp_path / "s"
    result = start(write(TINY), out)
    assert result.complete and not result.interrupted
    table = rows(out, drop=())
    assert [r["trial"] for r in table] == ["trial-0000", "trial-0001", "trial-0002", "trial-0003"]
    assert [r["training.lr"] for r in table] == ["0.05", "0.05", "0.5", "0.5"]
    assert {r["status"] for r in table} == {"ok"} and {r["epochs"] for r in table} == {"40"}
    assert {"sweep.toml", "results.csv", "summary.txt", "metric.png", "seeds.png"} <= {
        p.name for p in out.iterdir()
    }
    # each trial is a run folder: its model loads, fcnn evaluate reads it, and the final
    # accuracy in results.csv is the last row of its history.csv
    for r in table:
        run = out / "trials" / r["trial"]
        assert load(run / "model.safetensors").sizes == (2, 4, 2)
        with open(run / "history.csv") as f:
            assert float(list(csv.DictReader(f))[-1]["accuracy"]) == float(r["final_accuracy"])
    assert main(["evaluate", str(out / "trials" / "trial-0003")]) == 0
    assert "accuracy" in capsys.readouterr().out
    assert main(["train", "--resume", str(out / "trials" / "trial-0003"), "--epochs", "45"]) == 0
    assert re.search(r"^epochs +45 in", capsys.readouterr().out, re.M)
    assert main(["report", str(out / "trials" / "trial-0003")]) == 0
    assert (out / "trials" / "trial-0003" / "report.html").is_file()
    # the best trial named in the summary has the highest final accuracy of the table
    best = max(table, key=lambda r: float(r["final_accuracy"]))
    assert f"best trial    {best['trial']}" in (out / "summary.txt").read_text()


@pytest.mark.slow
def test_a_failing_trial_is_recorded_with_its_error_and_the_sweep_goes_on(write, tmp_path):
    head = TINY[: TINY.index("[sweep]")].replace(
        "[network]\n", '[network]\nactivation = "identity"\n'
    )
    text = (
        head
        + """
[sweep]
metric = "accuracy"

[sweep.grid]
"network.layers" = [[2, 4, 2], [3, 4, 2]]
"training.lr" = [0.5, 1e4]
"""
    )
    out = tmp_path / "s"
    result = start(write(text), out)
    table = {(r["network.layers"], r["training.lr"]): r for r in rows(out)}
    assert result.complete and len(table) == 4
    assert table[("[2, 4, 2]", "0.5")]["status"] == "ok"
    diverged = table[("[2, 4, 2]", "10000.0")]
    assert diverged["status"] == "failed" and diverged["error"].startswith("DivergenceError")
    assert (out / "trials" / "trial-0001" / "checkpoint.safetensors").is_file()
    for lr in ("0.5", "10000.0"):  # a point that does not fit the data: 3 inputs for 2 features
        bad = table[("[3, 4, 2]", lr)]
        assert bad["status"] == "failed" and "starts with 3 inputs" in bad["error"]
    assert "failed        trial-0001, trial-0002, trial-0003" in result.summary


@pytest.mark.slow
def test_resume_reruns_nothing_that_finished(write, tmp_path):
    out = tmp_path / "s"
    start(write(TINY), out)
    stamps = {p: p.stat().st_mtime_ns for p in (out / "trials").rglob("*")}
    before = rows(out, drop=())
    result = resume(out)
    assert result.complete
    assert {p: p.stat().st_mtime_ns for p in (out / "trials").rglob("*")} == stamps
    assert rows(out, drop=()) == before


class _CtrlCAfterFirstCheckpoint(SerialBackend):
    """The one-process backend, with a real SIGINT sent to this process once the first trial
    has streamed a checkpoint home: Ctrl-C in the middle of a trial."""

    def run(self, tasks, on_checkpoint):
        def interrupt(message):
            on_checkpoint(message)
            os.kill(os.getpid(), signal.SIGINT)

        yield from super().run(tasks[:1], interrupt)


@pytest.mark.slow
def test_a_trial_cut_short_continues_from_its_checkpoint_bit_for_bit(write, tmp_path):
    text = TINY.replace("epochs = 40", "epochs = 400\nbatch_size = 4")
    text = text.replace("checkpoint_seconds = 0.1", "checkpoint_seconds = 0.05")
    path = write(text)
    whole = tmp_path / "whole"
    start(path, whole, figures=False)
    cut = tmp_path / "cut"
    result = start(path, cut, _CtrlCAfterFirstCheckpoint(), figures=False)
    assert result.interrupted and not result.records
    first = cut / "trials" / "trial-0000"
    assert (first / "checkpoint.safetensors").is_file() and not (first / "trial.json").exists()
    result = resume(cut, figures=False)
    assert result.complete
    assert result.records["trial-0000"]["resumed_from"] > 0
    assert rows(cut) == rows(whole)
    assert models(cut) == models(whole) and len(models(cut)) == 4
    assert trial_bytes(cut, "history.csv") == trial_bytes(whole, "history.csv")


@pytest.mark.slow
def test_without_dask_the_command_runs_in_one_process_and_says_how_to_get_workers(write, tmp_path):
    out = tmp_path / "s"
    code = (
        "import sys; sys.modules['distributed'] = None\n"  # as if Dask were not installed
        "from fcnn.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    args = [str(write(TINY)), "--out", str(out), "--no-figures"]
    done = subprocess.run(
        [sys.executable, "-c", code, "sweep", *args],
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Dask is not installed; pip install 'fcnn[sweep]'" in done.stderr
    assert [r["status"] for r in rows(out)] == ["ok"] * 4
    assert done.stdout.startswith("trials        4 of 4 finished, 0 failed")


@pytest.mark.slow
def test_the_command_refuses_bad_input_in_one_line(write, tmp_path):
    sweep = write(TINY)
    bad = write(TINY.replace("metric =", "metrc ="), "bad.toml")
    done = fcnn("sweep", str(bad), "--out", str(tmp_path / "x"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "unknown key 'metrc' in [sweep]; did you mean 'metric'?" in done.stderr
    assert not (tmp_path / "x").exists()
    out = tmp_path / "s"
    start(sweep, out, figures=False)
    other = write(TINY.replace("seeds = 2", "seeds = 3"), "other.toml")
    for args, message in [
        (["sweep", str(other), "--resume", str(out)], "is not the sweep file"),
        (["sweep", "--resume", str(out), "--out", "x"], "drop --out"),
        (["sweep", "--resume", str(tmp_path)], "is not a sweep folder"),
        (["sweep", str(sweep), "--out", str(out)], "fcnn sweep --resume"),
        (["sweep"], "give a sweep file"),
        (["sweep", str(sweep), "--workers", "0"], "--workers 0"),
        # a thousand local workers once flooded the terminal with Dask's warnings and died
        (["sweep", str(sweep), "--workers", "100000"], "per core of the"),
        (["sweep", str(sweep), "--scheduler", "bogus"], "is not a Dask scheduler address"),
    ]:
        done = fcnn(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr and done.stderr.startswith("fcnn: error: ")
    assert fcnn("sweep", str(sweep), "--resume", str(out)).returncode == 0  # the same file


@pytest.mark.slow
def test_a_sweep_folder_in_use_by_another_sweep_is_refused(write, tmp_path):
    out = tmp_path / "s"
    start(write(TINY), out, figures=False)
    with folder.locked(out):
        done = fcnn("sweep", "--resume", str(out))
    assert done.returncode == 2
    assert f"another fcnn sweep (pid {os.getpid()}) is working in {out}" in done.stderr


def test_the_figures_show_the_metric_on_a_log_axis_where_values_span_decades():
    from fcnn.plots.sweep import metric_vs_params, seed_spread

    points = [
        {"training.lr": lr, "network.activation": a}
        for lr in (1e-4, 1e-2, 1.0)
        for a in ("tanh", "relu")
    ]
    values = [0.5, 0.6, 0.9, math.nan, 1.0, 0.95]
    fig = metric_vs_params(points, values, ["training.lr", "network.activation"], "accuracy")
    lr_ax, act_ax = fig.axes
    assert lr_ax.get_xscale() == "log" and act_ax.get_xscale() == "linear"
    assert [t.get_text() for t in act_ax.get_xticklabels()] == ["tanh", "relu"]
    fig = seed_spread(points, values, [0, 0, 1, 1, 2, 2], ["training.lr"], "accuracy")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["0.0001", "0.01", "1"]
    with pytest.raises(ValueError, match="pair up"):
        metric_vs_params(points, values[:2], ["training.lr"], "accuracy")


def test_a_trial_never_reads_the_data_file_itself_the_data_travel_with_it(tmp_path):
    from fcnn.runs import config
    from fcnn.runs.data import load_data
    from fcnn.sweep.worker import Task, run_trial

    data = tmp_path / "points.csv"
    data.write_text("a,b,label\n" + "".join(f"{i % 7},{i % 5},{'xy'[i % 2]}\n" for i in range(40)))
    cfg = config.resolve(None, {"data": {"file": str(data)}, "training": {"epochs": 5}})
    cfg["network"]["layers"] = ["auto", 3, "auto"]
    ds = load_data(cfg)
    data.unlink()  # as on a worker of another machine
    outcome = run_trial(Task("trial-0000", cfg, ds, "loss", "id", figures=False), send=None)
    assert outcome["status"] == "ok", outcome["error"]
    assert outcome["epochs"] == 5 and len(outcome["metric"]) == 5
    assert {"config.toml", "checkpoint.safetensors", "history.csv", "model.safetensors"} == set(
        outcome["files"]
    )
    assert str(data).encode() in outcome["files"]["config.toml"]  # the run still names it


def test_a_random_sweep_runs_the_points_its_seed_draws(write, tmp_path):
    from fcnn.sweep.trials import points

    head = TINY[: TINY.index("[sweep]")]
    path = write(
        head + "[sweep]\nseed = 5\n[sweep.random]\nn_trials = 3\n"
        '"training.lr" = {log_uniform = [1e-3, 1.0]}\n'
        '"network.activation" = {choice = ["tanh", "relu"]}\n'
    )
    out = tmp_path / "s"
    start(path, out, figures=False)
    drawn = points(load_spec(path))
    table = rows(out)
    assert [float(r["training.lr"]) for r in table] == [p["training.lr"] for p in drawn]
    assert [r["network.activation"] for r in table] == [p["network.activation"] for p in drawn]
    assert all(r["status"] == "ok" for r in table)


def test_the_progress_bar_counts_trials_and_shows_the_best_metric_so_far(write, tmp_path, capsys):
    start(write(TINY), tmp_path / "s", progress=True, figures=False)
    bar = capsys.readouterr().err
    best = max(rows(tmp_path / "s"), key=lambda r: float(r["final_accuracy"]))
    assert "4/4" in bar
    assert f"best accuracy {float(best['final_accuracy']):.4g} ({best['trial']})" in bar


def test_sweep_help_documents_every_option_with_its_default(capsys):
    assert main(["sweep", "--help"]) == 0
    text = capsys.readouterr().out
    (parser,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    for action in parser.choices["sweep"]._actions:
        if action.dest == "help":
            continue
        for option in action.option_strings or [action.metavar]:
            assert option in text
        if action.option_strings:
            assert "(default" in action.help, action.dest
    assert main(["--help"]) == 0 and "fcnn sweep examples/sweep-seed000.toml" in (
        capsys.readouterr().out
    )


def test_a_trial_folder_another_process_works_in_is_not_written_into(write, tmp_path):
    from fcnn.errors import FCNNError
    from fcnn.runs.lock import hold

    path, out = write(TINY), tmp_path / "s"
    spec = folder.absolute_data(load_spec(path), os.getcwd())
    meta = folder.create(out, path, len(trials(spec)))
    busy = out / "trials" / "trial-0000"
    with hold(busy, create=True), pytest.raises(FCNNError, match="is in use by process"):
        run_sweep(spec, out, meta, SerialBackend(), figures=False)
    assert not (busy / "model.safetensors").exists()
    assert resume(out, figures=False).complete  # once it is free, the sweep goes on
