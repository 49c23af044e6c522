"""Every kind of bad input to the ``fcnn`` command (fcnn.cli.main, fcnn.cli.commands), which
must give one line on stderr, no traceback and a non-zero exit code; and Ctrl-C, broken pipes,
divergence and internal errors.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import (
    FAST,
    default_run,  # noqa: F401 - a fixture
    labelled_csv,  # noqa: F401 - a fixture
    read_csv,
    run,
    write_csv,
)

import fcnn
from fcnn import cli

# -------------------------------------------------------------------------------- bad input


@pytest.fixture
def bad_files(tmp_path) -> Path:
    write_csv(tmp_path / "text.csv", ["a", "b", "y"], [[1, 2, 0], [3, "abc", 1], [5, 6, 0]])
    write_csv(tmp_path / "one.csv", ["a", "b", "y"], [[1, 2, 0], [3, 4, 0], [5, 6, 0]])
    write_csv(tmp_path / "na.csv", ["a", "b", "y"], [[1, 2, "cat"], [3, 4, "NA"], [5, 6, "dog"]])
    write_csv(tmp_path / "ok.csv", ["a", "b", "y"], [[1, 2, 0], [3, 4, 1], [5, 6, 0]])
    write_csv(tmp_path / "wide.csv", [*"abcd", "y"], [[1, 2, 3, 4, 0], [5, 6, 7, 8, 1]])
    (tmp_path / "foreign.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    (tmp_path / "bad.toml").write_text("[training]\nlrr = 0.1\n")
    (tmp_path / "exists.csv").write_text("x\n")
    return tmp_path


BAD_INPUTS = [
    (["train", "--bogus"], "fcnn train: error: unrecognized arguments: --bogus"),
    (["bogus"], "fcnn: error: argument COMMAND: invalid choice: 'bogus'"),
    ([], "fcnn: error: the following arguments are required: COMMAND"),
    (["train", "--epochs", "abc"], "argument --epochs: invalid int value: 'abc'"),
    (["train", "--layers", "2,x,2"], "is not a list of widths"),
    (["train", "--data", "{d}/missing.csv"], "fcnn: error: no such file: {d}/missing.csv"),
    (["train", "--data", "{d}/text.csv"], "column 'b': 'abc'"),
    (["train", "--data", "{d}/ok.csv", "--target", "label"], "has no target column 'label'"),
    (["train", "--data", "{d}/one.csv"], "classification needs at least two classes"),
    (["train", "--data", "{d}/na.csv"], "row 3: 'NA' marks a missing label"),
    (["train", "--target", "y"], "names a column of a data file, but there is no data.file"),
    (["train", "--data", "{d}/wide.csv"], "the data have 4 features"),
    (["train", "--lr", "-1"], "training.lr = -1.0 is out of range"),
    (["train", "--activation", "tahn"], "did you mean 'tanh'?"),
    (["train", "--output", "identity", "--loss", "cross_entropy"], "probability output"),
    (["train", "--config", "{d}/missing.toml"], "no such config file"),
    (["train", "--config", "{d}/bad.toml"], "unknown key 'lrr' in [training]"),
    (["train", "--resume", "{d}", "--layers", "2,3,2"], "drop --layers"),
    (["evaluate", "{d}/foreign.safetensors", "--dataset", "xor"], "not an fcnn model file"),
    (["evaluate", "{d}/missing.safetensors", "--dataset", "xor"], "no such model file"),
    (["evaluate", "{d}", "--dataset", "xor"], "has no model.safetensors"),
    (["predict", "{d}/x.safetensors", "--data", "{d}/ok.csv"], "required: --out"),
    (["gradcheck", "--eps", "0"], "a step > 0"),
    (["gradcheck", "--dtype", "float16"], "network.dtype = 'float16' is unknown"),
    (["gradcheck", "--layers", "3,4,2"], "starts with 3 inputs but the data have 2 features"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_INPUTS)
def test_bad_input_gives_one_line_and_exit_code_2(argv, message, bad_files, capsys):
    d = str(bad_files)
    code, _, err = run(capsys, *[a.format(d=d) for a in argv])
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert message.format(d=d) in err
    assert err.startswith("fcnn") and "Traceback" not in err


def test_usage_error_names_the_command_and_its_help(capsys):
    code, _, err = run(capsys, "train", "--bogus")
    assert err == "fcnn train: error: unrecognized arguments: --bogus (see fcnn train --help)\n"


@pytest.mark.slow
def test_predict_refuses_a_file_with_other_features(default_run, bad_files, capsys):
    model, _, _ = default_run
    data, out = bad_files / "wide.csv", bad_files / "p.csv"
    code, _, err = run(capsys, "predict", model, "--data", data, "--out", out)
    assert code == 2 and len(err.splitlines()) == 1
    assert "has 5 columns but the model takes 2 features" in err


def test_predict_never_overwrites_without_force(default_run, bad_files, capsys):
    model, _, _ = default_run
    data, out = bad_files / "ok.csv", bad_files / "exists.csv"
    code, _, err = run(capsys, "predict", model, "--data", data, "--out", out)
    assert code == 2 and "exists; pass --force" in err and out.read_text() == "x\n"
    assert run(capsys, "predict", model, "--data", data, "--out", out, "--force")[0] == 0
    assert read_csv(out)[0].keys() == {"prediction", "p_0", "p_1"}


def test_predict_never_writes_over_the_model_or_the_data_it_reads(default_run, tmp_path, capsys):
    model_dir, _, _ = default_run
    model = tmp_path / "m.safetensors"
    model.write_bytes((Path(model_dir) / "model.safetensors").read_bytes())
    data = write_csv(tmp_path / "d.csv", ["a", "b", "y"], [[1, 2, 0], [3, 4, 1]])
    before = model.read_bytes(), data.read_bytes()
    for out, what in ((model, "the model"), (data, "the data")):
        code, _, err = run(capsys, "predict", model, "--data", data, "--out", out, "--force")
        assert code == 2 and f"is {what} this command reads" in err
        assert len(err.splitlines()) == 1
    code, _, err = run(
        capsys,
        "predict",
        model_dir,
        "--data",
        data,
        "--out",
        Path(model_dir) / "model.safetensors",
        "--force",
    )
    assert code == 2 and "is the model this command reads" in err
    assert (model.read_bytes(), data.read_bytes()) == before


def test_ctrl_c_while_the_outputs_are_written_says_how_to_resume(tmp_path, capsys, monkeypatch):
    from fcnn.runs import folder as run_folder

    write = run_folder.write_outputs

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_folder, "write_outputs", interrupted)
    out = tmp_path / "run"
    code, _, err = run(capsys, "train", "--out", out, "--epochs", 3, *FAST)
    assert code == 130 and err == f"interrupted; resume with: fcnn train --resume {out}\n"
    monkeypatch.setattr(run_folder, "write_outputs", write)
    code, stdout, _ = run(capsys, "train", "--resume", out, *FAST)
    assert code == 0 and (out / "model.safetensors").is_file() and "epochs" in stdout


def test_ctrl_c_before_a_forced_run_writes_anything_gives_no_resume_hint(
    default_run, tmp_path, capsys, monkeypatch
):
    from fcnn import runs

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    out = tmp_path / "run"
    assert run(capsys, "train", "--out", out, "--epochs", 3, *FAST)[0] == 0
    monkeypatch.setattr(runs.start, "prepare", interrupted)  # Ctrl-C while the data load
    code, _, err = run(capsys, "train", "--out", out, "--force", *FAST)
    assert code == 130 and err == "fcnn: interrupted\n"  # the checkpoint there is not this run's


@pytest.mark.slow
def test_output_piped_into_a_reader_that_quits_ends_quietly(default_run, tmp_path):
    model, _, _ = default_run
    cmd = f"{sys.executable} -m fcnn evaluate {model} | head -1"
    done = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("samples") and done.stderr == ""


def test_an_identity_output_on_integer_labels_is_a_regression_of_their_values(tmp_path, capsys):
    rows = [[x, 2 * x, 3 + 2 * (x % 3)] for x in range(12)]  # target values 3, 5, 7
    data = write_csv(tmp_path / "r.csv", ["a", "b", "t"], rows)
    flags = ["--data", data, "--output", "identity", "--loss", "mse", "--layers", "auto,4,auto"]
    code, _, _ = run(capsys, "train", *flags, "--out", tmp_path / "run", *FAST)
    assert code == 0
    net = fcnn.load(tmp_path / "run" / "model.safetensors")
    assert net.sizes[-1] == 1 and net.classes is None  # one output: the value, not one-hot
    code, stdout, err = run(capsys, "evaluate", tmp_path / "run")
    assert code == 0 and "r2" in stdout, err
    text = write_csv(tmp_path / "t.csv", ["a", "b", "t"], [[1, 2, "cat"], [3, 4, "dog"]])
    code, _, err = run(capsys, "train", "--data", text, *flags[2:], "--out", tmp_path / "t", *FAST)
    assert code == 2 and "an identity output is for regression" in err
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize(
    ("rows", "flags", "message"),
    [
        (
            [[1, 1e308, 0], [2, -1e308, 1], [3, 5, 0], [4, 5, 1]],
            ["--standardize"],
            "too large to standardise",
        ),
        (
            [[1, 1e308, 0], [2, -1e308, 1], [3, 5, 0], [4, 5, 1]],
            ["--dtype", "float32"],
            "too large for float32",
        ),
        (
            [[1, 2, 0], [3, 4, 1]],
            ["--val-split", "0.5"],
            "classification needs at least two classes to train on",
        ),
        ([[1, 2, 0], [3, 4, 1]], ["--layers", "2,1000000000,2"], "training them needs about"),
    ],
)
def test_data_and_layer_errors_leave_no_folder_and_no_warnings(
    tmp_path, capsys, rows, flags, message
):
    data = write_csv(tmp_path / "d.csv", ["a", "b", "y"], rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, _, err = run(
            capsys, "train", "--data", data, *flags, "--out", tmp_path / "run", *FAST
        )
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_several_regression_targets_from_an_npz_train_evaluate_and_predict(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    Y = np.column_stack([X @ [1.0, 2.0, 0.0], X @ [0.0, -1.0, 1.0]])
    np.savez(tmp_path / "reg2.npz", X=X, y=Y)
    flags = ["--output", "identity", "--loss", "mse", "--layers", "auto,8,auto", "--lr", "0.05"]
    out = tmp_path / "run"
    code, _, err = run(
        capsys, "train", "--data", tmp_path / "reg2.npz", *flags, "--out", out, *FAST
    )
    assert code == 0, err
    assert fcnn.load(out / "model.safetensors").sizes == (3, 8, 2)
    code, stdout, _ = run(capsys, "evaluate", out)
    assert code == 0 and "r2" in stdout
    pred = tmp_path / "p.csv"
    assert run(capsys, "predict", out, "--data", tmp_path / "reg2.npz", "--out", pred)[0] == 0
    assert read_csv(pred)[0].keys() == {"prediction_0", "prediction_1"}
    np.savez(tmp_path / "short.npz", X=X, y=Y[:10])
    code, _, err = run(
        capsys, "train", "--data", tmp_path / "short.npz", *flags, "--out", out / "x", *FAST
    )
    assert code == 2 and "has shape (10, 2) but 'X' has 60 rows" in err and "(60, k)" in err


def test_evaluate_on_features_without_a_target_points_to_predict(labelled_csv, default_run, capsys):
    _, features_only, _ = labelled_csv
    model, _, _ = default_run
    code, _, err = run(capsys, "evaluate", model, "--data", features_only)
    assert code == 2 and "evaluate needs the features and a target column" in err
    assert "fcnn predict" in err


def test_evaluate_with_labels_the_model_does_not_know(labelled_csv, default_run, capsys):
    with_target, _, _ = labelled_csv
    model, _, _ = default_run
    code, _, err = run(capsys, "evaluate", model, "--data", with_target)
    assert code == 2 and "labels ['cat', 'dog'] that the model does not know" in err


def test_divergence_exits_1_with_one_line(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = np.column_stack([rng.normal(size=(40, 2)) * 10, rng.normal(size=40) * 100])
    data = write_csv(tmp_path / "r.csv", ["a", "b", "t"], rows.tolist())
    flags = ["--layers", "2,8,1", "--output", "identity", "--loss", "mse", "--lr", "10"]
    code, _, err = run(capsys, "train", "--data", data, *flags, "--out", tmp_path / "run", *FAST)
    assert code == 1 and len(err.splitlines()) == 1 and "diverged" in err
    # advice in the CLI's own terms: there is no clip option
    assert "Lower --lr (now 10) or standardise the inputs (--standardize)" in err
    assert "clip" not in err


def test_internal_error_is_one_line_unless_fcnn_debug(monkeypatch, tmp_path, capsys):
    from fcnn import runs

    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(runs, "start_run", broken)
    code, _, err = run(capsys, "train", "--out", tmp_path / "run")
    assert code == 1
    assert err == "fcnn: internal error: RuntimeError: boom second line " + (
        "(set FCNN_DEBUG=1 for the traceback)\n"
    )
    monkeypatch.setenv("FCNN_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["train", "--out", str(tmp_path / "run")])


@pytest.mark.parametrize(
    ("name", "value"), [("FCNN_THREAD_POLICY", "bogus"), ("FCNN_FUSED", "maybe")]
)
def test_a_bad_setting_in_the_environment_is_one_line_and_leaves_no_folder(
    tmp_path, capsys, monkeypatch, name, value
):
    monkeypatch.setenv(name, value)
    code, _, err = run(capsys, "train", "--out", tmp_path / "run", *FAST)
    assert code == 2 and f"{name}='{value}' is not a setting" in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_a_rate_so_large_its_square_overflows_is_a_divergence_not_an_internal_error(
    tmp_path, capsys
):
    # the diagnostics (on by default) squared the rate as a Python float: 1e200 ** 2 raised
    # OverflowError, which the command reported as an internal error
    code, _, err = run(capsys, "train", "--lr", "1e200", "--out", tmp_path / "run", *FAST)
    assert code == 1 and len(err.splitlines()) == 1
    assert "training diverged" in err and "internal error" not in err
    assert "history.csv shows the epoch before it." in err  # one file, one epoch
