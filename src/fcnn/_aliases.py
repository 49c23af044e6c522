"""The module paths fcnn had before its subpackages, kept as aliases.

``import fcnn.io`` or ``from fcnn.run_folder import MODEL`` still work: a finder on
``sys.meta_path`` maps each old dotted name to its new module and returns that very module
object, imported only when the old name is (so ``import fcnn`` stays light, and
``monkeypatch.setattr(fcnn.run_folder, ...)`` patches the module the code uses). The one
exception is ``fcnn.validation``, split in two: its old name is a module holding the names of
both halves.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType

#: old dotted name -> the module that does its job now
ALIASES: dict[str, str] = {
    "fcnn.io": "fcnn.storage",
    "fcnn.atomic": "fcnn.storage.atomic",
    "fcnn.datasets": "fcnn.data.datasets",
    "fcnn.data_io": "fcnn.data.files",
    "fcnn.preprocessing": "fcnn.data.preprocessing",
    "fcnn.config": "fcnn.runs.config",
    "fcnn.run_data": "fcnn.runs.data",
    "fcnn.run_folder": "fcnn.runs.folder",
    "fcnn.checkpoint": "fcnn.runs.checkpoint",
    "fcnn.cli_commands": "fcnn.cli.commands",
    "fcnn._sklearn_base": "fcnn.sklearn.base",
    "fcnn._sklearn_params": "fcnn.sklearn.params",
    "fcnn._sklearn_train": "fcnn.sklearn.training",
    "fcnn.blas": "fcnn._fast.blas",
    "fcnn.workspace": "fcnn._fast.workspace",
}

#: ``fcnn.validation`` did two jobs that are now two modules: its old name shows both
_MERGED: dict[str, tuple[str, ...]] = {"fcnn.validation": ("fcnn._checks", "fcnn._inputs")}


class _AliasLoader(importlib.abc.Loader):
    """Loads an old name as the module its new name imports."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        self.spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self.spec  # the import system has just set the alias's spec


class _MergedLoader(importlib.abc.Loader):
    """Loads an old name as a module holding the public names of the modules it became."""

    def __init__(self, parts: tuple[str, ...]) -> None:
        self.parts = parts

    def exec_module(self, module: ModuleType) -> None:
        for part in map(importlib.import_module, self.parts):
            module.__dict__.update((k, v) for k, v in vars(part).items() if not k.startswith("__"))
        module.__doc__ = f"Alias of {' and '.join(self.parts)} (the old fcnn.validation)."


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds the old names of :data:`ALIASES`; every other name is left to the next finder."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in _MERGED:
            return importlib.util.spec_from_loader(fullname, _MergedLoader(_MERGED[fullname]))
        new = ALIASES.get(fullname)
        if new is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(new))


def install() -> None:
    """Put the alias finder on ``sys.meta_path`` once."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder())


def old_module(name: str) -> ModuleType:
    """``fcnn.<name>`` for an old module name (``fcnn.io``), imported now; ``AttributeError``
    for any other name, as a module's ``__getattr__`` must."""
    fullname = f"fcnn.{name}"
    if fullname not in ALIASES and fullname not in _MERGED:
        raise AttributeError(f"module 'fcnn' has no attribute {name!r}")
    return importlib.import_module(fullname)


install()
