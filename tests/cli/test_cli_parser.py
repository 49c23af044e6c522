"""The ``fcnn`` parser (fcnn.cli.parser, fcnn.cli.flags): help for every option, the version;
and the command run as ``python -m fcnn`` and as the console script, in a subprocess.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys

import pytest
from cli_helpers import run

import fcnn
from fcnn import cli
from fcnn.cli.flags import FLAGS

# ------------------------------------------------------------------------------------- help


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


@pytest.mark.parametrize("command", ["train", "evaluate", "predict", "gradcheck"])
def test_help_exits_0_and_documents_every_option_with_its_default(command, capsys):
    code, stdout, _ = run(capsys, command, "--help")
    assert code == 0
    for action in _subparsers()[command]._actions:
        if action.dest == "help":
            continue
        for option in action.option_strings or [action.metavar]:
            assert option in stdout
        if action.option_strings:
            assert "(default" in action.help or "(required)" in action.help, action.dest


def test_train_help_lists_every_option_of_the_issue(capsys):
    _, stdout, _ = run(capsys, "train", "--help")
    for flag in [*FLAGS.values(), "--config", "--out", "--force", "--resume"]:
        assert flag in stdout
    assert "--no-progress" in stdout and "--standardize" in stdout


def test_top_level_help_has_a_description_and_examples(capsys):
    code, stdout, _ = run(capsys, "--help")
    assert code == 0
    assert "backpropagation" in stdout and "examples:" in stdout
    assert all(c in stdout for c in ("train", "evaluate", "predict", "gradcheck"))


def test_version(capsys):
    code, stdout, _ = run(capsys, "--version")
    assert code == 0 and stdout.strip() == f"fcnn {fcnn.__version__}"


# ------------------------------------------------------------------------------- subprocess


@pytest.mark.slow
def test_python_m_fcnn_trains_with_a_progress_bar(tmp_path):
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "fcnn", "train", "--epochs", "20", "--no-figures", "--progress"]
    proc = subprocess.run([*argv, "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^epochs +20 in", proc.stdout, re.MULTILINE)
    assert "/20 epochs" in proc.stderr  # the tqdm bar, on stderr
    assert (out / "model.safetensors").is_file()


@pytest.mark.slow
def test_the_progress_bar_stays_out_of_a_log_unless_asked_for(tmp_path):
    """stderr is a pipe here, as in a log file or CI: no bar frames unless --progress."""
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "fcnn", "train", "--epochs", "20", "--no-figures"]
    proc = subprocess.run([*argv, "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^epochs +20 in", proc.stdout, re.MULTILINE)
    assert proc.stderr == ""


@pytest.mark.slow
def test_subprocess_usage_error_is_one_line_without_traceback():
    argv = [sys.executable, "-m", "fcnn", "train", "--bogus"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "fcnn train: error: unrecognized arguments: --bogus (see fcnn train --help)"
    ]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("fcnn") is None, reason="console script not installed")
def test_console_script_prints_the_version():
    proc = subprocess.run(["fcnn", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"fcnn {fcnn.__version__}"


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_saves_a_checkpoint_exits_130_and_prints_the_resume_command(tmp_path):
    import signal
    import time

    out = tmp_path / "run"
    argv = [sys.executable, "-m", "fcnn", "train", "--epochs", "1000000", "--no-figures"]
    proc = subprocess.Popen(
        [*argv, "--no-progress", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (out / "checkpoint.safetensors").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the first checkpoint is written just before the loop starts
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
