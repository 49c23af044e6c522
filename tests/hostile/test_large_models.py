"""Issue 14, item 6: a valid 200 MB model ([2, 5e6, 2]) loads without copying more than it
must (peak RSS of the load <= 1.5x the file), and forward, loss, ``fcnn evaluate`` and ``fcnn
predict`` work in batches with bounded memory whatever the data size."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hostile_helpers import SRC

import fcnn
from fcnn import batched

ENV = os.environ | {"PYTHONPATH": str(SRC)}

_MEASURE = """
import resource, sys
import numpy as np
import fcnn
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
net = fcnn.load(sys.argv[1])
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024)
"""


@pytest.fixture(scope="module")
def big_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.safetensors"
    net = fcnn.Network([2, 5_000_000, 2], seed=0)
    net.classes = [0, 1]
    fcnn.save(net, path)
    return path, net


@pytest.mark.slow
def test_loading_a_200_mb_model_peaks_below_1_5x_its_size(big_model):
    path, net = big_model
    size = path.stat().st_size
    assert size > 190 * 10**6
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True,
                          text=True, env=ENV, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) <= 1.5 * size, f"{int(done.stdout) / size:.2f}x the file size"
    assert np.array_equal(fcnn.load(path).params, net.params)


@pytest.mark.slow
def test_cli_evaluate_and_predict_on_the_200_mb_model_stay_under_1_gb(big_model, tmp_path):
    path, _ = big_model
    rng = np.random.default_rng(0)
    data = tmp_path / "d.csv"
    rows = "".join(
        f"{a:.4f},{b:.4f},{i % 2}\n" for i, (a, b) in enumerate(rng.normal(size=(200, 2)))
    )
    data.write_text("x0,x1,y\n" + rows)
    for argv in (["evaluate", path, "--data", data],
                 ["predict", path, "--data", data, "--out", tmp_path / "p.csv"]):  # fmt: skip
        done = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "fcnn",
                               *map(str, argv)], capture_output=True, text=True, env=ENV,
                              timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
        peak_kib = int(done.stderr.strip().splitlines()[-1])
        assert peak_kib < 2**20, f"{argv[0]}: {peak_kib / 2**10:.0f} MiB"


def test_batched_forward_logits_and_loss_equal_the_whole_batch(monkeypatch):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(500, 3)), rng.integers(0, 4, 500)
    for reduction in ("mean", "sum"):
        net = fcnn.Network([3, 20, 4], seed=0, reduction=reduction)
        whole = (net.forward(X), net.logits(X), net.loss_parts(X, y, 0.01), net.predict(X))
        monkeypatch.setattr(batched, "BATCH_BYTES", 7 * 3 * (3 + 20 + 4 + 3) * 8)  # 7 rows
        assert batched.rows_per_batch(net) == 7
        parts = net.loss_parts(X, y, 0.01)
        np.testing.assert_allclose(net.forward(X), whole[0], rtol=0, atol=1e-14)
        np.testing.assert_allclose(net.logits(X), whole[1], rtol=0, atol=1e-13)
        assert parts.keys() == whole[2].keys()
        for name in parts:
            assert parts[name] == pytest.approx(whole[2][name], rel=1e-12)
        assert np.array_equal(net.predict(X), whole[3])
        monkeypatch.undo()
