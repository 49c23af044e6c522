"""Issue 14, items 3-4: a model, data or config path naming a FIFO or a device (or a symlink
to one) is refused at once with a message saying what it is; nothing hangs or reads on."""

from __future__ import annotations

import os
import time

import pytest
from hostile_helpers import deadline, fcnn_cli, small_csv, small_model

import fcnn
from fcnn.data.datasets import load_file
from fcnn.runs.config import load_toml
from fcnn.storage import load_checkpoint


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "model.safetensors"
    os.mkfifo(path)
    return path


@pytest.fixture
def zero_link(tmp_path):
    path = tmp_path / "zero.safetensors"
    path.symlink_to("/dev/zero")
    return path


def test_load_refuses_a_fifo_at_once(fifo):
    with deadline(10), pytest.raises(fcnn.ModelFileError, match="FIFO"):
        fcnn.load(fifo)


def test_load_and_load_checkpoint_refuse_a_symlink_to_dev_zero_without_reading_it(zero_link):
    start = time.perf_counter()
    with deadline(10):
        with pytest.raises(fcnn.ModelFileError, match="character device"):
            fcnn.load(zero_link)
        with pytest.raises(fcnn.ModelFileError, match="character device"):
            load_checkpoint(zero_link)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("name", ["data.csv", "data.npy", "data.npz"])
def test_data_loaders_name_a_fifo_as_a_fifo_not_a_missing_file(tmp_path, name):
    path = tmp_path / name
    os.mkfifo(path)
    with deadline(10), pytest.raises(ValueError, match="FIFO") as info:
        load_file(path)
    assert "no such file" not in str(info.value)


def test_config_loader_names_a_fifo_and_a_device(tmp_path):
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    link = tmp_path / "zero.toml"
    link.symlink_to("/dev/zero")
    with deadline(10):
        with pytest.raises(ValueError, match="FIFO"):
            load_toml(fifo)
        with pytest.raises(ValueError, match="character device"):
            load_toml(link)


@pytest.mark.slow
def test_cli_evaluate_predict_and_train_refuse_fifos_in_one_line(tmp_path, fifo):
    data = small_csv(tmp_path / "d.csv")
    model = small_model(tmp_path / "good.safetensors")
    cases = [
        ("evaluate", fifo, "--data", data),
        ("predict", fifo, "--data", data, "--out", tmp_path / "p.csv"),
        ("evaluate", model, "--data", fifo),
        ("predict", model, "--data", fifo, "--out", tmp_path / "p.csv"),
        ("train", "--config", fifo, "--out", tmp_path / "run"),
        ("train", "--data", fifo, "--out", tmp_path / "run2"),
    ]
    for argv in cases:
        done = fcnn_cli(*argv, timeout=10)
        assert done.returncode == 2, (argv, done.stderr)
        assert "FIFO" in done.stderr and "no such file" not in done.stderr, (argv, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
