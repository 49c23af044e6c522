"""The module paths fcnn had before its subpackages keep working (fcnn._aliases): each old name
imports, is the very module object of its new home, and ``import fcnn`` stays light."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import fcnn
from fcnn._aliases import ALIASES

# the old module path, and where its job lives now
OLD_TO_NEW = dict(
    line.split()
    for line in """
    fcnn.io              fcnn.storage
    fcnn.atomic          fcnn.storage.atomic
    fcnn.datasets        fcnn.data.datasets
    fcnn.data_io         fcnn.data.files
    fcnn.preprocessing   fcnn.data.preprocessing
    fcnn.config          fcnn.runs.config
    fcnn.run_data        fcnn.runs.data
    fcnn.run_folder      fcnn.runs.folder
    fcnn.checkpoint      fcnn.runs.checkpoint
    fcnn.cli_commands    fcnn.cli.commands
    fcnn._sklearn_base   fcnn.sklearn.base
    fcnn._sklearn_params fcnn.sklearn.params
    fcnn._sklearn_train  fcnn.sklearn.training
    fcnn.blas            fcnn._fast.blas
    fcnn.workspace       fcnn._fast.workspace
    """.strip().splitlines()
)


def test_the_alias_table_is_the_one_under_test():
    assert ALIASES == OLD_TO_NEW


@pytest.mark.parametrize(("old", "new"), sorted(OLD_TO_NEW.items()))
def test_an_old_module_path_imports_the_same_module_object_as_the_new_one(old, new):
    assert importlib.import_module(old) is importlib.import_module(new)
    assert sys.modules[old] is sys.modules[new]


@pytest.mark.parametrize(("old", "new"), sorted(OLD_TO_NEW.items()))
def test_an_aliased_module_keeps_its_own_name_and_spec(old, new):
    module = importlib.import_module(old)
    assert module.__name__ == new and module.__spec__.name == new


def test_from_imports_of_old_paths_give_the_new_objects():
    from fcnn.config import DEFAULTS
    from fcnn.data_io import load_csv
    from fcnn.io import load, load_checkpoint, save
    from fcnn.run_folder import MODEL

    from fcnn.data.files import load_csv as new_load_csv
    from fcnn.runs import config, folder
    from fcnn.storage import checkpoint_file, model_file

    assert (load, save, load_checkpoint) == (
        model_file.load,
        model_file.save,
        checkpoint_file.load_checkpoint,
    )
    assert DEFAULTS is config.DEFAULTS and MODEL == folder.MODEL and load_csv is new_load_csv


def test_patching_an_old_path_patches_the_module_the_code_uses(monkeypatch):
    import fcnn.run_folder

    from fcnn.runs import folder

    monkeypatch.setattr(fcnn.run_folder, "MODEL", "patched.safetensors")
    assert folder.MODEL == "patched.safetensors"


def test_old_module_names_are_attributes_of_the_package():
    assert fcnn.io is importlib.import_module("fcnn.storage")
    assert fcnn.datasets is importlib.import_module("fcnn.data.datasets")
    assert fcnn.io.load is fcnn.load and fcnn.datasets.gaussians(n_samples=4)[0].shape == (4, 2)


def test_the_old_validation_module_holds_the_names_of_both_halves():
    import fcnn.validation

    from fcnn import _checks, _inputs

    assert fcnn.validation.check_number is _checks.check_number
    assert fcnn.validation.check_seed is _checks.check_seed
    assert fcnn.validation.as_features is _inputs.as_features
    assert fcnn.validation.as_pair is _inputs.as_pair


def test_an_unknown_attribute_of_the_package_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        fcnn.nope  # noqa: B018
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("fcnn.nope")


def test_no_module_of_fcnn_shadows_the_standard_library():
    names = {p.stem for p in Path(fcnn.__file__).parent.rglob("*.py")}
    names |= {p.name for p in Path(fcnn.__file__).parent.rglob("*") if p.is_dir()}
    assert "io" not in names and not names & set(sys.stdlib_module_names)


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}; import sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


@pytest.mark.slow
def test_import_fcnn_imports_no_figures_no_scikit_learn_and_no_subsystem_it_does_not_need():
    loaded = _modules_after("import fcnn")
    heavy = {"matplotlib", "sklearn", "scipy", "pandas", "torch", "tomli_w", "tomllib"}
    assert not {m.split(".")[0] for m in loaded} & heavy
    # the third-party packages it imported before the subpackages (certifi comes with tqdm)
    third_party = {m.split(".")[0] for m in loaded} - set(sys.stdlib_module_names)
    third_party = {m for m in third_party if not m.startswith("_")}
    assert third_party <= {"fcnn", "numpy", "safetensors", "tqdm", "certifi", "cython_runtime"}
    lazy = {"fcnn.plots", "fcnn.cli", "fcnn.runs", "fcnn.sklearn"}
    assert not {m for m in loaded if m.startswith(tuple(lazy))}
    assert not {m for m in loaded if m in OLD_TO_NEW and m not in ("fcnn.datasets", "fcnn.io")}


@pytest.mark.slow
def test_old_paths_import_in_a_fresh_interpreter():
    loaded = _modules_after("import fcnn.io, fcnn.run_folder, fcnn.cli_commands")
    assert {"fcnn.storage", "fcnn.runs.folder", "fcnn.cli.commands"} <= loaded
