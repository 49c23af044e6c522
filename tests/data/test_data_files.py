"""Tests of the user's files (fcnn.data.files, fcnn.data.delimited, fcnn.data.columns): CSV,
.npy and .npz loaders, and load_features, the data a trained model predicts on.

Expected values come from files written here by hand.
"""

import re

import numpy as np
import pytest

from fcnn.data import datasets
from fcnn.data.files import Dataset, load_csv, load_file, load_npy, load_npz
from fcnn.data.preprocessing import decode_labels


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


# --- CSV -------------------------------------------------------------------------------------


def test_csv_round_trip_with_string_labels_maps_indices_back_to_labels(tmp_path):
    X = np.array([[0.5, -1.0], [2.0, 3.25], [1e-3, 4.0], [7.0, 8.0]])
    labels = ["setosa", "virginica", "setosa", "versicolor"]
    rows = [f"{float(a)!r},{float(b)!r},{lab}" for (a, b), lab in zip(X, labels, strict=True)]
    path = write(tmp_path, "iris.csv", "\n".join(["petal,sepal,species", *rows]) + "\n")
    ds = load_csv(path)
    assert isinstance(ds, Dataset)
    np.testing.assert_array_equal(ds.X, X)
    assert ds.classes == ["setosa", "versicolor", "virginica"]
    assert ds.y.tolist() == [0, 2, 0, 1] and ds.y.dtype == np.int64
    assert decode_labels(ds.y, ds.classes).tolist() == labels
    assert ds.feature_names == ["petal", "sepal"] and ds.target_name == "species"


def test_csv_integer_labels_are_kept_as_the_classes(tmp_path):
    path = write(tmp_path, "d.csv", "1,2,7\n3,4,3\n5,6,7.0\n")
    ds = load_csv(path)
    assert ds.classes == [3, 7]
    assert decode_labels(ds.y, ds.classes).tolist() == [7, 3, 7]


def test_csv_labels_0_to_k_minus_1_come_back_unchanged(tmp_path):
    ds = load_csv(write(tmp_path, "d.csv", "1,0\n2,2\n3,1\n"))
    assert ds.y.tolist() == [0, 2, 1] and ds.classes == [0, 1, 2]


def test_csv_without_header_reads_the_first_row_as_data_and_names_columns_x0_x1(tmp_path):
    ds = load_csv(write(tmp_path, "d.csv", "1.5,2,a\n3,4,b\n"))
    np.testing.assert_array_equal(ds.X, [[1.5, 2.0], [3.0, 4.0]])
    assert ds.feature_names == ["x0", "x1"] and ds.target_name == "x2"


def test_csv_header_is_detected_from_a_text_field_over_a_numeric_column(tmp_path):
    ds = load_csv(write(tmp_path, "d.csv", "1,height,label\n1,2,a\n3,4,b\n"))
    assert ds.feature_names == ["1", "height"] and len(ds.X) == 2


def test_csv_header_argument_overrides_the_detection(tmp_path):
    path = write(tmp_path, "d.csv", "1,2,3\n4,5,6\n7,8,9\n")
    assert len(load_csv(path).X) == 3
    ds = load_csv(path, header=True)
    assert len(ds.X) == 2 and ds.feature_names == ["1", "2"] and ds.target_name == "3"


@pytest.mark.parametrize("target", ["a", 0, -3, "0", "-3"])
def test_csv_target_is_chosen_by_name_by_index_or_by_index_as_text(tmp_path, target):
    ds = load_csv(write(tmp_path, "d.csv", "a,b,c\n0,2.5,3\n1,4.5,6\n"), target=target)
    assert ds.target_name == "a" and ds.feature_names == ["b", "c"]
    np.testing.assert_array_equal(ds.X, [[2.5, 3.0], [4.5, 6.0]])


@pytest.mark.parametrize(
    ("name", "text"), [("d.tsv", "a\tb\n1\t0\n2\t1\n"), ("d.txt", "1 0\n2  1\n")]
)
def test_tab_and_space_separated_files_are_read(tmp_path, name, text):
    ds = load_file(write(tmp_path, name, text))
    np.testing.assert_array_equal(ds.X, [[1.0], [2.0]])
    assert ds.y.tolist() == [0, 1]


