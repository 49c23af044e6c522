"""The user's own data: CSV, .npy and .npz loaders. Pure NumPy and the standard library's
``csv`` module; label encoding, the split and standardisation live in ``fcnn.data.preprocessing``.

Every loader returns a ``Dataset``. Labels are stored as class indices ``y`` in ``0..k-1``
with ``classes[i]`` the original label of index i, so predictions map back to the user's
labels with ``fcnn.data.preprocessing.decode_labels``. Errors are ``ValueError`` messages that
name the file, the row and the column at fault.
"""

import zipfile
import zlib
from pathlib import Path
from tokenize import TokenError

import numpy as np

from .columns import (
    Dataset,
    _existing,
    _feature_columns,
    _names,
    _target,
    _target_index,
    _width_error,
)
from .delimited import MISSING, _csv_features, _header, _read_rows, load_csv
from .npy_headers import check_npy, check_npz
from .preprocessing import finite_features

__all__ = ["MISSING", "Dataset", "load_csv", "load_features", "load_file", "load_npy", "load_npz"]

_DELIMITERS = {".csv": None, ".txt": None, ".tsv": "\t"}  # None: sniffed
_X_KEYS = ("X", "x", "data")
_Y_KEYS = ("y", "target", "labels")


def load_file(path: str | Path, target: str | int | None = None) -> Dataset:
    """Load ``path`` by its extension: .csv/.txt (delimiter sniffed), .tsv (tabs), .npy, .npz.

    ``target`` picks the target column (CSV: a name or an index; .npy: an index; .npz: the key
    of the label array); by default the last column, or the array ``y``.
    """
    path = _existing(path)
    suffix = _suffix(path)
    if suffix == ".npy":
        return load_npy(path, target)
    if suffix == ".npz":
        return load_npz(path, target)
    return load_csv(path, target, delimiter=_DELIMITERS[suffix])


def load_features(
    path: str | Path, n_features: int, target: str | int | None = None
) -> tuple[np.ndarray, list[str]]:
    """Read the features of ``path`` (by its extension, as :func:`load_file`), with or without
    a target column: the data a trained model predicts on.

    A CSV or .npy file holds ``n_features`` columns, or one more: the target, which is dropped
    unread. That column is ``target`` (a name or an index, as in :func:`load_csv`) when given,
    else the last. An .npz archive holds the features under ``X`` (or ``x``, ``data``); any
    labels beside them are ignored.

    Args:
        path: the file.
        n_features: how many features the model takes.
        target: the column to drop; by default none, or the last when the file has
            ``n_features + 1`` columns.

    Returns:
        X: (n_samples, n_features) float64 and the n_features column names (``x0``, ``x1``,
        ... where the file has none). ``ValueError`` when the columns fit neither case.
    """
    path = _existing(path)
    suffix = _suffix(path)
    if suffix == ".npz":
        arrays = _np_archive(path)
        x_key = next((k for k in _X_KEYS if k in arrays), None)
        if x_key is None:
            raise ValueError(
                f"{path} holds the arrays {sorted(arrays)}; expected features under one of "
                f"{_X_KEYS}; write it with numpy.savez(path, X=X)"
            )
        X = finite_features(arrays[x_key], f"{path}: array {x_key!r}")
        if X.shape[1] != n_features:
            raise _width_error(path, X.shape[1], n_features)
        return X, _names(n_features)
    if suffix == ".npy":
        arr = _np_table(path, 1, "(n_samples, n_features) array, with or without a target column")
        names = _names(arr.shape[1])
        keep = _feature_columns(names, n_features, target, path)
        return finite_features(arr[:, keep], str(path)), [names[j] for j in keep]
    lines, rows = _read_rows(path, _DELIMITERS[suffix])
    names, lines, rows = _header(rows, lines, None, path)
    keep = _feature_columns(names, n_features, target, path)
    names = [names[j] for j in keep]
    return _csv_features([[row[j] for j in keep] for row in rows], lines, names, path), names


def load_npy(path: str | Path, target: int | str | None = None) -> Dataset:
    """Read a 2-D .npy array, (n_samples, n_features + 1), whose column ``target`` (default
    the last) holds the labels. Never unpickles (``allow_pickle=False``).
    """
    path = _existing(path)
    arr = _np_table(path, 2, "(n_samples, n_features + 1) array with the target in the last column")
    names = _names(arr.shape[1])
    t = _target_index(target, names, path)
    X = finite_features(np.delete(arr, t, axis=1), str(path))
    y, classes = _target(arr[:, t], f"{path}: target column {t}")
    return Dataset(X, y, classes, names[:t] + names[t + 1 :], names[t])


