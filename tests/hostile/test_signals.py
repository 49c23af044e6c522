"""Issue 14, item 9: every signal that stops ``fcnn`` gets one line (no traceback) and, where
a run can go on, the resume command: Ctrl-C while the modules still import, and SIGTERM
while the figures or the model are written."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from hostile_helpers import SRC, fcnn_cli

pytestmark = pytest.mark.slow
ENV = os.environ | {"PYTHONPATH": str(SRC)}


def _commands() -> list[list[str]]:
    commands = [[sys.executable, "-m", "fcnn"]]
    if shutil.which("fcnn"):
        commands.append([shutil.which("fcnn")])
    return commands


@pytest.mark.parametrize("command", _commands(), ids=lambda c: os.path.basename(c[-1]))
def test_ctrl_c_while_modules_import_prints_one_line_not_a_traceback(tmp_path, command):
    landed = 0
    for i, delay in enumerate((0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)):
        argv = [*command, "train", "--no-progress", "--no-figures", "--out", tmp_path / str(i)]
        proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=ENV)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        if "init_import_site" in err or ("Traceback" in err and "/fcnn/" not in err):
            continue  # the interpreter itself was starting (site, runpy): no fcnn code yet
        landed += 1
        assert "Traceback" not in err, (delay, err)
        assert len(err.strip().splitlines()) <= 1, (delay, err)
    assert landed >= 4


def test_sigterm_while_figures_are_written_gives_the_resume_hint_and_resume_ends_it(tmp_path):
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "fcnn", "train", "--no-progress", "--dataset", "xor"]
    argv += ["--epochs", "5", "--out", str(out)]
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=ENV)
    end = time.monotonic() + 120
    while not (out / "history.csv").exists():  # written just before the figures
        assert proc.poll() is None and time.monotonic() < end, proc.communicate()
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert f"resume with: fcnn train --resume {out}" in err
    assert not (out / "model.safetensors").exists()
    done = fcnn_cli("train", "--resume", out, "--no-progress", timeout=120)
    assert done.returncode == 0, done.stderr
    assert (out / "model.safetensors").is_file() and (out / "loss.png").is_file()


def test_an_interrupt_that_an_import_turned_into_another_error_is_one_line(monkeypatch, capsys):
    # NumPy turns a KeyboardInterrupt that lands while its C core imports into an ImportError
    # about the installation (seen once in a few full runs of the test above): until the
    # command starts, a SIGINT is recorded and whatever exception follows is the interruption
    import signal as signals

    from fcnn import _startup

    seen = []
    monkeypatch.setattr(_startup, "_previous", lambda *exc: seen.append(exc[0]))
    monkeypatch.setattr(_startup, "_interrupted", [False])
    _startup._hook(ImportError, ImportError("numpy: check your installation"), None)
    assert seen == [ImportError] and capsys.readouterr().err == ""  # a real error: its hook
    with pytest.raises(KeyboardInterrupt):
        _startup._on_sigint(signals.SIGINT, None)
    _startup._hook(ImportError, ImportError("numpy: check your installation"), None)
    assert seen == [ImportError] and capsys.readouterr().err == "fcnn: interrupted\n"
    previous = signals.signal(signals.SIGINT, _startup._on_sigint)
    try:
        _startup.started()  # the command runs: Python's own Ctrl-C again
        assert signals.getsignal(signals.SIGINT) is signals.default_int_handler
    finally:
        signals.signal(signals.SIGINT, previous)
