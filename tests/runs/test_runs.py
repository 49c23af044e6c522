"""Tests for fcnn.runs.start_run: the run folder, the checks against the data, and that no
failure loses the last good checkpoint (a failing write, a divergence).

Expected values come from the files themselves, read back with tomllib, csv, numpy and
safetensors, or from NumPy computed here on the raw data.
"""

from __future__ import annotations

import csv
import errno
import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

import fcnn
from fcnn import runs, storage
from fcnn.train import Callback

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def config(**training) -> dict:
    """A small, fast run: 60 gaussian samples, a 2-4-2 network, 5 epochs."""
    return {
        "data": {"options": {"n_samples": 60}},
        "network": {"layers": [2, 4, 2]},
        "training": {"epochs": 5, "record_params": False, **training},
    }


def run(cfg: dict, out: Path, **kwargs) -> runs.RunResult:
    kwargs = {"progress": False, "figures": False, **kwargs}
    return runs.start_run(cfg, out, **kwargs)


def write_csv(path: Path, X: np.ndarray, labels, header: str = "a,b,label") -> Path:
    lines = [header]
    lines += [f"{float(x0)!r},{float(x1)!r},{t}" for (x0, x1), t in zip(X, labels, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def read_history(path: Path) -> tuple[list[str], list[list[float]]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [[float(v) for v in row] for row in rows[1:]]


class StepHook(Callback):
    """Calls ``fn(trainer, n)`` after the n-th optimiser step of this call to run."""

    def __init__(self, fn) -> None:
        self.fn, self.n = fn, 0

    def on_step_end(self, trainer) -> None:
        self.n += 1
        self.fn(trainer, self.n)


# ------------------------------------------------------------------------------ the folder


@pytest.mark.slow
def test_start_run_writes_config_checkpoint_history_figures_and_model(tmp_path):
    cfg = config(epochs=7, record_params=True)
    cfg["data"]["val_split"] = 0.25
    out = tmp_path / "run"
    result = runs.start_run(cfg, out, progress=False)

    names = {p.name for p in out.iterdir()}
    expected = {"config.toml", "checkpoint.safetensors", "history.csv", "model.safetensors"}
    figures = {"data.png", "loss.png", "accuracy.png", "parameters.png", "decision_boundary.png"}
    assert names == expected | figures | {"boundary.gif"}
    assert sorted(p.name for p in result.files) == sorted(names)
    assert not result.interrupted

    # config.toml is the resolved config: the defaults filled in, our values kept
    with open(out / "config.toml", "rb") as f:
        written = tomllib.load(f)
    assert written == fcnn.runs.config.validate(cfg)
    assert written["training"]["epochs"] == 7 and written["training"]["optimizer"] == "gd"

    # history.csv: one row per epoch; mse + ce is the loss; accuracies are fractions
    header, rows = read_history(out / "history.csv")
    assert header == [
        "epoch",
        "loss",
        "mse",
        "ce",
        "accuracy",
        "val_loss",
        "val_mse",
        "val_ce",
        "val_accuracy",
        "loss_per_sample",
        "mse_per_sample",
        "ce_per_sample",
        "val_loss_per_sample",
        "val_mse_per_sample",
        "val_ce_per_sample",
        "lr",
    ]
    table = np.array(rows)
    assert table[:, 0].tolist() == list(range(1, 8))
    np.testing.assert_allclose(table[:, 1], table[:, 2] + table[:, 3], rtol=1e-12)
    np.testing.assert_allclose(table[:, 5], table[:, 6] + table[:, 7], rtol=1e-12)
    assert ((table[:, [4, 8]] >= 0) & (table[:, [4, 8]] <= 1)).all()
    np.testing.assert_array_equal(table[:, 9:15], table[:, [1, 2, 3, 5, 6, 7]])  # the mean
    assert (table[:, 15] == 0.5).all()

    # the model file holds the trained parameters and the classes
    net = fcnn.load(out / "model.safetensors")
    assert net.params.tobytes() == result.net.params.tobytes()
    assert net.classes == [0, 1]
    assert result.summary["epochs"] == 7 and result.summary["steps"] == 7
    assert result.summary["loss"] == table[-1, 1]
    assert result.summary["val_accuracy"] == table[-1, 8]

    # the finished checkpoint holds the same parameters and says it is done
    arrays, meta = storage.load_checkpoint(out / "checkpoint.safetensors")
    assert arrays["params"].tobytes() == net.params.tobytes()
    assert meta["format"] == "fcnn-run" and meta["trainer"]["done"] is True
    assert meta["config"] == written


def test_regression_history_has_no_accuracy_column_and_auto_layers_fit_the_file(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3))
    y = X @ [0.5, -1.0, 2.0] + 0.25
    path = tmp_path / "reg.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,c,t", comments="")
    cfg = {
        "data": {"file": str(path)},
        "network": {"layers": ["auto", 5, "auto"], "output": "identity", "loss": "mse"},
        "training": {"epochs": 4, "lr": 0.05},
    }
    result = run(cfg, tmp_path / "run")
    header, _ = read_history(tmp_path / "run" / "history.csv")
    assert header == ["epoch", "loss", "loss_per_sample", "lr"]
    assert result.net.sizes == (3, 5, 1)
    assert fcnn.load(tmp_path / "run" / "model.safetensors").classes is None


def test_prepare_fills_auto_layers_from_the_data_and_makes_the_data_file_absolute(
    tmp_path, monkeypatch
):
    spirals = {"data": {"dataset": "spirals"}, "network": {"layers": ["auto", 4, "auto"]}}
    cfg, ds = runs.prepare(spirals)
    assert cfg["network"]["layers"] == [2, 4, 3]  # 2 features, 3 spiral arms
    assert ds.X.shape[1] == 2 and ds.classes == [0, 1, 2]
    sigmoid = {**spirals, "data": {"options": {"n_samples": 20}}}
    sigmoid["network"] = {"layers": ["auto", 4, "auto"], "output": "sigmoid"}
    assert runs.prepare(sigmoid)[0]["network"]["layers"] == [2, 4, 1]  # one unit, two classes
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "d.csv", [[0.0, 1.0], [1.0, 0.0]], ["u", "v"])
    cfg, ds = runs.prepare({"data": {"file": "d.csv"}, "network": {"layers": ["auto", 3, 2]}})
    assert cfg["data"]["file"] == str(tmp_path / "d.csv") and ds.classes == ["u", "v"]


