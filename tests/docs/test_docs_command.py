"""The guides ship with fcnn and ``fcnn docs`` prints them (issue 15: ``fcnn --help`` must
not point at a docs/cli.md that a user who ran ``pip install .`` does not have)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fcnn import cli

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_docs_lists_every_guide_and_where_it_is(capsys):
    code, out, _ = _run(capsys, "docs")
    assert code == 0
    for page in (ROOT / "docs").glob("*.md"):
        assert f"  {page.stem} " in out
    assert str(ROOT / "docs") in out.splitlines()[0]


def test_docs_name_prints_the_guide(capsys):
    code, out, _ = _run(capsys, "docs", "CLI")
    assert code == 0
    assert out == (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def test_an_unknown_guide_gets_a_suggestion(capsys):
    code, _, err = _run(capsys, "docs", "clii")
    assert code == 2 and "did you mean 'cli'" in err


def test_help_points_at_the_docs_command_not_a_repository_path(capsys):
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    assert "docs/cli.md" not in out and "fcnn docs cli" in out


@pytest.mark.slow
def test_a_built_package_carries_the_guides_and_prints_them_from_there(tmp_path):
    """setup.py's build_py copies docs/*.md into fcnn/docs; fcnn docs reads them there."""
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(ROOT / "docs", tree / "docs")
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__"))
    lib = tmp_path / "lib"
    subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(lib)],
        cwd=tree,
        check=True,
        capture_output=True,
    )
    for page in (ROOT / "docs").glob("*.md"):
        assert (lib / "fcnn" / "docs" / page.name).read_bytes() == page.read_bytes()
    env = os.environ | {"PYTHONPATH": str(lib)}
    proc = subprocess.run(
        [sys.executable, "-m", "fcnn", "docs"], cwd=tmp_path, env=env, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    assert str(lib / "fcnn" / "docs") in proc.stdout