def test_csv_semicolons_quotes_blank_lines_and_a_byte_order_mark_are_handled(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('\ufeff"w";"label"\n\n1.5;"yes"\n  \n2;no\n', encoding="utf-8")
    ds = load_csv(path)
    assert ds.feature_names == ["w"] and ds.classes == ["no", "yes"] and ds.y.tolist() == [1, 0]


def test_csv_non_integer_numeric_target_becomes_a_float_regression_target(tmp_path):
    ds = load_csv(write(tmp_path, "d.csv", "x,price\n1,0.5\n2,1.25\n"))
    assert ds.classes is None and ds.y.dtype == np.float64 and ds.y.tolist() == [0.5, 1.25]


def test_csv_missing_target_column_names_it_and_lists_the_columns(tmp_path):
    path = write(tmp_path, "d.csv", "width,height,label\n1,2,a\n3,4,b\n")
    with pytest.raises(ValueError, match="no target column 'species'.*width, height, label"):
        load_csv(path, target="species")
    with pytest.raises(ValueError, match="target column index 3 is out of range.*0..2"):
        load_csv(path, target=3)


def test_a_target_name_two_columns_share_is_refused_not_guessed(tmp_path):
    # it once took the first of the two columns named 'a', silently
    path = write(tmp_path, "d.csv", "a,a,y\n1,2,0\n3,4,1\n")
    with pytest.raises(ValueError, match=r"2 columns named 'a' \(indices 0, 1\); rename"):
        load_csv(path, target="a")
    by_index = load_csv(path, target=1)  # by index, as the message says
    assert by_index.classes == [2, 4] and by_index.X.tolist() == [[1, 0], [3, 1]]


def test_csv_text_in_a_feature_column_names_the_column_row_and_value(tmp_path):
    path = write(tmp_path, "d.csv", "width,height,label\n1,2,a\n3,tall,b\n")
    with pytest.raises(ValueError, match=r"row 3, column 'height': 'tall'"):
        load_csv(path)


@pytest.mark.parametrize("cell", ["", "nan", "NaN", "inf"])
def test_csv_missing_or_non_finite_feature_cell_raises_naming_the_row(tmp_path, cell):
    path = write(tmp_path, "d.csv", f"a,b,label\n1,2,x\n4,{cell},y\n")
    with pytest.raises(ValueError, match="row 3, column 'b'"):
        load_csv(path)


def test_csv_empty_label_raises_naming_the_row(tmp_path):
    with pytest.raises(ValueError, match="row 2: no label"):
        load_csv(write(tmp_path, "d.csv", "1,a\n2,\n3,b\n"))


@pytest.mark.parametrize("cell", ["NA", "N/A", "NaN", "nan", "null", "None", "#N/A", "<NA>"])
def test_csv_missing_value_marker_in_the_target_is_a_missing_label_not_a_class(tmp_path, cell):
    # as pandas.read_csv reads them: a label "NA" is missing, and naming its row beats
    # training a class called "NA"; the first missing cell, empty or marked, is named
    path = write(tmp_path, "d.csv", f"a,b,label\n1,2,cat\n3,4,{cell}\n5,6,\n")
    with pytest.raises(ValueError, match=f"row 3: {re.escape(repr(cell))} marks a missing label"):
        load_csv(path)


@pytest.mark.parametrize("cell", ["na", "Nan cat", "NAN", "none"])
def test_csv_labels_that_only_resemble_missing_markers_are_classes(tmp_path, cell):
    path = write(tmp_path, "d.csv", f"a,b,label\n1,2,cat\n3,4,{cell}\n")
    data = load_csv(path)
    assert data.classes == sorted(["cat", cell])


def test_csv_row_of_the_wrong_length_raises_naming_the_row(tmp_path):
    path = write(tmp_path, "d.csv", "a,b,label\n1,2,x\n\n3,x\n")
    with pytest.raises(ValueError, match="row 4: 2 fields where row 1 has 3"):
        load_csv(path)


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_csv_empty_file_raises(tmp_path, text):
    with pytest.raises(ValueError, match="is empty"):
        load_csv(write(tmp_path, "d.csv", text))


def test_csv_header_without_data_rows_raises(tmp_path):
    with pytest.raises(ValueError, match="header but no data rows"):
        load_csv(write(tmp_path, "d.csv", "a,b,label\n"))


def test_csv_single_column_raises_asking_for_a_target_column(tmp_path):
    with pytest.raises(ValueError, match="single column"):
        load_csv(write(tmp_path, "d.csv", "1\n2\n"))


# --- load_file, .npy, .npz -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["missing.csv", "missing.npy", "missing.npz", "missing.dat"])
def test_load_file_of_a_missing_file_says_no_such_file(tmp_path, name):
    with pytest.raises(ValueError, match="no such file: .*missing"):
        load_file(tmp_path / name)


def test_load_file_of_a_folder_says_it_is_a_folder_not_a_data_file(tmp_path):
    (tmp_path / "data.csv").mkdir()
    with pytest.raises(ValueError, match="data.csv is a folder, not a data file"):
        load_file(tmp_path / "data.csv")


def test_csv_that_is_not_utf8_names_the_file_and_suggests_utf8_csv_or_npz(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\xff\xfe\x00garbage\n")
    with pytest.raises(ValueError, match=r"bin.csv is not UTF-8 text.*UTF-8 CSV.*\.npz"):
        load_file(path)


def test_load_file_with_an_unknown_extension_lists_the_supported_ones(tmp_path):
    with pytest.raises(ValueError, match=r"unknown extension '.xlsx'.*\.csv.*\.npz"):
        load_file(write(tmp_path, "d.xlsx", "1,2\n"))


def test_npy_round_trip_takes_the_last_column_as_target(tmp_path):
    data = np.array([[0.5, 1.0, 1.0], [2.0, 3.0, 0.0], [4.0, 5.0, 1.0]])
    np.save(tmp_path / "d.npy", data)
    ds = load_file(tmp_path / "d.npy")
    np.testing.assert_array_equal(ds.X, data[:, :2])
    assert ds.y.tolist() == [1, 0, 1] and ds.classes == [0, 1]


def test_npy_holding_pickled_objects_is_refused(tmp_path):
    np.save(tmp_path / "d.npy", np.array([[1, "a"], [2, {"b": 3}]], dtype=object))
    with pytest.raises(ValueError, match="never unpickles"):
        load_npy(tmp_path / "d.npy")


def test_npy_that_is_not_a_numpy_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match="cannot read .* as a NumPy file"):
        load_npy(write(tmp_path, "d.npy", "1,2,3\n"))


def test_npy_of_one_dimension_raises_asking_for_a_2d_array(tmp_path):
    np.save(tmp_path / "d.npy", np.arange(5.0))
    with pytest.raises(ValueError, match=r"holds \(5,\); expected a 2-D"):
        load_npy(tmp_path / "d.npy")


@pytest.mark.parametrize(("x_key", "y_key"), [("X", "y"), ("x", "target"), ("data", "labels")])
def test_npz_reads_features_and_string_labels_under_the_accepted_keys(tmp_path, x_key, y_key):
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    np.savez(tmp_path / "d.npz", **{x_key: X, y_key: np.array(["b", "a", "b"])})
    ds = load_file(tmp_path / "d.npz")
    np.testing.assert_array_equal(ds.X, X)
    assert ds.classes == ["a", "b"] and ds.y.tolist() == [1, 0, 1] and ds.target_name == y_key


def test_npz_without_the_expected_keys_says_which_keys_exist(tmp_path):
    np.savez(tmp_path / "d.npz", features=np.ones((2, 2)), y=np.array([0, 1]))
    with pytest.raises(ValueError, match=r"holds the arrays \['features', 'y'\]"):
        load_npz(tmp_path / "d.npz")


def test_npz_labels_of_the_wrong_length_raise(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((3, 2)), y=np.array([0, 1]))
    with pytest.raises(ValueError, match="one label per row"):
        load_npz(tmp_path / "d.npz")


def test_npz_holding_an_object_array_is_refused(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((2, 2)), y=np.array([None, 1], dtype=object))
    with pytest.raises(ValueError, match="never unpickles"):
        load_npz(tmp_path / "d.npz")


def test_npz_features_with_nan_name_the_cell(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.array([[1.0, 2.0], [3.0, np.nan]]), y=np.array([0, 1]))
    with pytest.raises(ValueError, match="row 1, column 1 is nan"):
        load_npz(tmp_path / "d.npz")


# --- load_features: the data a trained model predicts on -------------------------------------


FEATURES = np.array([[0.5, -1.25], [2.0, 3.0], [4.5, 5.0]])


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n0.5,-1.25\n2,3\n4.5,5\n",  # features only, with a header
        "a,b,y\n0.5,-1.25,cat\n2,3,dog\n4.5,5,cat\n",  # a text target last, unread
        "0.5,-1.25\n2,3\n4.5,5\n",  # no header
    ],
)
def test_load_features_reads_a_csv_with_or_without_the_target_column(tmp_path, text):
    X, names = datasets.load_features(write(tmp_path, "d.csv", text), 2)
    np.testing.assert_array_equal(X, FEATURES)
    assert X.dtype == np.float64
    assert names == (["a", "b"] if text[0] == "a" else ["x0", "x1"])


