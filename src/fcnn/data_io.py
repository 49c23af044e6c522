"""The user's own data: CSV, .npy and .npz loaders. Pure NumPy and the standard library's
``csv`` module; label encoding, the split and standardisation live in ``fcnn.preprocessing``.

Every loader returns a ``Dataset``. Labels are stored as class indices ``y`` in ``0..k-1``
with ``classes[i]`` the original label of index i, so predictions map back to the user's
labels with ``fcnn.preprocessing.decode_labels``. Errors are ``ValueError`` messages that
name the file, the row and the column at fault.
"""

import csv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fcnn.preprocessing import encode_labels, finite_features

_DELIMITERS = {".csv": None, ".txt": None, ".tsv": "\t"}  # None: sniffed
_X_KEYS = ("X", "x", "data")
_Y_KEYS = ("y", "target", "labels")
# cells that mark a missing value, as pandas.read_csv reads them by default (its na_values),
# and the empty cell: a target cell "NA" is a missing label, not a class named "NA"
MISSING = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip


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


def load_csv(
    path: str | Path,
    target: str | int | None = None,
    *,
    header: bool | None = None,
    delimiter: str | None = None,
) -> Dataset:
    """Read a CSV file of numeric feature columns and one target column.

    Args:
        path: the file; rows of equal length, blank lines skipped.
        target: the target column's name or index (an index also as a string, "-1");
            default the last column.
        header: whether the first row holds column names. By default it does when one of its
            fields is text while the later cells of that column are numbers.
        delimiter: the field separator; by default sniffed among ``, ; tab space``.

    Labels: a target column of integers keeps them as the classes; text labels map to indices
    in sorted order; non-integer numbers give a float64 regression target with classes None.
    Every row needs a label: an empty target cell, or one of pandas' missing-value markers
    (:data:`MISSING`: ``NA``, ``N/A``, ``NaN``, ``null``, ``None``, ...), raises
    ``ValueError`` naming its row.

    Returns:
        Dataset with X: (n_samples, n_features) float64 and y: (n_samples,).
    """
    path = _existing(path)
    lines, rows = _read_rows(path, delimiter)
    if len(rows[0]) < 2:
        raise ValueError(
            f"{path} has a single column; need feature columns and a target column "
            "(fields must be separated by , ; tab or space)"
        )
    names, lines, rows = _header(rows, lines, header, path)
    t = _target_index(target, names, path)
    feature_names = names[:t] + names[t + 1 :]
    feature_cells = [row[:t] + row[t + 1 :] for row in rows]
    X = _csv_features(feature_cells, lines, feature_names, path)
    target_cells = np.array([row[t] for row in rows])
    y, classes = _csv_target(target_cells, lines, f"{path}: target column {names[t]!r}")
    return Dataset(X, y, classes, feature_names, names[t])


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


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if path.is_dir():
        raise ValueError(
            f"{path} is a folder, not a data file; give the path of a .csv, .tsv, .txt, .npy "
            "or .npz file"
        )
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    return path


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
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return loaded
        with loaded:
            return {key: loaded[key] for key in loaded.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(
            f"cannot read {path} as a NumPy file ({err}); fcnn reads plain arrays only and never "
            "unpickles (allow_pickle=False): save numbers or strings with numpy.save/numpy.savez"
        ) from err


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


def _names(width: int) -> list[str]:
    return [f"x{j}" for j in range(width)]


def _even_split(sample: str) -> str | None:
    """Of ``,``, ``;`` and tab, the one that splits every non-blank line of ``sample`` into the
    same number (> 1) of fields, as csv reads them (quotes respected), the most fields if more
    than one does (a tab-separated file whose labels hold a ``;``); or None. Checked before
    csv.Sniffer, which can take the spaces inside quoted fields for the separator."""
    best, most = None, 1
    for delimiter in ",;\t":
        rows = [r for r in csv.reader(sample.splitlines(), delimiter=delimiter) if any(r)]
        widths = {len(r) for r in rows}
        if len(widths) == 1 and (width := widths.pop()) > most:  # the most fields wins
            best, most = delimiter, width
    return best


def _read_rows(path: Path, delimiter: str | None) -> tuple[list[int], list[list[str]]]:
    """The non-blank rows of a CSV file, their fields stripped, with their 1-based line numbers;
    refuses an empty file and rows of unequal length."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path} is not UTF-8 text, so not a CSV file fcnn reads (byte {exc.start}: "
            f"{exc.reason}); save it as a UTF-8 CSV, or save the arrays with numpy.savez as .npz"
        ) from None
    if delimiter is None:
        sample = "\n".join(text.splitlines()[:50])
        delimiter = _even_split(sample)
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t ").delimiter
        except csv.Error:  # no consistent separator, as in space-aligned columns
            delimiter = "," if "," in sample else " "
    lines = (line.strip() if delimiter == " " else line for line in text.splitlines())
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True)
    numbers, rows = [], []
    for row in reader:
        row = [field.strip() for field in row]
        if any(row):
            numbers.append(reader.line_num)
            rows.append(row)
    if not rows:
        raise ValueError(f"{path} is empty; expected rows of numbers with the target last")
    width = len(rows[0])
    for line, row in zip(numbers, rows, strict=True):
        if len(row) != width:
            raise ValueError(
                f"{path}, row {line}: {len(row)} fields where row {numbers[0]} has {width}; "
                "every row needs the same number of columns"
            )
    return numbers, rows


def _header(
    rows: list[list[str]], lines: list[int], header: bool | None, path: Path
) -> tuple[list[str], list[int], list[list[str]]]:
    """``(column names, line numbers, data rows)``: the first row is the header when
    ``header`` says so, or (``header=None``) when :func:`_has_header` finds one."""
    header = _has_header(rows) if header is None else header
    names = [name or f"x{j}" for j, name in enumerate(rows[0])] if header else _names(len(rows[0]))
    if header:
        lines, rows = lines[1:], rows[1:]
    if not rows:
        raise ValueError(f"{path} holds a header but no data rows")
    return names, lines, rows


def _number(text: str) -> float | None:
    """float(text), the reference parser for a cell, or None where the text is no number."""
    try:
        return float(text)
    except ValueError:
        return None


def _has_header(rows: list[list[str]]) -> bool:
    """Whether the first row names the columns: one of its fields is text while the later
    cells of that column (the first 1,000 non-empty ones) are all numbers."""
    first, rest = rows[0], rows[1:1001]
    if not rest:
        return all(_number(cell) is None for cell in first)
    for j, cell in enumerate(first):
        later = [row[j] for row in rest if row[j]]
        later_numeric = later and all(_number(c) is not None for c in later)
        if cell and _number(cell) is None and later_numeric:
            return True
    return False


def _target_index(target: str | int | None, names: list[str], path: Path) -> int:
    """The column index of ``target``: a name, an index, or an index written as a string."""
    if target is None:
        return len(names) - 1
    index = target
    if isinstance(target, str):
        index = names.index(target) if target in names else target
        if isinstance(index, str) and index.lstrip("-").isdigit():
            index = int(index)
    if isinstance(index, int | np.integer) and -len(names) <= index < len(names):
        return int(index) % len(names)
    raise ValueError(
        f"{path} has no target column {target!r}; the columns are {', '.join(names)}: "
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
            f"{path} has {width} columns; without the target column {names[drop]!r} that "
            f"leaves {width - 1} features, but the model takes {n_features}: drop --target if "
            "the file holds only features"
        )
    if width - 1 != n_features:
        raise _width_error(path, width, n_features)
    return [j for j in range(width) if j != drop]


def _width_error(path: Path, width: int, n_features: int) -> ValueError:
    return ValueError(
        f"{path} has {width} columns but the model takes {n_features} features; give a file "
        f"of {n_features} feature columns, with or without a target column"
    )


def _csv_features(
    cells: list[list[str]], lines: list[int], names: list[str], path: Path
) -> np.ndarray:
    """Feature cells, n_samples rows of n_features str, as float64; name the first bad cell."""
    try:
        X = np.array(cells, dtype=np.float64)
    except ValueError:  # parse cell by cell, text becoming NaN, to find the cell at fault
        X = np.array([[_number(cell) for cell in row] for row in cells], dtype=np.float64)
    bad = np.argwhere(~np.isfinite(X))
    if len(bad):
        i, j = bad[0]
        cell = cells[i][j]
        problem = "a missing value" if cell in MISSING or cell.lower() == "nan" else repr(cell)
        raise ValueError(
            f"{path}, row {lines[i]}, column {names[j]!r}: {problem}; feature columns must "
            "hold finite numbers (fill or drop the row, or drop the column)"
        )
    return X


def _csv_target(cells: np.ndarray, lines: list[int], where: str) -> tuple[np.ndarray, list | None]:
    """Target cells (n_samples,) of str as ``_target`` reads them: numbers where all parse."""
    missing = np.flatnonzero(np.isin(cells, MISSING))
    if missing.size:  # as pandas reads them: not a class named "NA"
        cell = str(cells[missing[0]])
        problem = "no label" if cell == "" else f"{cell!r} marks a missing label"
        raise ValueError(
            f"{where}, row {lines[missing[0]]}: {problem}; every row needs one (drop the row, "
            "or give it its label)"
        )
    try:
        labels = cells.astype(np.float64)
    except ValueError:  # text labels
        labels = cells
    return _target(labels, where)


def _target(labels: np.ndarray, where: str) -> tuple[np.ndarray, list | None]:
    """Labels (n_samples,) as (class indices, classes), or (float64 values, None) when they
    are non-integer numbers."""
    kind = labels.dtype.kind
    if kind == "f":
        if not np.isfinite(labels).all():
            raise ValueError(f"{where} holds NaN or infinite values; fill or drop those rows")
        if (labels != np.round(labels)).any():
            return labels.astype(np.float64), None
        labels = labels.astype(np.int64)
    elif kind == "S":
        labels = labels.astype(str)
    elif kind not in "biuU":
        raise ValueError(f"{where} has dtype {labels.dtype}; labels must be numbers or strings")
    return encode_labels(labels)