def test_prepare_refuses_layers_that_do_not_fit_the_data():
    with pytest.raises(ValueError, match="starts with 3 inputs but the data have 2 features"):
        runs.prepare({"network": {"layers": [3, 4, 2]}})
    with pytest.raises(ValueError, match="ends with 5 outputs but the data have 2 classes"):
        runs.prepare({"network": {"layers": [2, 4, 5]}})


def test_refuses_a_non_empty_folder_without_force_and_force_replaces_only_run_files(tmp_path):
    out = tmp_path / "run"
    run(config(), out)
    with pytest.raises(FileExistsError, match="--force") as err:
        run(config(), out)
    assert "--resume" in str(err.value)

    (out / "notes.txt").write_text("mine")
    (out / "decision_boundary.png").write_bytes(b"stale figure")
    result = run(config(epochs=3), out, force=True)
    assert result.summary["epochs"] == 3
    assert (out / "notes.txt").read_text() == "mine"
    assert not (out / "decision_boundary.png").exists()


def test_a_forced_run_that_fails_or_stops_keeps_the_run_it_replaces(tmp_path):
    out = tmp_path / "run"
    run(config(), out)
    model = (out / "model.safetensors").read_bytes()
    history = (out / "history.csv").read_bytes()
    # a forced run that diverges: the finished run waits in .fcnn-previous, and the error says so
    with pytest.raises(fcnn.DivergenceError, match=r"kept in .*\.fcnn-previous until it finishes"):
        run(diverging_config(tmp_path / "reg.csv"), out, force=True)
    assert (out / ".fcnn-previous" / "model.safetensors").read_bytes() == model
    assert (out / ".fcnn-previous" / "history.csv").read_bytes() == history
    assert not (out / "model.safetensors").exists()
    # one that is interrupted keeps it too, and a second forced start does not lose it
    stop = StepHook(lambda trainer, n: trainer.request_stop() if n == 2 else None)
    assert run(config(), out, force=True, callbacks=[stop]).interrupted
    assert (out / ".fcnn-previous" / "model.safetensors").read_bytes() == model
    # the run that finishes (resumed here) lets it go
    result = runs.resume_run(out, progress=False, figures=False)
    assert not result.interrupted and (out / "model.safetensors").exists()
    assert not (out / ".fcnn-previous").exists()


