"""The README's Python examples run as written, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_python_examples_run(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 2  # the library's first steps and the population
    monkeypatch.chdir(tmp_path)  # the examples write a model file
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own README
    assert (tmp_path / "model.safetensors").is_file()
    assert namespace["pop"].K == 100 and namespace["net"].seed in range(100)
    printed = capsys.readouterr().out.split("\n")
    assert printed[-2] == "0"  # no start of the seed study fails on seed 000's Gaussians
