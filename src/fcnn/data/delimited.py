"""Delimited text files (.csv, .tsv, .txt): the delimiter sniffed, the header detected, and
every bad cell named by its row and column. The standard library's ``csv`` module reads the
rows; :mod:`fcnn.data.columns` picks the target."""

import csv
import re
import reprlib
from pathlib import Path

import numpy as np

from .. import memory
from .columns import Dataset, _existing, _names, _target, _target_index

# cells that mark a missing value, as pandas.read_csv reads them by default (its na_values),
# and the empty cell: a target cell "NA" is a missing label, not a class named "NA"
MISSING = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip

_INTEGER = re.compile(r"[+-]?[0-9]+")


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
    y, classes = _csv_target(target_cells, lines, f"{path}: target column {reprlib.repr(names[t])}")
    return Dataset(X, y, classes, feature_names, names[t])


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
    # wide files are data: no cell can be longer than the text (csv's default is 131,072)
    csv.field_size_limit(max(csv.field_size_limit(), min(len(text) + 1, 2**31 - 1)))
    if delimiter is None:
        sample = "\n".join(text.splitlines()[:50])
        delimiter = _even_split(sample)
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t ").delimiter
        except csv.Error:  # no consistent separator, as in space-aligned columns
            delimiter = "," if "," in sample else " "
    _check_parse_memory(text, delimiter, path)
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


#: bytes a parsed cell costs: a str object, its slot in the row's list, its float64
CELL_BYTES = 80


def _check_parse_memory(text: str, delimiter: str, path: Path) -> None:
    """Refuse a file whose cells, once parsed into Python strings, would not fit: counted
    from the separators and line breaks (``fcnn.memory``)."""
    cells = text.count(delimiter) + text.count("\n") + 1
    memory.check(
        cells * CELL_BYTES + 2 * len(text),
        f"{path} ({len(text)} characters, up to {cells} cells)",
        "split the file, or save the arrays with numpy.savez as .npz (read without copies)",
    )


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
        problem = (
            "a missing value" if cell in MISSING or cell.lower() == "nan" else reprlib.repr(cell)
        )
        raise ValueError(
            f"{path}, row {lines[i]}, column {reprlib.repr(names[j])}: {problem}; feature "
            "columns must hold finite numbers (fill or drop the row, or drop the column)"
        )
    return X


def _csv_target(cells: np.ndarray, lines: list[int], where: str) -> tuple[np.ndarray, list | None]:
    """Target cells (n_samples,) of str as ``_target`` reads them: numbers where all parse."""
    missing = np.flatnonzero(np.isin(cells, MISSING))
    if missing.size:  # as pandas reads them: not a class named "NA"
        cell = str(cells[missing[0]])
        problem = "no label" if cell == "" else f"{reprlib.repr(cell)} marks a missing label"
        raise ValueError(
            f"{where}, row {lines[missing[0]]}: {problem}; every row needs one (drop the row, "
            "or give it its label)"
        )
    return _target(_label_values(cells), where)


def _label_values(cells: np.ndarray) -> np.ndarray:
    """Target cells as what they are: integers exactly (int64, or Python ints past its
    range), else floats where every cell is a number, else the text."""
    if all(_INTEGER.fullmatch(c) for c in cells.tolist()):
        values = [int(c) for c in cells.tolist()]
        if all(-(2**63) <= v < 2**63 for v in values):
            return np.array(values, dtype=np.int64)
        return np.array(values, dtype=object)  # any size: np.unique sorts Python ints
    try:
        return cells.astype(np.float64)
    except ValueError:  # text labels
        return cells
