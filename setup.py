"""Ships docs/*.md inside the package, as ``fcnn/docs/*.md``, so that ``fcnn docs`` finds the
guides after ``pip install .`` (the repository keeps one copy, in docs/). Everything else is
in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class build_py_with_docs(build_py):  # noqa: N801 - setuptools' command naming
    """build_py, then docs/*.md copied into the built package's docs/ folder."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "fcnn" / "docs"
        target.mkdir(parents=True, exist_ok=True)
        for page in sorted((ROOT / "docs").glob("*.md")):
            self.copy_file(str(page), str(target / page.name))


setup(cmdclass={"build_py": build_py_with_docs})