@pytest.mark.slow
@pytest.mark.parametrize("moved", [0, 2, 5])
def test_a_forced_start_killed_while_moving_the_earlier_run_aside_loses_none_of_it(
    tmp_path, monkeypatch, moved
):
    # kill -9 after `moved` renames of run_folder.create, then force again: every file of the
    # finished run ends in .fcnn-previous
    out = tmp_path / "run"
    run(config(), out, figures=True)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    real, count = Path.replace, [0]

    class Killed(BaseException):
        pass

    def replace(self, target):
        if count[0] == moved:
            raise Killed
        count[0] += 1
        return real(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    with pytest.raises(Killed):
        run(config(), out, force=True)
    monkeypatch.setattr(Path, "replace", real)
    stop = StepHook(lambda trainer, n: trainer.request_stop())
    assert run(config(), out, force=True, callbacks=[stop]).interrupted
    kept = {p.name: p.read_bytes() for p in (out / ".fcnn-previous").iterdir()}
    assert kept == before


def test_a_long_file_name_is_written_whatever_the_temporary_names(tmp_path):
    net = fcnn.Network([2, 3, 2], seed=0)
    path = tmp_path / ("m" * 240 + ".safetensors")  # 252 characters: at the usual 255 limit
    fcnn.save(net, path)
    assert fcnn.load(path).params.tobytes() == net.params.tobytes()


def test_a_figure_that_fails_does_not_cost_the_model(tmp_path, monkeypatch):
    from fcnn import plots

    def broken(*args, **kwargs):
        raise RuntimeError("a figure that cannot be drawn")

    monkeypatch.setattr(plots, "save_all", broken)
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="cannot be drawn"):
        run(config(), out, figures=True)
    assert fcnn.load(out / "model.safetensors").sizes == (2, 4, 2)
    with pytest.raises(ValueError, match="already finished"):
        runs.resume_run(out, progress=False, figures=False)


def test_refuses_a_file_as_the_run_folder(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(FileExistsError, match="is a file"):
        run(config(), tmp_path / "f")


def test_bad_data_leaves_no_folder_behind(tmp_path):
    cfg = config()
    cfg["network"]["layers"] = [3, 4, 2]
    with pytest.raises(ValueError):
        run(cfg, tmp_path / "run")
    assert not (tmp_path / "run").exists()


# ------------------------------------------------------------------ checks against the data


def test_wrong_first_layer_names_the_layer_width_and_the_feature_count(tmp_path):
    cfg = config()
    cfg["network"]["layers"] = [3, 4, 2]
    with pytest.raises(ValueError, match=r"starts with 3 inputs but the data have 2 features"):
        run(cfg, tmp_path / "run")


def test_wrong_last_layer_names_the_layer_width_and_the_class_count(tmp_path):
    cfg = config()
    cfg["data"] = {"dataset": "spirals", "options": {"n_samples": 30, "n_classes": 3}}
    cfg["network"]["layers"] = [2, 4, 2]
    with pytest.raises(ValueError, match=r"ends with 2 outputs but the data have 3 classes"):
        run(cfg, tmp_path / "run")


def test_one_class_data_set_is_refused_for_a_classifier(tmp_path):
    X = np.random.default_rng(0).normal(size=(10, 2))
    path = write_csv(tmp_path / "one.csv", X, ["cat"] * 10)
    cfg = config()
    cfg["data"] = {"file": str(path)}
    with pytest.raises(ValueError, match="at least two classes, found 1"):
        run(cfg, tmp_path / "run")


def test_softmax_on_real_valued_targets_asks_for_identity_output(tmp_path):
    X = np.random.default_rng(0).normal(size=(10, 2))
    path = write_csv(tmp_path / "reg.csv", X, [repr(float(v)) for v in X[:, 0] + 0.5])
    cfg = config()
    cfg["data"] = {"file": str(path)}
    with pytest.raises(ValueError, match="output = 'identity'"):
        run(cfg, tmp_path / "run")


def test_csv_with_string_labels_keeps_the_labels_as_the_model_classes(tmp_path):
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(-1, 1, (15, 2)), rng.normal(1, 1, (15, 2))])
    path = write_csv(tmp_path / "pets.csv", X, ["dog"] * 15 + ["cat"] * 15)
    cfg = config()
    cfg["data"] = {"file": str(path)}
    result = run(cfg, tmp_path / "run")
    net = fcnn.load(tmp_path / "run" / "model.safetensors")
    assert net.classes == ["cat", "dog"] == result.net.classes
    predicted = np.asarray(net.classes)[net.predict(X)]
    assert set(predicted) <= {"cat", "dog"}


