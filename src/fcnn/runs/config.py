"""Run configuration: defaults, TOML files, command-line overrides and their validation.

A configuration is a plain dict of three sections, ``data``, ``network`` and ``training``
(every key, its default and its meaning: ``docs/cli.md``, "Config file"). It resolves in
one order,

    DEFAULTS  <-  the TOML file (``fcnn train --config``)  <-  command-line flags,

and :func:`validate` checks every value once, here, before any data is read or any network
is built. The resolved dict is what a run folder's ``config.toml`` holds (:func:`dump`); the
flag that sets each key is in ``fcnn.cli.flags``.
"""

from __future__ import annotations

import copy
import difflib
import inspect
import math
import re
import sys
from pathlib import Path
from typing import Any

import tomli_w

from .. import activations, init, losses, optim
from .._checks import DTYPES
from .._regular import not_regular
from ..data.datasets import DATASETS, check_options
from ..network import REDUCTIONS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULTS: dict[str, dict[str, Any]] = {
    "data": {
        "dataset": "gaussians",
        "file": "",
        "target": "",
        "val_split": 0.0,
        "standardize": False,
        "options": {},
    },
    "network": {
        "layers": [2, 2, 2],
        "activation": "tanh",
        "output": "softmax",
        "loss": "mse+ce",
        "reduction": "mean",
        "init": "xavier",
        "dtype": "float64",
    },
    "training": {
        "optimizer": "gd",
        "lr": 0.5,
        "schedule": "constant",
        "epochs": 300,
        "batch_size": 0,
        "l2": 0.0,
        "early_stopping": False,
        "patience": 10,
        "seed": 10,
        "record_params": "auto",
        "checkpoint_every": 0,
    },
}

AUTO = "auto"