def test_load_features_drops_a_named_target_column_wherever_it_stands(tmp_path):
    path = write(tmp_path, "d.csv", "a,label,b\n0.5,,-1.25\n2,x,3\n4.5,y,5\n")
    X, names = datasets.load_features(path, 2, target="label")  # an empty label is fine
    np.testing.assert_array_equal(X, FEATURES)
    assert names == ["a", "b"]
    X, _ = datasets.load_features(path, 2, target=1)
    np.testing.assert_array_equal(X, FEATURES)


def test_load_features_reads_a_single_feature_column(tmp_path):
    # load_file needs a target column beside the features; a model of one input does not
    X, names = datasets.load_features(write(tmp_path, "d.csv", "t\n1.5\n-2\n"), 1)
    assert X.tolist() == [[1.5], [-2.0]] and names == ["t"]


def test_load_features_reads_npy_with_or_without_the_target_and_npz_features(tmp_path):
    np.save(tmp_path / "f.npy", FEATURES)
    np.save(tmp_path / "t.npy", np.column_stack([FEATURES, [1, 0, 1]]))
    np.savez(tmp_path / "d.npz", X=FEATURES, y=np.array(["b", "a", "b"]))
    np.savez(tmp_path / "x.npz", data=FEATURES)
    for name in ("f.npy", "t.npy", "d.npz", "x.npz"):
        X, names = datasets.load_features(tmp_path / name, 2)
        np.testing.assert_array_equal(X, FEATURES)
        assert names == ["x0", "x1"]


