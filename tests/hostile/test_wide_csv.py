"""Issue 14, item 8: a CSV line or cell over csv's default 131,072-character field limit is
data: a 25,000-column file loads, and a long text label too."""

from __future__ import annotations

import numpy as np

from fcnn.data.datasets import load_file


def test_a_25000_column_csv_loads(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 25_000)).round(3)
    path = tmp_path / "wide.csv"
    lines = [",".join(f"{v:.3f}" for v in row) + f",{i % 2}" for i, row in enumerate(X)]
    path.write_text("\n".join(lines) + "\n")
    assert len(lines[0]) > 131_072
    ds = load_file(path)
    assert ds.X.shape == (6, 25_000) and np.array_equal(ds.X, X)
    assert ds.classes == [0, 1]


def test_a_cell_over_131072_characters_is_a_label(tmp_path):
    long = "x" * 200_000
    path = tmp_path / "long.csv"
    path.write_text(f"1.0,2.0,{long}\n3.0,4.0,short\n")
    ds = load_file(path)
    assert sorted(ds.classes) == sorted([long, "short"])