# key -> the names it may take (read when validating, so registered activations count)
_CHOICES = {
    "data.dataset": lambda: tuple(DATASETS),
    "network.activation": activations.names,
    "network.output": lambda: losses.OUTPUTS,
    "network.loss": lambda: losses.LOSSES,
    "network.reduction": lambda: REDUCTIONS,
    "network.init": lambda: tuple(init.INITIALISERS),
    "network.dtype": lambda: DTYPES,
    "training.optimizer": lambda: tuple(optim.OPTIMIZERS),
    "training.schedule": lambda: tuple(optim.SCHEDULES),
}
# key -> (test, what the value must be)
_RANGES = {
    "data.val_split": (lambda v: 0 <= v < 1, "a fraction in [0, 1)"),
    "training.lr": (lambda v: v > 0, "a number > 0"),
    "training.epochs": (lambda v: v >= 1, "an integer >= 1"),
    "training.batch_size": (lambda v: v >= 0, "an integer >= 0 (0 = full batch)"),
    "training.l2": (lambda v: v >= 0, "a number >= 0"),
    "training.patience": (lambda v: v >= 1, "an integer >= 1"),
    "training.seed": (lambda v: v >= 0, "an integer >= 0"),
    "training.checkpoint_every": (
        lambda v: v >= 0,
        "an integer >= 0 (0 = at the start, the end and on Ctrl-C only)",
    ),
}


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML config file (UTF-8, a byte-order mark allowed); ``ValueError`` naming the
    file if it is missing, a folder or malformed."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a config file; give the path of a TOML file")
    if kind := not_regular(path):  # a FIFO or a device: refused, never read
        raise ValueError(f"{path} is {kind}, not a regular file; save the config to a file")
    if not path.is_file():
        raise ValueError(f"no such config file: {path}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path} is not a UTF-8 text file ({exc}); save the config as UTF-8 TOML"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with ``overrides`` laid over it, table by table."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve(
    config_path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``DEFAULTS`` <- the file at ``config_path`` <- ``overrides``, validated.

    ``overrides`` has the config's nesting (``{"training": {"lr": 0.1}}``). Data choices
    from the flags win over the file's: a ``dataset`` override clears the file's ``file``
    and its ``target`` (a column of that file), and, when it names another data set, the
    file's dataset ``options``.
    """
    base = validate(merge(DEFAULTS, load_toml(config_path))) if config_path else DEFAULTS
    overrides = overrides or {}
    data = overrides.get("data", {})
    if "dataset" in data and "file" not in data:
        base = merge(base, {"data": {"file": "", "target": DEFAULTS["data"]["target"]}})
        if data["dataset"] != base["data"]["dataset"]:
            base["data"]["options"] = {}
    cfg = merge(base, overrides)
    return validate(cfg)


def validate(cfg: dict[str, Any]) -> dict[str, Any]:
    """Check every section, key, type and value of ``cfg``; return a normalised copy.

    Missing keys take their defaults; ints are accepted for float keys. Raises ``ValueError``
    naming the key (``training.lr``), the value and the fix.
    """
    if not isinstance(cfg, dict):
        raise ValueError(f"a config must be a table of sections, got {type(cfg).__name__}")
    _unknown(cfg, DEFAULTS, "section", "the config")
    out: dict[str, dict[str, Any]] = {}
    for section, defaults in DEFAULTS.items():
        given = cfg.get(section, {})
        if not isinstance(given, dict):
            raise ValueError(f"[{section}] must be a table of keys, got {given!r}")
        _unknown(given, defaults, "key", f"[{section}]")
        out[section] = {}
        for key, default in defaults.items():
            value = copy.deepcopy(given.get(key, default))
            out[section][key] = _check_value(f"{section}.{key}", value, default)
    _check_activation_count(out["network"])
    losses.check(out["network"]["loss"], out["network"]["output"])
    if not out["data"]["file"]:
        if out["data"]["target"]:
            raise ValueError(
                f"data.target = {out['data']['target']!r} names a column of a data file, but "
                "there is no data.file (--data); the built-in datasets have their own targets: "
                "give --data FILE, or drop --target"
            )
        _check_dataset_options(out["data"]["dataset"], out["data"]["options"])
    return out


def dump(cfg: dict[str, Any]) -> str:
    """The TOML text of a resolved config, for a run folder's ``config.toml``."""
    header = "# fcnn run configuration, resolved: defaults <- --config file <- flags\n\n"
    return header + _inline_arrays(tomli_w.dumps(cfg))


#: a multi-line array as tomli_w writes it: ``key = [``, one item a line, ``]``
_MULTILINE_ARRAY = re.compile(r"^(.+ = )\[\n((?:    [^\n]*,\n)+)\]$", re.MULTILINE)


def _inline_arrays(text: str, width: int = 88) -> str:
    """``text`` with every array that fits in ``width`` characters on one line
    (``layers = [2, 16, 16, 3]``, not one number a line as tomli_w writes them)."""

    def one_line(m: re.Match[str]) -> str:
        items = [item.strip().rstrip(",") for item in m[2].splitlines()]
        line = f"{m[1]}[{', '.join(items)}]"
        return line if len(line) <= width else m[0]

    return _MULTILINE_ARRAY.sub(one_line, text)


def suggestion(value: Any, names: Any) -> str:
    """``"did you mean 'relu'? "`` for the name among ``names`` closest to ``value``, ignoring
    case (``ReLU``, ``Adam``), or ``""`` when none is close: one rule for every named option."""
    lower = {str(n).lower(): str(n) for n in names}
    close = difflib.get_close_matches(str(value).lower(), list(lower), n=1)
    if not close:
        return ""
    case = " (names are lower case)" if close[0] == str(value).lower() else ""
    return f"did you mean {lower[close[0]]!r}{case}? "


def network_kwargs(cfg: dict[str, Any]) -> dict[str, Any]:
    """The ``fcnn.Network`` arguments a resolved config describes (weights seeded by
    ``training.seed``). The layers must be numbers: see :func:`fill_layers`."""
    net = cfg["network"]
    return {
        "sizes": list(net["layers"]),
        "activation": net["activation"],
        "output": net["output"],
        "loss": net["loss"],
        "reduction": net["reduction"],
        "init": net["init"],
        "seed": cfg["training"]["seed"],
        "dtype": net["dtype"],
    }


def fill_layers(cfg: dict[str, Any], n_features: int, n_outputs: int) -> dict[str, Any]:
    """A copy of ``cfg`` whose ``"auto"`` layer widths are the data's feature and output
    counts."""
    out = copy.deepcopy(cfg)
    layers = out["network"]["layers"]
    if layers[0] == AUTO:
        layers[0] = int(n_features)
    if layers[-1] == AUTO:
        layers[-1] = int(n_outputs)
    return out


# ------------------------------------------------------------------------------ helpers


def _unknown(given: dict[str, Any], known: dict[str, Any], kind: str, where: str) -> None:
    for name in given:
        if name not in known:
            hint = suggestion(name, known)
            raise ValueError(f"unknown {kind} {name!r} in {where}; {hint}valid: {', '.join(known)}")


def _check_value(key: str, value: Any, default: Any) -> Any:
    if key == "network.layers":
        return _check_layers(value)
    if key == "network.activation" and isinstance(value, list):
        if not value:
            raise ValueError(f"{key} is an empty list; give one name, or one per hidden layer")
        return [_check_value(key, v, default) for v in value]
    if key == "training.record_params":
        if type(value) is bool or value == AUTO:
            return value
        raise ValueError(f"{key} = {value!r}; expected true, false or 'auto'")
    if key == "data.options":
        if not isinstance(value, dict):
            raise ValueError(f"{key} must be a table of the dataset's arguments, got {value!r}")
        return value
    value = _check_type(key, value, default)
    if key in _CHOICES and value not in (names := _CHOICES[key]()):
        hint = suggestion(value, names)
        raise ValueError(f"{key} = {value!r} is unknown; {hint}choose one of {', '.join(names)}")
    if key in _RANGES:
        test, what = _RANGES[key]
        if not test(value):
            raise ValueError(f"{key} = {value!r} is out of range; it must be {what}")
    return value


def _check_type(key: str, value: Any, default: Any) -> Any:
    """``value`` with the type of ``default`` (an int is taken for a float)."""
    kind = type(default)
    if kind is float and type(value) is int:
        value = float(value)
    if type(value) is not kind:
        raise ValueError(
            f"{key} = {value!r} has the wrong type; expected {_TYPE_NAMES[kind]}, "
            f"like the default {default!r}"
        )
    if kind is float and not math.isfinite(value):
        raise ValueError(f"{key} = {value!r}; expected a finite number")
    return value


_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _check_layers(layers: Any) -> list[int | str]:
    valid = (
        isinstance(layers, list)
        and len(layers) >= 2
        and all(
            (n == AUTO and i in (0, len(layers) - 1)) or (type(n) is int and n >= 1)
            for i, n in enumerate(layers)
        )
    )
    if not valid:
        raise ValueError(
            f"network.layers = {layers!r}; give at least two positive integer widths, input "
            "first (e.g. [2, 16, 16, 3]); the first and last may be 'auto' (from the data)"
        )
    return layers


def _check_activation_count(network: dict[str, Any]) -> None:
    names, n_hidden = network["activation"], len(network["layers"]) - 2
    if isinstance(names, list) and len(names) != n_hidden:
        raise ValueError(
            f"network.activation lists {len(names)} names for {n_hidden} hidden layers; "
            "give one name for all, or one per hidden layer"
        )


def _check_dataset_options(dataset: str, options: dict[str, Any]) -> None:
    params = inspect.signature(DATASETS[dataset]).parameters
    for name in options:
        if name not in params:
            valid = ", ".join(params) or "none"
            raise ValueError(
                f"data.options has {name!r}, which dataset {dataset!r} does not take; "
                f"its options: {valid}"
            )
    check_options(dataset, options, prefix="data.options.")