@pytest.mark.parametrize(
    ("name", "text", "target", "match"),
    [
        ("d.csv", "a,b,c,d,y\n1,2,3,4,0\n", None, "has 5 columns but the model takes 2 features"),
        (
            "d.csv",
            "a,b\n1,2\n",
            "b",
            "without the target column .b. that leaves 1 features, but the model takes 2",
        ),
        ("d.csv", "a,b,y\n1,2,0\n", "z", "has no target column 'z'"),
        ("d.csv", "a,b,y\n1,abc,0\n", None, "row 2, column 'b': 'abc'"),
        ("d.xlsx", "1,2\n", None, "unknown extension"),
    ],
)
def test_load_features_refuses_files_that_do_not_fit(tmp_path, name, text, target, match):
    with pytest.raises(ValueError, match=match):
        datasets.load_features(write(tmp_path, name, text), 2, target)


def test_load_features_refuses_arrays_of_another_width(tmp_path):
    np.save(tmp_path / "d.npy", np.ones((3, 4)))
    with pytest.raises(ValueError, match="has 4 columns but the model takes 2"):
        datasets.load_features(tmp_path / "d.npy", 2)
    np.savez(tmp_path / "d.npz", X=np.ones((3, 3)))  # an archive's X has no target column
    with pytest.raises(ValueError, match="has 3 columns but the model takes 2"):
        datasets.load_features(tmp_path / "d.npz", 2)
    np.savez(tmp_path / "e.npz", features=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"holds the arrays \['features'\]"):
        datasets.load_features(tmp_path / "e.npz", 2)


def test_a_csv_with_quoted_padded_labels_is_split_on_its_commas(tmp_path):
    # csv.Sniffer alone took the spaces inside the quotes for the separator
    path = tmp_path / "pad.csv"
    path.write_text('x,y,label\n0.1,1," a "\n0.2,2," b "\n0.3,3," a "\n0.4,4," b "\n')
    ds = load_file(path)
    assert ds.feature_names == ["x", "y"] and ds.X.shape == (4, 2)
    assert ds.classes == ["a", "b"]


def test_a_tab_separated_file_with_semicolons_in_its_labels_is_split_on_tabs(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("1.0\t2.0\ta;b\n3.0\t4.0\tc;d\n5.0\t6.0\ta;b\n")
    ds = load_file(path)
    assert ds.X.shape == (3, 2) and ds.classes == ["a;b", "c;d"]


def test_an_npz_target_with_no_columns_is_refused(tmp_path):
    np.savez(tmp_path / "e.npz", X=np.ones((20, 2)), y=np.ones((20, 0)))
    with pytest.raises(ValueError, match="has shape \\(20, 0\\)"):
        load_file(tmp_path / "e.npz")
