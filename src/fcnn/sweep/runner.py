"""A sweep from start to end, or from where it stopped: :func:`run_sweep`.

The sweep process reads the sweep folder (which trials are finished, which were cut short),
loads each distinct data set once, checks every trial's config against its data, hands the
trials to a backend (``fcnn.sweep.backends``), and writes what comes back: each trial's files
and record, its streamed checkpoints, ``results.csv`` after every trial, and at the end the
summary and the figures. Only this process writes the sweep folder.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from ..data.datasets import Dataset
from ..runs.data import load_data, prepare
from ..storage.atomic import atomic_write_text
from . import folder, results
from .spec import SweepSpec
from .trials import Trial, trials
from .worker import Task


@dataclass
class SweepResult:
    """What :func:`run_sweep` did: ``records`` (trial name -> its record) of every finished
    trial, ``interrupted`` when Ctrl-C stopped it, ``summary`` (the lines of summary.txt)."""

    out: Path
    trials: list[Trial]
    records: dict[str, dict[str, Any]]
    summary: str
    interrupted: bool = False
    files: list[Path] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every trial is finished (``ok`` or ``failed``)."""
        return len(self.records) == len(self.trials)


def run_sweep(
    spec: SweepSpec,
    out: Path,
    meta: dict[str, Any],
    backend: Any,
    *,
    progress: bool = False,
    figures: bool = True,
) -> SweepResult:
    """Run every trial of ``spec`` that the sweep folder ``out`` does not hold finished, on
    ``backend``; continue the ones cut short from their checkpoints. ``meta`` is the folder's
    (``folder.create`` or ``folder.reopen``). KeyboardInterrupt is the caller's to handle:
    everything finished before it is on disk."""
    start = time.perf_counter()
    everything = trials(spec)
    records = {t.name: r for t in everything if (r := folder.record(out, t)) is not None}
    by_name = {t.name: t for t in everything}
    todo = [t for t in everything if t.name not in records]
    tasks, steps = _tasks(spec, meta, out, todo, figures)
    for name, outcome in list(steps.items()):
        if isinstance(outcome, dict):  # its config does not fit its data: failed already
            outcome.update(results.scores(outcome.pop("metric"), spec.mode))
            records[name] = folder.write_trial(out, by_name[name], outcome)
            del steps[name]
    state = _State(spec, out, everything, records, by_name, steps, meta["id"])
    bar = tqdm(
        total=len(everything),
        initial=len(records),
        unit="trial",
        desc="sweep",
        disable=not progress,
        dynamic_ncols=True,
    )
    state.bar = bar
    interrupted = False
    try:
        for outcome in backend.run(tasks, state.on_checkpoint):
            if state.finish(outcome) == "interrupted":
                interrupted = True
                break
    finally:
        bar.close()
        state.write_csv()
    return _finish(state, time.perf_counter() - start, interrupted, figures)


class _State:
    """The sweep process's bookkeeping while trials come back."""

    def __init__(self, spec, out, everything, records, by_name, steps, sweep_id) -> None:
        self.spec, self.out, self.trials, self.records = spec, out, everything, records
        self.by_name, self.steps, self.sweep_id = by_name, steps, sweep_id
        self.bar: Any = None
        self.written = time.monotonic()

    def on_checkpoint(self, message: dict[str, Any]) -> None:
        """Write a streamed checkpoint that is newer than the one on disk (a rescheduled
        trial streams again from its start; any of its checkpoints is a valid state)."""
        name = message.get("trial")
        if message.get("sweep") != self.sweep_id or name in self.records or name not in self.steps:
            return
        if message["step"] > self.steps[name]:
            folder.write_checkpoint(self.out, self.by_name[name], message)
            self.steps[name] = message["step"]

    def finish(self, outcome: dict[str, Any]) -> str:
        """Write a trial's outcome; return its status."""
        trial = self.by_name[outcome["name"]]
        metric = outcome.pop("metric", [])  # the whole curve is in the trial's history.csv
        outcome.update(results.scores(metric, self.spec.mode))
        rec = folder.write_trial(self.out, trial, outcome)
        if rec["status"] in ("ok", "failed"):
            self.records[trial.name] = rec
            self.bar.update(1)
            best = results.best_trial(self.spec, self.trials, self.records)
            if best is not None:
                value = results.final_metric(self.spec, self.records[best.name])
                self.bar.set_postfix_str(f"best {self.spec.metric} {value:.4g} ({best.name})")
            if time.monotonic() - self.written > 1.0:  # at most once a second, and at the end
                self.write_csv()
        return rec["status"]

    def write_csv(self) -> None:
        """results.csv as it stands: every trial, pending ones too."""
        self.written = time.monotonic()
        rows = [results.row(self.spec, t, self.records.get(t.name)) for t in self.trials]
        results.write_csv(self.out, rows)


def _tasks(
    spec: SweepSpec, meta: dict[str, Any], out: Path, todo: list[Trial], figures: bool
) -> tuple[list[Task], dict[str, Any]]:
    """The tasks of the trials ``todo``, and per trial the step of its checkpoint on disk
    (-1: none), or the failed outcome of a trial whose config does not fit its data."""
    cache: dict[str, Dataset] = {}
    tasks, steps = [], {}
    for trial in todo:
        key = json.dumps(trial.config["data"], sort_keys=True)
        if key not in cache:  # a data set that cannot be loaded stops the sweep, by name
            cache[key] = load_data(trial.config)
        try:
            cfg, _ = prepare(trial.config, cache[key])
        except ValueError as exc:
            steps[trial.name] = {
                "name": trial.name,
                "status": "failed",
                "metric": [],
                "epochs": 0,
                "error": f"ValueError: {' '.join(str(exc).split())}",
                "wall_seconds": 0.0,
            }
            continue
        found = folder.partial(out, trial)
        ckpt, config_toml, step = found if found else (None, None, -1)
        steps[trial.name] = step
        tasks.append(
            Task(
                trial.name,
                cfg,
                cache[key],
                spec.metric,
                meta["id"],
                ckpt,
                config_toml,
                figures=figures,
                checkpoint_seconds=spec.checkpoint_seconds,
            )
        )
    return tasks, steps


def _finish(state: _State, seconds: float, interrupted: bool, figures: bool) -> SweepResult:
    spec, out = state.spec, state.out
    text = results.summary(spec, state.trials, state.records, out, seconds)
    atomic_write_text(out / results.SUMMARY, text + "\n")
    files = [out / results.RESULTS, out / results.SUMMARY]
    done = [
        t.name
        for t in state.trials
        if not math.isnan(results.final_metric(spec, state.records.get(t.name)))
    ]
    if figures and done:
        files += results.write_figures(spec, state.trials, state.records, out)
    return SweepResult(out, state.trials, state.records, text, interrupted, files)
