"""Issue 14, item 7: a single-sigmoid model fitted on one class (as scikit-learn's
LabelBinarizer writes it) loads, so ``fcnn evaluate`` and ``fcnn predict`` must work on it."""

from __future__ import annotations

import csv

import pytest
from hostile_helpers import fcnn_cli, small_csv

import fcnn


@pytest.mark.slow
def test_cli_predicts_and_evaluates_a_one_class_sigmoid_model(tmp_path):
    net = fcnn.Network([2, 3, 1], output="sigmoid", seed=0)
    net.params[-1] = 5.0  # the output bias: p > 0.5 for every sample
    net.classes = ["only"]
    model = tmp_path / "one.safetensors"
    fcnn.save(net, model)
    assert fcnn.load(model).classes == ["only"]
    data = small_csv(tmp_path / "d.csv", labels=("only",))
    out = tmp_path / "p.csv"
    done = fcnn_cli("predict", model, "--data", data, "--out", out)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 20 and {r["prediction"] for r in rows} == {"only"}
    assert {float(r["p_only"]) for r in rows} == {1.0}
    done = fcnn_cli("evaluate", model, "--data", data)
    assert done.returncode == 0, done.stderr
    assert "accuracy  1.0000 (20/20)" in done.stdout
