"""Files written before the redesign still work: a model file, finished run folders and runs
stopped mid-way with their checkpoints, all written by fcnn 0.1 at commit 61259a9
(``tests/fixtures/v0.1/make_fixtures.py``, run with that commit's code)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import fcnn
from fcnn.runs import resume_run

V01 = Path(__file__).parent / "fixtures" / "v0.1"


def test_a_model_file_of_fcnn_0_1_loads_and_predicts_what_it_predicted():
    net = fcnn.load(V01 / "model.safetensors")
    assert net.classes == ["cat", "dog", "eel"]
    assert net.sizes == (3, 5, 4, 3) and net.activations == ("tanh", "relu")
    X = np.load(V01 / "model_inputs.npy")
    np.testing.assert_array_equal(net.forward(net.standardize(X)), np.load(V01 / "model_proba.npy"))


@pytest.mark.parametrize("case", ["seed000", "seed002"])
def test_a_run_stopped_by_fcnn_0_1_resumes_bit_identical_to_its_uninterrupted_run(tmp_path, case):
    run = tmp_path / case
    shutil.copytree(V01 / f"{case}_stopped", run)
    resume_run(run, progress=False, figures=False)
    done = fcnn.load(run / "model.safetensors")
    expected = fcnn.load(V01 / f"{case}_finished" / "model.safetensors")
    assert np.array_equal(done.params, expected.params)
    folders = (run, V01 / f"{case}_finished")
    got, want = (np.genfromtxt(f / "history.csv", delimiter=",", names=True) for f in folders)
    assert set(want.dtype.names) <= set(got.dtype.names)  # and the per-sample columns
    for name in want.dtype.names:
        # the compiled softmax/cross-entropy step now sums the loss in the readable path's
        # order (0.1 summed it as one dot): equal to rounding, the parameters to the bit
        np.testing.assert_allclose(got[name], want[name], rtol=1e-13, err_msg=name)


@pytest.mark.parametrize("case", ["seed000", "seed002"])
def test_a_finished_run_of_fcnn_0_1_extends_from_its_checkpoint(tmp_path, case):
    run = tmp_path / case
    shutil.copytree(V01 / f"{case}_finished", run)
    before = fcnn.load(run / "model.safetensors")
    result = resume_run(run, progress=False, figures=False, epochs=50)
    assert result.history.epoch[-1] == 50
    assert not np.array_equal(fcnn.load(run / "model.safetensors").params, before.params)
