"""report.html without a browser: size, frames, self-containment, the rows held out, the
frames' sources, regression and many-feature pages, and the ``fcnn report`` command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fcnn
from fcnn import reporting, runs
from fcnn.cli import main
from fcnn.reporting.source import attach_frames, held_out_rows, load_run
from fcnn.runs import config
from fcnn.train import Trainer

MB = 2**20


def start(cfg: dict, out: Path, **kwargs) -> runs.RunResult:
    return runs.start_run(cfg, out, progress=False, figures=False, **kwargs)


def small(**training) -> dict:
    """A fast run: 60 gaussian samples, a 2-4-2 network."""
    return {
        "data": {"options": {"n_samples": 60}},
        "network": {"layers": [2, 4, 2]},
        "training": {"epochs": 5, **training},
    }


def frame_names(html: str) -> list[str]:
    """The slider's step labels, in order."""
    return re.findall(r'"label":\s*"(\d+)",\s*"args":\s*\[\[\s*"\d+"', html)


@pytest.fixture(scope="module")
def default_page(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "default"
    start(config.resolve(None, {}), out)
    return fcnn.report(out)


def test_import_fcnn_and_its_cli_do_not_import_plotly():
    code = "import sys, fcnn, fcnn.cli; assert 'plotly' not in sys.modules, 'plotly imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_default_run_page_is_at_most_8_mb_and_self_contained(default_page):
    html = default_page.read_text(encoding="utf-8")
    assert default_page.stat().st_size <= 8 * MB
    assert not re.search(r"<script[^>]+src=", html)  # nothing fetched: no CDN, no file
    assert not re.search(r"<link[^>]+href=[\"']?https?://", html)
    assert "Plotly.newPlot" in html
    assert len(re.findall(r"<script>", html)) >= 2  # plotly.js inlined, then the figures


def test_default_page_thins_300_epochs_to_200_frames_keeping_first_and_last(default_page):
    names = frame_names(default_page.read_text(encoding="utf-8"))
    assert len(names) == 200
    assert names[0] == "0" and names[-1] == "300"
    assert names == sorted(names, key=int)


def test_frame_epochs_keep_every_epoch_of_a_short_run_and_thin_a_long_one():
    assert reporting.frame_epochs(5).tolist() == [0, 1, 2, 3, 4, 5]
    assert len(reporting.frame_epochs(199)) == 200
    long = reporting.frame_epochs(80_000)
    assert len(long) == 200 and long[0] == 0 and long[-1] == 80_000
    assert np.all(np.diff(long) > 0)


def test_held_out_rows_are_the_rows_the_trainer_validates_on():
    X = np.random.default_rng(3).normal(size=(50, 2))
    y = (X[:, 0] > 0).astype(int)
    net = fcnn.Network([2, 3, 2], seed=0)
    trainer = Trainer(net, X, y, val_split=0.3, seed=10, epochs=1)
    mask = held_out_rows(50, 0.3, 10)
    assert mask.sum() == len(trainer.val)
    np.testing.assert_array_equal(trainer.val.X, X[mask])


def test_page_marks_the_held_out_rows(tmp_path):
    start(small(epochs=3) | {"data": {"options": {"n_samples": 60}, "val_split": 0.25}}, tmp_path)
    html = fcnn.report(tmp_path).read_text(encoding="utf-8")
    assert "15 of 60 rows held out" in html
    assert '"0 (held out)"' in html and "circle-open" in html


def test_run_without_recorded_parameters_gets_frames_from_snapshots_kept_while_training(
    tmp_path,
):
    snaps = reporting.EpochSnapshots()
    result = start(small(epochs=7, record_params=False), tmp_path, callbacks=[snaps])
    run = load_run(tmp_path)
    attach_frames(run, snaps)
    assert run.epochs.tolist() == list(range(8))
    np.testing.assert_array_equal(run.params[-1], result.net.params)
    assert "kept at these epochs while the run trained" in run.source


def test_retraining_reproduces_the_saved_model_and_the_page_says_so(tmp_path):
    cfg = small(epochs=6, record_params=False, batch_size=16, optimizer="sgd")
    start(cfg | {"data": {"options": {"n_samples": 60}, "val_split": 0.2}}, tmp_path)
    html = fcnn.report(tmp_path).read_text(encoding="utf-8")
    assert "deterministic retraining" in html
    assert "ends on exactly the saved model" in html
    # the frames equal the run's own parameters, recorded per update by an identical run
    other = tmp_path / "recorded"
    rec = start(
        small(epochs=6, record_params=True, batch_size=16, optimizer="sgd")
        | {"data": {"options": {"n_samples": 60}, "val_split": 0.2}},
        other,
    )
    run = load_run(tmp_path)
    attach_frames(run)
    per_epoch = (len(rec.history.params) - 1) // 6
    np.testing.assert_array_equal(run.params[3], rec.history.params[3 * per_epoch])


def test_regression_page_shows_predicted_against_true(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = X @ [0.5, -1.0, 2.0] + 0.25
    path = tmp_path / "reg.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,c,t", comments="")
    cfg = {
        "data": {"file": str(path), "val_split": 0.2},
        "network": {"layers": ["auto", 5, "auto"], "output": "identity", "loss": "mse"},
        "training": {"epochs": 20, "lr": 0.05},
    }
    start(cfg, tmp_path / "run")
    html = fcnn.report(tmp_path / "run").read_text(encoding="utf-8")
    assert "Predicted against true" in html
    assert '"y = x"' in html
    assert len(frame_names(html)) == 21


def _four_features(tmp_path: Path) -> Path:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 4))
    label = (X[:, 0] + X[:, 2] > 0).astype(int)
    path = tmp_path / "four.csv"
    rows = [
        "p,q,r,s,label",
        *(",".join(map(repr, x.tolist())) + f",{t}" for x, t in zip(X, label, strict=True)),
    ]
    path.write_text("\n".join(rows) + "\n")
    cfg = {
        "data": {"file": str(path), "standardize": True},
        "network": {"layers": ["auto", 4, "auto"]},
        "training": {"epochs": 10},
    }
    start(cfg, tmp_path / "run")
    return tmp_path / "run"


