"""Issue 14, item 2: labels are read as what they are: integers exactly (any size), text as
text, floats as floats (whole floats past 2^53 as float labels, other non-integers as a
regression target). Each kind goes through train, save, load, evaluate and predict, by the
command and by the library."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest

import fcnn
from fcnn import cli
from fcnn.data.datasets import load_file

KINDS = {
    "int64 past 2^53": ([0, 2**53, 2**53 + 1], [0, 2**53, 2**53 + 1]),
    "past int64": (["1", str(2**64), str(2**70)], [1, 2**64, 2**70]),
    "floats past 2^53": (["1e20", "2e20"], [1e20, 2e20]),
    "text": (["cat", "dog", "emu"], ["cat", "dog", "emu"]),
}


def _csv(path, cells, n=60):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    rows = [[f"{a:.5f}", f"{b:.5f}", cells[i % len(cells)]] for i, (a, b) in enumerate(X)]
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([["x0", "x1", "y"], *rows])
    return path


@pytest.mark.parametrize("kind", KINDS)
def test_each_label_kind_survives_train_save_load_evaluate_predict_by_the_cli(
    tmp_path, capsys, kind
):
    cells, classes = KINDS[kind]
    data = _csv(tmp_path / "d.csv", [str(c) for c in cells])
    run = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow in a cast
        argv = ["train", "--data", data, "--out", run, "--layers", "auto,8,auto"]
        code = cli.main([str(a) for a in [*argv, "--epochs", "3", "--no-figures", "--no-progress"]])
    assert code == 0, capsys.readouterr().err
    assert fcnn.load(run / "model.safetensors").classes == classes
    capsys.readouterr()
    assert cli.main(["evaluate", str(run), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "samples   60" in out and all(str(c) in out for c in classes)
    pred = tmp_path / "p.csv"
    assert cli.main(["predict", str(run), "--data", str(data), "--out", str(pred)]) == 0
    rows = list(csv.DictReader(pred.open()))
    assert set(rows[0]) == {"prediction", *(f"p_{c}" for c in classes)}
    assert {r["prediction"] for r in rows} <= {str(c) for c in classes}


@pytest.mark.parametrize("kind", KINDS)
def test_each_label_kind_survives_the_library_round_trip(tmp_path, kind):
    cells, classes = KINDS[kind]
    ds = load_file(_csv(tmp_path / "d.csv", [str(c) for c in cells]))
    assert ds.classes == classes and len(set(ds.y.tolist())) == len(classes)
    net = fcnn.Network([2, 8, len(classes)], seed=0)
    net.classes = ds.classes
    net.fit(ds.X, ds.y, epochs=2)
    fcnn.save(net, tmp_path / "m.safetensors")
    back = fcnn.load(tmp_path / "m.safetensors")
    assert back.classes == classes
    assert [type(c) for c in back.classes] == [type(c) for c in classes]
    labels = [back.classes[i] for i in back.predict(ds.X)]
    assert set(labels) <= set(classes)


def test_float_labels_with_fractions_are_a_regression_target(tmp_path):
    ds = load_file(_csv(tmp_path / "d.csv", ["0.5", "1.25", "2"]))
    assert ds.classes is None and ds.y.dtype == np.float64
    assert sorted(set(ds.y.tolist())) == [0.5, 1.25, 2.0]


def test_npy_and_npz_integer_labels_are_exact(tmp_path):
    X = np.zeros((6, 2))
    y = np.array([0, 2**53, 2**53 + 1] * 2, dtype=np.int64)
    np.save(tmp_path / "d.npy", np.column_stack([X.astype(np.int64), y]))
    assert load_file(tmp_path / "d.npy").classes == [0, 2**53, 2**53 + 1]
    big = np.array([1, 2**63 + 1, 2**64 - 1] * 2, dtype=np.uint64)
    np.savez(tmp_path / "d.npz", X=X, y=big)
    assert load_file(tmp_path / "d.npz").classes == [1, 2**63 + 1, 2**64 - 1]
