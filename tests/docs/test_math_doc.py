"""docs/math.md quotes its scripts: every line that a script in examples/math/ prints appears
on the page verbatim, every measured number on the page is printed by one of them, and the
section numbers that the code cites exist."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "math.md"
SCRIPTS = sorted(p for p in (ROOT / "examples" / "math").glob("*.py") if not p.name.startswith("_"))

# numbers on the page that are definitions or defaults, not measurements
CONSTANTS = {"0.999"}
# a measured number: a decimal with three or more decimals, m\times 10^{e}, or 12,345
MEASURED = re.compile(
    r"-?\d+\.\d{3,}|\d+(?:\.\d+)?\\times 10\^\{-?\d+\}|\d{1,3}(?:,\d{3})+(?![\d.])"
)

pytestmark = pytest.mark.slow  # each test runs the doc's scripts


@functools.cache
def output(name: str) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "math" / name)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stderr}"
    return done.stdout


def page() -> str:
    return DOC.read_text(encoding="utf-8")


def test_there_are_scripts_behind_the_page():
    assert len(SCRIPTS) >= 6


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_the_page_quotes_every_line_the_script_prints(script):
    text = page()
    lines = [line for line in output(script.name).splitlines() if line.strip()]
    assert lines, f"{script.name} printed nothing"
    missing = [line for line in lines if line not in text]
    assert not missing, f"docs/math.md lacks these lines of {script.name}:\n" + "\n".join(missing)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_the_page_names_the_script(script):
    assert f"`{script.name}`" in page() or f"examples/math/{script.name}" in page()


def test_every_measured_number_on_the_page_is_printed_by_a_script():
    printed = "\n".join(output(p.name) for p in SCRIPTS)
    text = re.sub(r"arXiv:\S+", "", page())
    found = set(MEASURED.findall(text))
    assert found, "the pattern found no numbers on the page"
    unexplained = sorted(n for n in found - CONSTANTS if n not in printed)
    assert not unexplained, f"numbers on docs/math.md that no script prints: {unexplained}"


def test_the_sections_the_code_cites_exist():
    headings = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", page(), re.MULTILINE))
    cited = set()
    for folder in ("src", "tests", "docs", "README.md"):
        paths = [ROOT / folder] if folder.endswith(".md") else (ROOT / folder).rglob("*.*")
        for path in paths:
            if path.suffix in (".py", ".md") and path.name != "math.md":
                body = path.read_text(encoding="utf-8")
                cited |= set(re.findall(r"math\.md[`'\"]?,? §(\d+(?:\.\d+)?)", body))
    assert cited, "no citations found: the pattern is out of date"
    assert cited <= headings, f"docs/math.md has no section {sorted(cited - headings)}"


def test_the_section_readme_points_to_exists():
    assert "## 4. Where fcnn departs from the seeds" in page()
