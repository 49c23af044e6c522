"""``fcnn docs [NAME]``: the guides shipped with fcnn, printed in the terminal.

A wheel carries docs/*.md as ``fcnn/docs/*.md`` (setup.py copies them at build time); a
source checkout, or an editable install, reads the repository's docs/ itself. So the help's
pointer to the documentation holds wherever fcnn was installed from.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..runs.config import suggestion

_PACKAGE = Path(__file__).resolve().parents[1]  # .../fcnn


def docs_dir() -> Path:
    """The folder of the guides: the installed ``fcnn/docs``, else the checkout's ``docs/``;
    ``FileNotFoundError`` when neither holds them."""
    for folder in (_PACKAGE / "docs", _PACKAGE.parents[1] / "docs"):
        if any(folder.glob("*.md")):
            return folder
    raise FileNotFoundError(
        f"the fcnn guides are not installed beside {_PACKAGE}; reinstall fcnn from a wheel or "
        "a source checkout (pip install fcnn), whose docs/ they come from"
    )


def pages() -> dict[str, Path]:
    """``{name: path}`` of every guide, ``cli`` for docs/cli.md."""
    return {p.stem: p for p in sorted(docs_dir().glob("*.md"))}


def _title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def show(args: argparse.Namespace) -> int:
    """``fcnn docs``: the guides and where they are; ``fcnn docs NAME``: one guide's text."""
    found = pages()
    if not args.name:
        print(f"fcnn's guides, in {docs_dir()}; print one with: fcnn docs NAME")
        width = max(map(len, found))
        for name, path in found.items():
            print(f"  {name:<{width}}  {_title(path)}")
        return 0
    name = args.name.removesuffix(".md").lower()
    if name not in found:
        raise ValueError(
            f"no guide {args.name!r}; {suggestion(name, found)}the guides: {', '.join(found)}"
        )
    print(found[name].read_text(encoding="utf-8"), end="")
    return 0


def build_parser(p: argparse.ArgumentParser) -> None:
    """The arguments of ``fcnn docs``."""
    p.add_argument(
        "name",
        metavar="NAME",
        nargs="?",
        help="a guide to print, e.g. cli (the command line and config), math, reliability "
        "(default: list them and where they are installed)",
    )
