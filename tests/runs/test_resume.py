"""Tests for fcnn.runs.resume_run: a run stopped anywhere (Ctrl-C, SIGTERM, a crash, kill -9)
and resumed ends bit-identical to the same run left alone, and resuming refuses what it cannot
do (a finished run, a corrupt checkpoint, an edited config, changed data) with a clear error.

The reference is always an uninterrupted run of the same config; "bit-identical" is checked on
the model file's tensors, read back with safetensors itself, and on history.csv's bytes.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
import tomli_w

import fcnn
from fcnn import runs, storage
from fcnn.train import Callback

STEPS_PER_EPOCH = 4  # 60 samples in batches of 16: 16, 16, 16 and a partial 12


def config(**training) -> dict:
    return {
        "data": {"options": {"n_samples": 60}},
        "network": {"layers": [2, 5, 2]},
        "training": {
            "optimizer": "sgd",
            "batch_size": 16,
            "lr": 0.2,
            "epochs": 5,
            "record_params": False,
            **training,
        },
    }


CONFIGS = {
    "gd_full_batch": config(optimizer="gd", batch_size=0, epochs=16),
    "sgd_shuffle_partial_batch": config(),
    "adam": config(optimizer="adam", lr=0.05),
    "momentum": config(optimizer="momentum", lr=0.1),
    "record_params": config(record_params=True),
    "early_stopping_restores_at_the_end": {
        **config(lr=0.5, epochs=12, early_stopping=True, patience=100),
        "data": {
            "dataset": "moons",
            "options": {"n_samples": 60, "noise": 0.3},
            "val_split": 0.25,
            "standardize": True,
        },
    },
    "val_split_early_stopping_standardize": {
        **config(lr=0.5, epochs=40, early_stopping=True, patience=3),
        "data": {
            "dataset": "moons",
            "options": {"n_samples": 60, "noise": 0.3},
            "val_split": 0.25,
            "standardize": True,
        },
    },
}


class StepHook(Callback):
    """Calls ``fn(trainer)`` after the ``at``-th optimiser step of this call to run."""

    def __init__(self, at: int, fn) -> None:
        self.at, self.fn, self.n = at, fn, 0

    def on_step_end(self, trainer) -> None:
        self.n += 1
        if self.n == self.at:
            self.fn(trainer)


class Crash(Exception):
    """Stands for kill -9: the process ends between two steps, with no clean-up."""


def crash(trainer) -> None:
    raise Crash


def send_sigint(trainer) -> None:
    signal.raise_signal(signal.SIGINT)


def send_sigterm(trainer) -> None:
    signal.raise_signal(signal.SIGTERM)


def request_stop(trainer) -> None:
    trainer.request_stop()


def start(cfg: dict, out: Path, **kwargs) -> runs.RunResult:
    return runs.start_run(cfg, out, progress=False, figures=False, **kwargs)


def resume(out: Path, **kwargs) -> runs.RunResult:
    return runs.resume_run(out, progress=False, figures=False, **kwargs)


def outcome(out: Path) -> tuple[dict[str, bytes], bytes]:
    """The model's tensors, as safetensors reads them, and history.csv's bytes."""
    tensors = safetensors.numpy.load_file(out / "model.safetensors")
    return {k: v.tobytes() for k, v in tensors.items()}, (out / "history.csv").read_bytes()


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """Each config's uninterrupted run: (folder, total optimiser steps)."""
    root = tmp_path_factory.mktemp("references")
    found = {}
    for name, cfg in CONFIGS.items():
        result = start(cfg, root / name)
        found[name] = (root / name, result.summary["steps"])
    return found


def test_the_early_stopping_config_does_stop_early(references):
    folder, _ = references["val_split_early_stopping_standardize"]
    _, meta = storage.load_checkpoint(folder / "checkpoint.safetensors")
    assert meta["trainer"]["history"]["stopped_early"]
    assert meta["trainer"]["epoch"] < 40


