"""What every data file becomes: a ``Dataset``, and the column rules the file formats share
(which column is the target, which are features, and how labels become class indices)."""

import reprlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._regular import not_regular
from .preprocessing import encode_labels


@dataclass
class Dataset:
    """A data set read from a file.

    Attributes:
        X: (n_samples, n_features) float64 features.
        y: (n_samples,) int64 class indices into ``classes``; float64 targets when the target
            column holds non-integer numbers, and then ``classes`` is None; (n_samples, k)
            float64 targets for an .npz whose target array has k > 1 columns (regression).
        classes: the original labels, ``classes[i]`` being the label of index i (sorted), or None.
        feature_names: the n_features column names (``x0``, ``x1``, ... when the file has none).
        target_name: the name of the target column.
    """

    X: np.ndarray
    y: np.ndarray
    classes: list | None
    feature_names: list[str]
    target_name: str


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if path.is_dir():
        raise ValueError(
            f"{path} is a folder, not a data file; give the path of a .csv, .tsv, .txt, .npy "
            "or .npz file"
        )
    if kind := not_regular(path):  # a FIFO or a device: refused, never read
        raise ValueError(
            f"{path} is {kind}, not a regular file; save the data to a file and give its path"
        )
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    return path


def _listed(names: list[str], most: int = 20) -> str:
    """``a, b, c``: the first ``most`` names, each cut to 40 characters (a message stays
    readable for a 25,000-column file)."""
    shown = [n if len(n) <= 40 else n[:37] + "..." for n in names[:most]]
    return ", ".join(shown) + (f", ... ({len(names) - most} more)" if len(names) > most else "")


def _names(width: int) -> list[str]:
    return [f"x{j}" for j in range(width)]


def _target_index(target: str | int | None, names: list[str], path: Path) -> int:
    """The column index of ``target``: a name, an index, or an index written as a string."""
    if target is None:
        return len(names) - 1
    index = target
    if isinstance(target, str):
        where = [j for j, name in enumerate(names) if name == target]
        if len(where) > 1:  # the first would be a guess
            raise ValueError(
                f"{path} has {len(where)} columns named {reprlib.repr(target)} (indices "
                f"{', '.join(map(str, where))}); rename them, or pass the target's index"
            )
        index = where[0] if where else target
        if isinstance(index, str) and index.lstrip("-").isdigit():
            index = int(index)
    if isinstance(index, int | np.integer) and -len(names) <= index < len(names):
        return int(index) % len(names)
    if isinstance(index, int | np.integer):
        raise ValueError(
            f"target column index {index} is out of range: {path} has {len(names)} columns "
            f"({', '.join(names)}), indices 0..{len(names) - 1} (or -{len(names)}..-1 from "
            "the end); pass one of these, or a column name"
        )
    raise ValueError(
        f"{path} has no target column {reprlib.repr(target)}; the columns are "
        f"{_listed(names)}: "
        "pass one of these names, or a column index, as target"
    )


def _feature_columns(
    names: list[str], n_features: int, target: str | int | None, path: Path
) -> list[int]:
    """The indices of the feature columns among ``names``: all of them, or all but the target
    column (``target``, else the last where there is one column more than ``n_features``)."""
    width = len(names)
    if target is None and width == n_features:
        return list(range(width))
    drop = width - 1 if target is None else _target_index(target, names, path)
    if width - 1 != n_features and target is not None:
        raise ValueError(
            f"{path} has {width} columns; without the target column "
            f"{reprlib.repr(names[drop])} that leaves {width - 1} features, but the model "
            f"takes {n_features}: drop --target if the file holds only features"
        )
    if width - 1 != n_features:
        raise _width_error(path, width, n_features)
    return [j for j in range(width) if j != drop]


def _width_error(path: Path, width: int, n_features: int) -> ValueError:
    return ValueError(
        f"{path} has {width} columns but the model takes {n_features} features; give a file "
        f"of {n_features} feature columns, with or without a target column"
    )


def _target(labels: np.ndarray, where: str) -> tuple[np.ndarray, list | None]:
    """Labels (n_samples,) as (class indices, classes), or (float64 values, None) when they
    are non-integer numbers."""
    kind = labels.dtype.kind
    if kind == "f":
        if not np.isfinite(labels).all():
            raise ValueError(f"{where} holds NaN or infinite values; fill or drop those rows")
        if (labels != np.round(labels)).any():
            return labels.astype(np.float64), None
        if (np.abs(labels) <= 2**53).all():  # whole numbers that int64 holds exactly
            labels = labels.astype(np.int64)
        # else: whole floats past 2^53 (1e20) stay the floats they are, as class labels
    elif kind == "S":
        labels = labels.astype(str)
    elif kind == "O" and all(type(v) is int for v in labels.tolist()):
        pass  # integers past int64's range, exactly (CSV labels)
    elif kind not in "biuU":
        raise ValueError(f"{where} has dtype {labels.dtype}; labels must be numbers or strings")
    return encode_labels(labels)