def test_more_than_two_features_are_projected_on_principal_components_or_chosen_ones(tmp_path):
    out = _four_features(tmp_path)
    html = fcnn.report(out).read_text(encoding="utf-8")
    assert "principal components" in html and "PC1 (" in html
    html = fcnn.report(out, features=(0, 2)).read_text(encoding="utf-8")
    assert "Shown on the features &#x27;p&#x27; and &#x27;r&#x27;" in html
    assert "principal components" not in html
    with pytest.raises(ValueError, match="two different column indices from 0 to 3"):
        fcnn.report(out, features=(0, 4))


@pytest.mark.slow
def test_cli_report_redraws_lost_figures_and_takes_features(tmp_path, capsys):
    out = _four_features(tmp_path)
    assert main(["report", str(out), "--features", "1,3"]) == 0
    assert "&#x27;q&#x27; and &#x27;s&#x27;" in (out / "report.html").read_text(encoding="utf-8")
    assert (out / "loss.png").is_file() and (out / "accuracy.png").is_file()
    assert main(["report", str(out), "--features", "1"]) == 2
    assert "give two column indices" in capsys.readouterr().err


def test_cli_train_writes_the_report_and_no_report_skips_it(tmp_path, capsys):
    args = ["train", "--epochs", "5", "--no-figures", "--no-progress", "--out"]
    assert main([*args, str(tmp_path / "a")]) == 0
    assert (tmp_path / "a" / "report.html").is_file()
    assert "report.html" in capsys.readouterr().out
    assert main([*args, str(tmp_path / "b"), "--no-report"]) == 0
    assert not (tmp_path / "b" / "report.html").exists()


@pytest.mark.slow
def test_resume_with_no_report_removes_the_stale_page(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--epochs", "4", "--no-figures", "--no-progress", "--out", str(out)]) == 0
    assert (out / "report.html").is_file()
    assert (
        main(["train", "--resume", str(out), "--epochs", "6", "--no-report", "--no-progress"]) == 0
    )
    assert not (out / "report.html").exists()
    assert "removed" in capsys.readouterr().err
    assert main(["report", str(out)]) == 0  # every view back, without training
    assert len(frame_names((out / "report.html").read_text(encoding="utf-8"))) == 7


def test_diagnostics_panel_draws_each_column_of_diagnostics_csv(tmp_path):
    start(small(epochs=3), tmp_path)
    html = fcnn.report(tmp_path).read_text(encoding="utf-8")
    assert "Diagnostics were not recorded for this run" in html
    (tmp_path / "diagnostics.csv").write_text(
        "epoch,layer1_saturated,update_ratio_log10\n1,0.1,-3.1\n2,0.2,-3.0\n3,0.25,-2.9\n"
    )
    html = fcnn.report(tmp_path).read_text(encoding="utf-8")
    assert 'id="fig-diagnostics"' in html
    assert '"layer1_saturated"' in html and '"update_ratio_log10"' in html


def test_report_of_a_folder_without_a_finished_run_names_the_fix(tmp_path):
    with pytest.raises(ValueError, match="no run folder"):
        fcnn.report(tmp_path / "missing")
    tmp_path.joinpath("config.toml").write_text("")
    with pytest.raises(ValueError, match="has no model.safetensors"):
        fcnn.report(tmp_path)


def test_without_plotly_the_report_command_says_how_to_install_it(tmp_path):
    start(small(epochs=2), tmp_path)
    code = (
        "import sys; sys.modules['plotly'] = None\n"
        "from fcnn.cli import main\n"
        f"sys.exit(main(['report', {str(tmp_path)!r}]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert "pip install plotly" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