def test_standardisation_statistics_of_the_training_data_are_stored_in_the_model(tmp_path):
    rng = np.random.default_rng(4)
    X = rng.normal([10.0, -200.0], [3.0, 50.0], (40, 2))
    path = write_csv(tmp_path / "d.csv", X, [0, 1] * 20)
    cfg = config()
    cfg["data"] = {"file": str(path), "standardize": True}
    run(cfg, tmp_path / "run")
    net = fcnn.load(tmp_path / "run" / "model.safetensors")
    raw = np.loadtxt(path, delimiter=",", skiprows=1)[:, :2]
    np.testing.assert_allclose(net.feature_mean, raw.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(net.feature_scale, raw.std(axis=0), rtol=1e-12)


def test_with_a_validation_split_standardisation_uses_the_training_rows_only(tmp_path):
    # feature a of row i is 2**i: a sum of rows is exact and names the rows it adds up
    a = 2.0 ** np.arange(40)
    b = np.random.default_rng(5).normal(size=40)
    path = write_csv(tmp_path / "d.csv", np.column_stack([a, b]), [0, 1] * 20)
    cfg = config()
    cfg["data"] = {"file": str(path), "standardize": True, "val_split": 0.25}
    run(cfg, tmp_path / "run")
    net = fcnn.load(tmp_path / "run" / "model.safetensors")
    total = int(round(net.feature_mean[0] * 30))
    rows = [i for i in range(40) if total >> i & 1]
    assert len(rows) == 30  # 40 rows less round(0.25 * 40) held out for validation
    np.testing.assert_allclose(net.feature_mean, [a[rows].mean(), b[rows].mean()], rtol=1e-9)
    np.testing.assert_allclose(net.feature_scale, [a[rows].std(), b[rows].std()], rtol=1e-9)


# ---------------------------------------------------------------------------- checkpoints


def test_checkpoint_every_n_steps_holds_the_last_multiple_of_n(tmp_path):
    out = tmp_path / "run"
    seen = []

    def look(trainer, n):
        _, meta = storage.load_checkpoint(out / "checkpoint.safetensors")
        seen.append((n, meta["trainer"]["step"]))

    cfg = config(optimizer="sgd", batch_size=16, checkpoint_every=3)
    run(cfg, out, callbacks=[StepHook(look)])
    assert len(seen) == 5 * 4  # 60 samples in batches of 16: 4 steps per epoch
    assert all(step == n // 3 * 3 for n, step in seen)


def test_failed_checkpoint_write_keeps_the_previous_checkpoint_and_says_why(tmp_path, monkeypatch):
    out = tmp_path / "run"
    real_replace = os.replace
    writes = []

    def full_disk(src, dst):
        if str(dst).endswith("checkpoint.safetensors"):
            writes.append(dst)
            if len(writes) == 4:  # the start, steps 2 and 4, then step 6 fails
                raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full_disk)
    cfg = config(optimizer="sgd", batch_size=16, checkpoint_every=2)
    with pytest.raises(OSError, match="no space left") as err:
        run(cfg, out)
    assert "the previous file is intact" in str(err.value)
    assert err.value.errno == errno.ENOSPC
    monkeypatch.setattr(os, "replace", real_replace)

    _, meta = storage.load_checkpoint(out / "checkpoint.safetensors")
    assert meta["trainer"]["step"] == 4
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.safetensors", "config.toml"]
    # and the run goes on from it to the same end as an uninterrupted one
    resumed = runs.resume_run(out, progress=False, figures=False)
    reference = run(cfg, tmp_path / "ref")
    assert resumed.net.params.tobytes() == reference.net.params.tobytes()


def test_unwritable_parent_folder_gives_a_clear_os_error(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if (
        getattr(os, "geteuid", lambda: -1)() == 0
    ):  # root may write anywhere: let mkdir fail as it would for a user

        def refuse(self, *args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))

        monkeypatch.setattr(Path, "mkdir", refuse)
    try:
        with pytest.raises(OSError, match="cannot create the run folder .*choose a folder"):
            run(config(), locked / "run")
    finally:
        locked.chmod(0o700)


def diverging_config(path: Path) -> dict:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = X @ [1.5, -2.0] + 0.3
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,t", comments="")
    return {
        "data": {"file": str(path)},
        "network": {
            "layers": ["auto", 4, "auto"],
            "activation": "identity",
            "output": "identity",
            "loss": "mse",
        },
        "training": {"lr": 0.9, "epochs": 50, "checkpoint_every": 1, "record_params": False},
    }


def test_divergence_keeps_the_last_finite_checkpoint_and_names_it(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(fcnn.DivergenceError) as err:
        run(diverging_config(tmp_path / "reg.csv"), out)
    message = str(err.value)
    assert str(out / "checkpoint.safetensors") in message
    assert f"fcnn train --resume {out} --lr" in message

    arrays, meta = storage.load_checkpoint(out / "checkpoint.safetensors")
    assert 0 < meta["trainer"]["step"] < err.value.step
    assert f"after step {meta['trainer']['step']}" in message
    assert all(np.isfinite(a).all() for k, a in arrays.items() if k.startswith("optim"))
    assert np.isfinite(arrays["params"]).all()
    assert not (out / "model.safetensors").exists()


def test_after_divergence_a_resume_at_a_lower_rate_continues_from_the_kept_checkpoint(tmp_path):
    cfg = diverging_config(tmp_path / "reg.csv")
    cfg["training"]["checkpoint_every"] = 0  # the kept checkpoint is the starting state
    with pytest.raises(fcnn.DivergenceError):
        run(cfg, tmp_path / "run")
    resumed = runs.resume_run(tmp_path / "run", lr=0.05, progress=False, figures=False)
    with open(tmp_path / "run" / "config.toml", "rb") as f:
        assert tomllib.load(f)["training"]["lr"] == 0.05
    cfg["training"]["lr"] = 0.05
    fresh = run(cfg, tmp_path / "fresh")
    assert resumed.summary["epochs"] == 50
    assert resumed.net.params.tobytes() == fresh.net.params.tobytes()


def test_signal_handlers_are_restored_after_the_run(tmp_path):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    run(config(), tmp_path / "run")
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


@pytest.mark.slow
def test_record_params_auto_keeps_small_trajectories_and_skips_large_ones(tmp_path):
    # 2-4-2 net: 22 parameters x (5 updates + 1) x 8 bytes is far below the 64 MB budget
    small = run(config(record_params="auto"), tmp_path / "small")
    assert len(small.history.params) == 6
    # 2-512-512-2: 265,730 parameters x (40 updates + 1) x 8 bytes = 83.0 MiB > 64 MiB
    cfg = config(record_params="auto", epochs=40)
    cfg["network"]["layers"] = [2, 512, 512, 2]
    large = run(cfg, tmp_path / "large")
    assert large.history.params == []
    forced = config(record_params=True)
    assert len(run(forced, tmp_path / "forced").history.params) == 6


@pytest.mark.parametrize(
    ("val_split", "batches"),
    [(0.0, 10), (0.2, 8)],  # 300 rows, or the 240 that val_split leaves, in batches of 32
)
def test_record_params_auto_counts_the_updates_over_the_training_rows(val_split, batches):
    # 2-32-32-3 in float64: 1251 x 8 bytes a copy; 64 MiB hold 6705 copies, the initial one
    # and 6704 updates: 670 epochs of 10 batches, or 838 of 8
    net = fcnn.Network([2, 32, 32, 3])
    last = 6704 // batches
    for epochs, fits in ((last, True), (last + 1, False)):
        tr = {"record_params": "auto", "epochs": epochs, "batch_size": 32}
        assert runs.start._record_params(tr, net, 300, val_split) is fits


def test_a_val_split_that_leaves_no_training_rows_is_refused_by_name(tmp_path):
    cfg = {**config(record_params="auto"), "data": {"options": {"n_samples": 3}}}
    cfg["data"]["val_split"] = 0.9
    with pytest.raises(ValueError, match="leaves 3 for validation and 0 for training"):
        run(cfg, tmp_path / "run")