@pytest.mark.parametrize("how", ["sigint", "crash"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_stopped_anywhere_and_resumed_is_bit_identical(references, tmp_path, name, how):
    ref, total = references[name]
    # the first step, an epoch boundary, the middle and the last step but one
    stops = sorted({1, STEPS_PER_EPOCH, total // 2, total - 1})
    for at in stops:
        out = tmp_path / f"stop{at}"
        cfg = json.loads(json.dumps(CONFIGS[name]))
        if how == "sigint":
            result = start(cfg, out, callbacks=[StepHook(at, send_sigint)])
            assert result.interrupted and result.summary["steps"] == at
            assert not (out / "model.safetensors").exists()
        else:
            cfg["training"]["checkpoint_every"] = 3  # resumes from the last multiple of 3
            with pytest.raises(Crash):
                start(cfg, out, callbacks=[StepHook(at, crash)])
            _, meta = storage.load_checkpoint(out / "checkpoint.safetensors")
            assert meta["trainer"]["step"] == at // 3 * 3
        result = resume(out)
        assert not result.interrupted and result.summary["steps"] == total
        assert outcome(out) == outcome(ref), f"{name}: stopped by {how} at step {at}"


class EpochBeginHook(Callback):
    """Makes the ``at``-th epoch this call to run begins call ``fn(trainer)`` right after it
    drew its shuffle: a signal landing between the end of one epoch and the first step of the
    next (found by the killed-process test below: SIGINT exactly at an epoch boundary)."""

    def __init__(self, at: int, fn) -> None:
        self.at, self.fn, self.n = at, fn, 0

    def on_train_begin(self, trainer) -> None:
        begin = trainer._begin_epoch

        def hooked():
            begin()
            self.n += 1
            if self.n == self.at:
                self.fn(trainer)

        trainer._begin_epoch = hooked


@pytest.mark.parametrize("fn", [send_sigint, request_stop], ids=["sigint", "request_stop"])
@pytest.mark.parametrize("at", [1, 2])
def test_a_stop_as_an_epoch_begins_resumes_bit_identical(references, tmp_path, fn, at):
    ref, total = references["sgd_shuffle_partial_batch"]
    out = tmp_path / "run"
    result = start(CONFIGS["sgd_shuffle_partial_batch"], out, callbacks=[EpochBeginHook(at, fn)])
    assert result.interrupted
    # the epoch that began (and drew its shuffle) makes its first step before stopping
    assert result.summary["steps"] == (at - 1) * STEPS_PER_EPOCH + 1
    result = resume(out)
    assert result.summary["steps"] == total
    assert outcome(out) == outcome(ref)


def test_many_interruptions_in_a_row_still_end_bit_identical(references, tmp_path):
    ref, total = references["adam"]
    out = tmp_path / "run"
    cfg = {**CONFIGS["adam"], "training": {**CONFIGS["adam"]["training"], "checkpoint_every": 2}}
    assert start(cfg, out, callbacks=[StepHook(3, send_sigterm)]).interrupted
    with pytest.raises(Crash):
        resume(out, callbacks=[StepHook(4, crash)])  # after step 7; the checkpoint holds 6
    assert resume(out, callbacks=[StepHook(5, request_stop)]).interrupted  # at step 11
    assert resume(out, callbacks=[StepHook(1, send_sigint)]).summary["steps"] == 12
    result = resume(out)
    assert result.summary["steps"] == total
    assert outcome(out) == outcome(ref)


def test_a_second_signal_stops_at_once_and_the_last_checkpoint_still_resumes(references, tmp_path):
    ref, _ = references["momentum"]
    out = tmp_path / "run"
    cfg = {**CONFIGS["momentum"]}
    cfg["training"] = {**cfg["training"], "checkpoint_every": 5}

    def twice(trainer):
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        start(cfg, out, callbacks=[StepHook(7, twice)])
    resume(out)
    assert outcome(out) == outcome(ref)


# --------------------------------------------------------------------------- what resume says


def test_resuming_a_finished_run_says_it_is_finished(references):
    ref, _ = references["sgd_shuffle_partial_batch"]
    with pytest.raises(ValueError, match=r"already finished: 5 epochs.*--epochs"):
        resume(ref)


def test_a_finished_run_extended_by_epochs_equals_the_longer_run(references, tmp_path):
    out = tmp_path / "run"
    start(CONFIGS["momentum"], out)
    result = resume(out, epochs=8)
    longer = start(config(optimizer="momentum", lr=0.1, epochs=8), tmp_path / "longer")
    assert result.summary["epochs"] == 8
    assert result.net.params.tobytes() == longer.net.params.tobytes()
    assert outcome(out) == outcome(tmp_path / "longer")


@pytest.mark.slow
def test_an_extension_past_the_record_budget_drops_the_partial_trajectory(tmp_path, monkeypatch):
    # record_params = "auto" with a budget that 5 epochs fit (20 updates and the initial copy
    # of 22 float64 parameters: 3696 bytes) and 10 do not (7216): the extended run records
    # nothing, as the 10-epoch run does, and its parameters.png of the first 5 epochs is gone
    monkeypatch.setattr(runs.start, "RECORD_PARAMS_AUTO_BYTES", 4000)
    cfg = config(record_params="auto")
    cfg["network"]["layers"] = [2, 4, 2]
    out = tmp_path / "run"
    first = runs.start_run(cfg, out, progress=False)
    assert len(first.history.params) == 21 and (out / "parameters.png").exists()
    result = runs.resume_run(out, progress=False, epochs=10)
    assert result.history.params == [] and not (out / "parameters.png").exists()
    assert (out / "loss.png").exists() and (out / "data.png").exists()
    saved = safetensors.numpy.load_file(out / "checkpoint.safetensors")
    assert "history.params" not in saved
    longer = {**cfg, "training": {**cfg["training"], "epochs": 10}}
    start(longer, tmp_path / "longer")
    assert outcome(out) == outcome(tmp_path / "longer")


def test_a_run_that_ended_on_its_best_epoch_extends_from_its_last_one(references, tmp_path):
    # early stopping never fired (patience 100), so the finished run's model is its best
    # epoch's (7 of 8); extended to 12 epochs it trains on from epoch 8's parameters, which the
    # checkpoint kept, and ends as the 12-epoch run does
    short = json.loads(json.dumps(CONFIGS["early_stopping_restores_at_the_end"]))
    short["training"]["epochs"] = 8
    out = tmp_path / "run"
    first = start(short, out)
    assert first.summary["restored_best"] and first.summary["best_epoch"] == 7
    assert not first.summary.get("stopped_early")
    result = resume(out, epochs=np.int64(12))
    ref, _ = references["early_stopping_restores_at_the_end"]
    assert result.summary["epochs"] == 12
    assert outcome(out) == outcome(ref)


def test_a_run_stopped_at_an_epoch_end_and_resumed_with_those_epochs_ends_on_its_best(
    references, tmp_path
):
    # stopped after epoch 8 of 12, then resumed with --epochs 8: it ends as an 8-epoch run
    # does, on its best epoch's weights
    cfg = json.loads(json.dumps(CONFIGS["early_stopping_restores_at_the_end"]))
    out = tmp_path / "run"
    stop = StepHook(8 * 3, request_stop)  # 45 training rows in batches of 16: 3 a epoch
    assert start(cfg, out, callbacks=[stop]).interrupted
    result = resume(out, epochs=8)
    cfg["training"]["epochs"] = 8
    straight = start(cfg, tmp_path / "straight")
    assert result.history.restored_best and result.summary["best_epoch"] == 7
    assert outcome(out) == outcome(tmp_path / "straight") and straight.history.restored_best
    # mid-epoch, the epoch in progress counts
    out2 = tmp_path / "mid"
    assert start(cfg, out2, callbacks=[StepHook(5, request_stop)]).interrupted
    with pytest.raises(ValueError, match="at least 2 .*the one in progress"):
        resume(out2, epochs=1)


def test_a_finished_early_stopped_run_is_not_told_to_train_longer(references):
    ref, _ = references["val_split_early_stopping_standardize"]
    with pytest.raises(ValueError, match="already finished.*start a new run") as err:
        resume(ref)
    assert "--epochs" not in str(err.value)


def test_an_early_stopped_run_cannot_be_extended(references):
    ref, _ = references["val_split_early_stopping_standardize"]
    with pytest.raises(ValueError, match="early stopping"):
        resume(ref, epochs=100)


def test_outputs_lost_after_the_final_checkpoint_are_written_on_resume(references, tmp_path):
    ref, _ = references["record_params"]
    out = tmp_path / "run"
    start(CONFIGS["record_params"], out)
    (out / "model.safetensors").unlink()
    (out / "history.csv").unlink()
    (out / ".checkpoint.abc123.tmp.safetensors").write_bytes(b"half a write")
    result = resume(out)
    assert not result.interrupted
    assert outcome(out) == outcome(ref)
    assert not (out / ".checkpoint.abc123.tmp.safetensors").exists()


def test_corrupt_truncated_missing_or_foreign_checkpoints_give_model_file_error(
    references, tmp_path
):
    ref, _ = references["sgd_shuffle_partial_batch"]
    data = (ref / "checkpoint.safetensors").read_bytes()
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.toml").write_bytes((ref / "config.toml").read_bytes())
    header = 8 + int.from_bytes(data[:8], "little")
    flipped = bytearray(data)
    flipped[header + 3] ^= 0x10  # one bit of the tensor data: safetensors itself cannot tell
    cases = {
        "do not match their SHA-256": bytes(flipped),
        "bad checkpoint file": data[: len(data) // 2],
        "not an fcnn checkpoint file": (ref / "model.safetensors").read_bytes(),
    }
    for message, content in cases.items():
        (out / "checkpoint.safetensors").write_bytes(content)
        with pytest.raises(fcnn.ModelFileError, match=message):
            resume(out)
    (out / "checkpoint.safetensors").unlink()
    with pytest.raises(fcnn.ModelFileError, match="has no checkpoint.safetensors.*--force"):
        resume(out)
    # an empty folder: the advice does not name a config.toml that is not there
    (out.parent / "empty").mkdir()
    with pytest.raises(fcnn.ModelFileError, match="start a run there with fcnn train --out"):
        resume(out.parent / "empty")


def test_an_edited_config_toml_is_refused_with_the_key_that_changed(tmp_path):
    out = tmp_path / "run"
    start(CONFIGS["adam"], out, callbacks=[StepHook(2, request_stop)])
    text = (out / "config.toml").read_text()
    (out / "config.toml").write_text(text.replace("lr = 0.05", "lr = 0.5"))
    with pytest.raises(ValueError, match=r"training\.lr is 0\.5, the checkpoint's is 0\.05"):
        resume(out)


def test_changed_data_are_refused(tmp_path):
    path = tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 2)), [0, 1] * 10
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", fmt="%.17g")
    cfg = config()
    cfg["data"] = {"file": str(path)}
    out = tmp_path / "run"
    start(cfg, out, callbacks=[StepHook(1, request_stop)])
    np.savetxt(path, np.column_stack([X + 1e-9, y]), delimiter=",", fmt="%.17g")
    with pytest.raises(ValueError, match="data .* have changed"):
        resume(out)


# --------------------------------------------------------------------- real processes, killed
# ``fcnn train`` in a child process, stopped by a real signal at a random step (seeded): kill -9
# (no clean-up at all: it resumes from the last checkpoint) or Ctrl-C (exit code 130).

# 150 samples in batches of 15 for 15 epochs: 150 steps, each followed by a checkpoint
KILLED = {
    "data": {"options": {"n_samples": 150}},
    "network": {"layers": [2, 8, 2]},
    "training": {
        "optimizer": "adam",
        "lr": 0.01,
        "batch_size": 15,
        "epochs": 15,
        "record_params": False,
        "checkpoint_every": 1,
    },
}
KILLED_STEPS = 150


def checkpoint_step(path: Path) -> int | None:
    try:
        return storage.load_checkpoint(path)[1]["trainer"]["step"]
    except fcnn.ModelFileError:
        return None


def launch_and_stop(out: Path, sig: int, target: int, delay: float) -> tuple[int | None, str]:
    """Start ``fcnn train`` in a process, send ``sig`` once its checkpoint reaches step ``target``
    (and ``delay`` seconds more); return its exit code (None if it finished first) and
    what it wrote to stderr."""
    config_file = out.parent / f"{out.name}.toml"
    config_file.write_text(tomli_w.dumps(KILLED))
    train = ["train", "--config", str(config_file), "--out", str(out), "--no-progress"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fcnn", *train, "--no-figures"],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    try:
        while (checkpoint_step(out / "checkpoint.safetensors") or 0) < target:
            if proc.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.002)
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return (None if finished else proc.returncode), err


@pytest.fixture(scope="module")
def killed_reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("killed") / "ref"
    cfg = {**KILLED, "training": {**KILLED["training"], "checkpoint_every": 0}}
    assert start(cfg, out).summary["steps"] == KILLED_STEPS
    return out


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_a_killed_training_process_resumes_bit_identical(killed_reference, tmp_path, sig):
    rng = np.random.default_rng(2024 + sig)
    points = 3 if sig == signal.SIGKILL else 2
    for point in range(points):
        for attempt in range(4):  # a process that finished before the signal is tried again
            out = tmp_path / f"p{point}a{attempt}"
            target = int(rng.integers(5, KILLED_STEPS * 2 // 3 // (attempt + 1)))
            code, err = launch_and_stop(out, sig, target, float(rng.uniform(0, 0.02)))
            if code is not None:
                break
        else:
            pytest.fail("the training process finished before every signal")
        assert code == (-signal.SIGKILL if sig == signal.SIGKILL else 130), err
        step = checkpoint_step(out / "checkpoint.safetensors")
        assert step is not None and 0 < step < KILLED_STEPS
        result = resume(out)
        assert result.summary["steps"] == KILLED_STEPS
        assert outcome(out) == outcome(killed_reference), f"{sig!r} after step {step}"
        assert not [p.name for p in out.iterdir() if ".tmp" in p.name]