def load_npz(path: str | Path, target: str | None = None) -> Dataset:
    """Read an .npz archive holding features X: (n_samples, n_features) under ``X`` (or ``x``,
    ``data``) and labels y: (n_samples,) under ``target`` (default ``y``, ``target`` or
    ``labels``), as written by ``numpy.savez(path, X=X, y=y)``; a y of shape (n_samples, k),
    k > 1, holds k real-valued targets per sample (multi-output regression). Never unpickles.
    """
    path = _existing(path)
    arrays = _np_archive(path)
    x_key = next((k for k in _X_KEYS if k in arrays), None)
    y_key = target if target is not None else next((k for k in _Y_KEYS if k in arrays), None)
    if x_key is None or y_key not in arrays:
        raise ValueError(
            f"{path} holds the arrays {sorted(arrays)}; expected features under one of "
            f"{_X_KEYS} and labels under one of {_Y_KEYS} (or target=<key>); "
            "write it with numpy.savez(path, X=X, y=y)"
        )
    X = finite_features(arrays[x_key], f"{path}: array {x_key!r}")
    labels = arrays[y_key]
    if labels.ndim not in (1, 2) or len(labels) != len(X) or 0 in labels.shape:
        raise ValueError(
            f"{path}: {y_key!r} has shape {labels.shape} but {x_key!r} has {len(X)} rows; "
            f"give one label per row, ({len(X)},), or one row of targets per sample, "
            f"({len(X)}, k)"
        )
    if labels.ndim == 2 and labels.shape[1] > 1:  # several regression targets
        where = f"{path}: array {y_key!r}"
        if labels.dtype.kind not in "iuf" or not np.isfinite(labels).all():
            raise ValueError(
                f"{where} holds {labels.shape[1]} targets per row; they must be finite numbers"
            )
        return Dataset(X, labels.astype(np.float64), None, _names(X.shape[1]), y_key)
    y, classes = _target(labels.ravel(), f"{path}: array {y_key!r}")
    return Dataset(X, y, classes, _names(X.shape[1]), y_key)


def _suffix(path: Path) -> str:
    """The lower-case extension of ``path``, one of those fcnn reads."""
    suffix = path.suffix.lower()
    if suffix not in (*_DELIMITERS, ".npy", ".npz"):
        raise ValueError(
            f"cannot read {path}: unknown extension {suffix!r}; use .csv, .tsv, .txt, .npy or .npz"
        )
    return suffix


def _np_load(path: Path) -> np.ndarray | dict[str, np.ndarray]:
    """The array of an .npy file, or the arrays of an .npz archive by key; never unpickles."""
    if path.suffix.lower() == ".npy":  # the header's claims, before NumPy allocates them
        check_npy(path)
    else:
        check_npz(path)
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return loaded
        with loaded:
            return {key: loaded[key] for key in loaded.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise _np_error(path, err) from err
    except (NotImplementedError, RuntimeError, TokenError) as err:  # zip method, encryption
        raise _np_error(path, err) from err


def _np_error(path: Path, err: BaseException) -> ValueError:
    return ValueError(
        f"cannot read {path} as a NumPy file ({err}); fcnn reads plain arrays only and never "
        "unpickles (allow_pickle=False): save numbers or strings with numpy.save/numpy.savez"
    )


def _np_table(path: Path, min_width: int, expected: str) -> np.ndarray:
    """The 2-D array of an .npy file with at least ``min_width`` columns."""
    arr = _np_load(path)
    if not isinstance(arr, np.ndarray) or arr.ndim != 2 or arr.shape[1] < min_width:
        shape = arr.shape if isinstance(arr, np.ndarray) else "an .npz archive"
        raise ValueError(f"{path} holds {shape}; expected a 2-D {expected}")
    return arr


def _np_archive(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an .npz archive by key."""
    arrays = _np_load(path)
    if isinstance(arrays, np.ndarray):
        raise ValueError(f"{path} holds a single array, not an .npz archive; name it .npy")
    return arrays
