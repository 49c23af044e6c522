"""Tests of fcnn.datasets (teaching sets), fcnn.data_io (user files) and fcnn.preprocessing
(labels, split, standardisation), all imported through fcnn.datasets, which re-exports them.

Expected values come from the generators' definitions (radii, quadrants, the Gaussian
parameters), from files written here by hand, or from counting.
"""

import re
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fcnn import datasets
from fcnn.datasets import (
    DATASETS,
    Dataset,
    circles,
    decode_labels,
    digits,
    encode_labels,
    fit_standardize,
    gaussians,
    load_csv,
    load_dataset,
    load_file,
    load_npy,
    load_npz,
    moons,
    require_two_classes,
    spirals,
    standardize,
    train_test_split,
    xor,
)

GENERATORS = {"gaussians": gaussians, "moons": moons, "circles": circles, "xor": xor}
GENERATORS["spirals"] = spirals


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


# --- teaching sets ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_returns_float64_points_and_int64_labels_0_to_k_minus_1(name):
    X, y = GENERATORS[name](n_samples=90, seed=3)
    k = 3 if name == "spirals" else 2
    assert X.shape == (90, 2) and X.dtype == np.float64
    assert y.shape == (90,) and y.dtype == np.int64
    assert set(y.tolist()) == set(range(k))
    assert np.isfinite(X).all()


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_is_identical_for_the_same_seed_and_differs_for_another(name):
    X1, y1 = GENERATORS[name](n_samples=50, seed=7)
    X2, y2 = GENERATORS[name](n_samples=50, seed=7)
    X3, _ = GENERATORS[name](n_samples=50, seed=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_accepts_a_numpy_generator_as_seed_and_leaves_global_random_alone(name):
    before = np.random.get_state()[1].copy()  # noqa: NPY002 (checks the legacy global state)
    X_int, _ = GENERATORS[name](n_samples=40, seed=5)
    X_gen, _ = GENERATORS[name](n_samples=40, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(X_int, X_gen)
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_splits_samples_evenly_with_the_first_classes_one_larger(name):
    _, y = GENERATORS[name](n_samples=101, seed=0)
    k = 3 if name == "spirals" else 2
    expected = [101 // k + (c < 101 % k) for c in range(k)]
    assert np.bincount(y).tolist() == expected


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize("n_samples", [1, 0, -5, 2.5, True])
def test_generator_rejects_fewer_samples_than_classes_or_a_non_integer(name, n_samples):
    with pytest.raises(ValueError, match="n_samples"):
        GENERATORS[name](n_samples=n_samples)


@pytest.mark.parametrize("name", ["moons", "circles", "xor", "spirals"])
@pytest.mark.parametrize("noise", [-0.1, float("nan")])
def test_generator_rejects_negative_or_nan_noise(name, noise):
    with pytest.raises(ValueError, match="noise"):
        GENERATORS[name](noise=noise)


def test_gaussians_defaults_are_two_classes_of_100_around_minus_and_plus_1_5_with_seed_10():
    X, y = gaussians()
    X_explicit, y_explicit = gaussians(
        means=[[-1.5, -1.5], [1.5, 1.5]],
        covs=np.eye(2)[None].repeat(2, 0),
        counts=[100, 100],
        seed=10,
    )
    np.testing.assert_array_equal(X, X_explicit)
    np.testing.assert_array_equal(y, y_explicit)
    assert np.bincount(y).tolist() == [100, 100]


def test_gaussians_defaults_are_separated_by_a_least_squares_line_for_90_percent():
    X, y = gaussians()
    A = np.column_stack([X, np.ones(len(X))])
    w = np.linalg.lstsq(A, 2.0 * y - 1.0, rcond=None)[0]
    assert np.mean((A @ w > 0) == y) >= 0.9


def test_gaussians_sample_mean_and_covariance_match_the_parameters():
    means = [[0.0, 0.0, 0.0], [5.0, -2.0, 1.0]]
    cov = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, -0.3], [0.0, -0.3, 0.5]])
    X, y = gaussians(means=means, covs=[np.eye(3), cov], counts=[20_000, 20_000], seed=1)
    assert X.shape == (40_000, 3)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), means[1], atol=0.05)
    np.testing.assert_allclose(np.cov(X[y == 1].T), cov, atol=0.05)
    np.testing.assert_allclose(np.cov(X[y == 0].T), np.eye(3), atol=0.05)


@pytest.mark.parametrize(
    ("covs", "variances"),
    [
        (4.0, [[4.0, 4.0], [4.0, 4.0]]),
        ([0.25, 9.0], [[0.25, 0.25], [9.0, 9.0]]),
        ([[1.0, 4.0], [9.0, 0.25]], [[1.0, 4.0], [9.0, 0.25]]),
    ],
)
def test_gaussians_reads_scalar_per_class_and_diagonal_covariances(covs, variances):
    X, y = gaussians(covs=covs, counts=[20_000, 20_000], seed=2)
    for c in (0, 1):
        np.testing.assert_allclose(X[y == c].var(axis=0), variances[c], rtol=0.05)


def test_gaussians_counts_set_the_class_sizes_and_override_n_samples():
    _, y = gaussians(n_samples=10, means=[[0, 0], [1, 1], [2, 2]], counts=[5, 1, 30])
    assert np.bincount(y).tolist() == [5, 1, 30]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"covs": [[[1.0, 2.0], [2.0, 1.0]]] * 2}, "positive semi-definite"),
        ({"covs": [[[1.0, 0.5], [0.0, 1.0]]] * 2}, "symmetric"),
        ({"covs": np.ones((3, 3))}, r"covs has shape \(3, 3\)"),
        ({"counts": [100, 0]}, "counts"),
        ({"counts": [100]}, "counts"),
        ({"means": [1.0, 2.0]}, "means"),
        ({"means": [[0.0, np.nan], [1.0, 1.0]]}, "means"),
    ],
)
def test_gaussians_rejects_bad_parameters_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gaussians(**kwargs)


def test_moons_without_noise_lie_on_the_two_arcs():
    X, y = moons(n_samples=200, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    assert (upper[:, 1] >= 0).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert (lower[:, 1] <= 0.5).all()


def test_circles_without_noise_have_radius_1_and_factor():
    X, y = circles(n_samples=200, noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)


@pytest.mark.parametrize("factor", [0.0, 1.0, 1.5])
def test_circles_rejects_a_factor_outside_0_to_1(factor):
    with pytest.raises(ValueError, match="factor"):
        circles(factor=factor)


def test_xor_without_noise_labels_1_exactly_where_the_coordinates_differ_in_sign():
    X, y = xor(n_samples=400, noise=0.0, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    assert np.abs(X).max() <= 1.0
    quadrants = {(bool(a > 0), bool(b > 0)) for a, b in X}
    assert len(quadrants) == 4


def test_spirals_without_noise_sit_at_radius_t_and_angle_2pi_c_over_k_plus_turns_t():
    X, y = spirals(n_samples=300, n_classes=3, noise=0.0, turns=1.5, seed=0)
    t = np.hypot(X[:, 0], X[:, 1])
    expected = 2 * np.pi * (y / 3 + 1.5 * t)
    diff = np.angle(np.exp(1j * (np.arctan2(X[:, 1], X[:, 0]) - expected)))
    np.testing.assert_allclose(diff[t > 1e-6], 0.0, atol=1e-9)
    assert t.max() < 1.0


@pytest.mark.parametrize("n_classes", [0, -1, 2.0])
def test_spirals_rejects_a_non_positive_or_non_integer_class_count(n_classes):
    with pytest.raises(ValueError, match="n_classes"):
        spirals(n_classes=n_classes)


def test_digits_are_1797_images_of_64_pixels_scaled_to_unit_interval():
    pytest.importorskip("sklearn")
    X, y = digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))


def test_digits_without_scikit_learn_raises_import_error_with_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install 'fcnn\[sklearn\]'"):
        digits()


def test_load_dataset_passes_keyword_arguments_to_the_named_generator():
    X, y = load_dataset("spirals", n_samples=40, n_classes=4, seed=1)
    np.testing.assert_array_equal(X, spirals(n_samples=40, n_classes=4, seed=1)[0])
    assert set(DATASETS) == {"gaussians", "moons", "circles", "xor", "spirals", "digits"}


def test_load_dataset_unknown_name_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown dataset 'blobs'.*circles, digits, gaussians"):
        load_dataset("blobs")


def test_load_dataset_unknown_option_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'moons' takes no option 'nosie'.*n_samples, noise"):
        load_dataset("moons", nosie=0.1)


WRONG_TYPED = [
    ("moons", {"noise": "a"}, "noise must be a finite number >= 0 .*, got 'a'"),
    ("circles", {"factor": "x"}, "factor must be a number strictly between 0 and 1"),
    ("spirals", {"turns": "x"}, "turns must be a finite number, got 'x'"),
    ("spirals", {"n_classes": 2.5}, "n_classes must be an integer from 1 to"),
    ("xor", {"seed": "x"}, "seed must be an integer >= 0, .*, got 'x'"),
    ("moons", {"seed": -3}, "seed must be an integer >= 0, .*, got -3"),
    ("gaussians", {"covs": "x"}, r"covs must be numbers: .*\(2, 2, 2\) matrices, got 'x'"),
    ("gaussians", {"means": "x"}, r"means must be a \(k, d\) array of finite numbers"),
    ("gaussians", {"means": [[1, 2], [3]]}, r"means must be a \(k, d\) array.*\[3\]"),
    ("gaussians", {"counts": [1, "a"]}, "counts must be 2 positive integers"),
]


@pytest.mark.parametrize(("name", "kwargs", "match"), WRONG_TYPED)
def test_generators_refuse_wrong_typed_arguments_naming_them(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        DATASETS[name](**kwargs)


@pytest.mark.parametrize(("name", "kwargs", "match"), WRONG_TYPED)
def test_check_options_names_the_bad_option_with_the_prefix(name, kwargs, match):
    with pytest.raises(ValueError, match="^data.options." + match):
        datasets.check_options(name, kwargs, prefix="data.options.")


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("moons", {"n_samples": 2**63 - 1}),
        ("spirals", {"n_samples": datasets.MAX_VALUES // 2 + 1}),
        ("gaussians", {"counts": [2**62, 2**62]}),
        ("gaussians", {"means": np.zeros((2, 1000)), "n_samples": datasets.MAX_VALUES}),
    ],
)
def test_generators_refuse_sizes_over_max_values_before_allocating(name, kwargs):
    with pytest.raises(ValueError, match="at most MAX_VALUES = 20000000 numbers"):
        DATASETS[name](**kwargs)


def test_check_options_accepts_the_defaults_and_good_values_without_generating(monkeypatch):
    monkeypatch.setattr(np.random, "default_rng", None)  # generating would fail
    for name in DATASETS:
        datasets.check_options(name, {})
    datasets.check_options("gaussians", {"means": [[0, 0], [1, 1], [2, 2]], "counts": [1, 2, 3]})


def test_check_options_checks_only_the_names_of_a_dataset_added_by_the_user(monkeypatch):
    monkeypatch.setitem(DATASETS, "mine", lambda noise="loud": (None, None))
    datasets.check_options("mine", {"noise": "quiet"})
    with pytest.raises(ValueError, match="takes no option 'seed'"):
        datasets.check_options("mine", {"seed": 1})


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
    with pytest.raises(ValueError, match="no target column 3"):
        load_csv(path, target=3)


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


# --- labels ----------------------------------------------------------------------------------


def test_encode_labels_sorts_the_classes_and_decode_maps_back():
    y_idx, classes = encode_labels(["dog", "cat", "emu", "cat"])
    assert classes == ["cat", "dog", "emu"]
    assert y_idx.tolist() == [1, 0, 2, 0] and y_idx.dtype == np.int64
    assert decode_labels(y_idx, classes).tolist() == ["dog", "cat", "emu", "cat"]


# NumPy strings drop trailing NUL characters, so labels are drawn without them.
@given(st.lists(st.text(st.characters(exclude_characters="\x00"), max_size=5), min_size=1))
def test_decode_of_encode_is_the_identity_for_string_labels(labels):
    y_idx, classes = encode_labels(labels)
    assert decode_labels(y_idx, classes).tolist() == labels
    assert classes == sorted(set(labels))


@given(st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=30))
def test_decode_of_encode_is_the_identity_for_integer_labels(labels):
    y_idx, classes = encode_labels(labels)
    assert decode_labels(y_idx, classes).tolist() == labels
    assert 0 <= y_idx.min() and y_idx.max() == len(classes) - 1


def test_decode_labels_rejects_indices_out_of_range_or_not_integers():
    with pytest.raises(ValueError, match="integers in 0..1"):
        decode_labels([0, 2], ["a", "b"])
    with pytest.raises(ValueError, match="integers"):
        decode_labels([0.0, 1.0], ["a", "b"])


def test_encode_labels_rejects_a_2d_array():
    with pytest.raises(ValueError, match="1-D"):
        encode_labels(np.zeros((3, 2)))


def test_require_two_classes_rejects_one_class_naming_it():
    with pytest.raises(ValueError, match=r"needs at least two classes, found 1: \['spam'\]"):
        require_two_classes(["spam", "spam"])
    with pytest.raises(ValueError, match=r"found 1: \['ham'\]"):
        require_two_classes([1, 1, 1], classes=["spam", "ham"])
    assert require_two_classes([0, 2, 1, 2]) == 3


def test_csv_with_a_single_class_fails_the_two_class_check(tmp_path):
    ds = load_csv(write(tmp_path, "d.csv", "1,a\n2,a\n"))
    with pytest.raises(ValueError, match="found 1: \\['a'\\]"):
        require_two_classes(ds.y, ds.classes)


# --- split -----------------------------------------------------------------------------------


def test_split_sizes_are_round_of_test_fraction_times_n():
    X, y = np.arange(50.0)[:, None], np.arange(50) % 2
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_fraction=0.3, seed=1)
    assert (len(X_tr), len(X_te), len(y_tr), len(y_te)) == (35, 15, 35, 15)


def test_split_stratified_keeps_class_proportions_exactly_when_they_divide():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    _, _, y_tr, y_te = train_test_split(np.zeros((100, 1)), y, test_fraction=0.2, seed=4)
    assert np.bincount(y_te).tolist() == [12, 6, 2]
    assert np.bincount(y_tr).tolist() == [48, 24, 8]


def test_split_is_reproducible_from_seed_and_shuffles():
    X, y = np.arange(40.0)[:, None], np.repeat([0, 1], 20)
    a = train_test_split(X, y, seed=3)
    b = train_test_split(X, y, seed=3)
    c = train_test_split(X, y, seed=4)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(np.sort(a[0][:, 0]), a[0][:, 0])


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.integers(0, 3), min_size=2, max_size=80),
    test_fraction=st.floats(0.01, 0.99),
    stratify=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_split_partitions_the_rows_and_keeps_each_row_with_its_label(
    labels, test_fraction, stratify, seed
):
    y = np.array(labels)
    n = len(y)
    X = np.arange(n)[:, None]
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_fraction, seed, stratify)
    rows = np.concatenate([X_tr[:, 0], X_te[:, 0]])
    np.testing.assert_array_equal(np.sort(rows), np.arange(n))
    np.testing.assert_array_equal(y[X_tr[:, 0]], y_tr)
    np.testing.assert_array_equal(y[X_te[:, 0]], y_te)
    assert len(X_te) == min(max(round(n * test_fraction), 1), n - 1)
    if stratify:
        share = np.bincount(y, minlength=4) * len(X_te) / n
        assert (np.abs(np.bincount(y_te, minlength=4) - share) < 1).all()


@pytest.mark.parametrize(
    ("X", "y", "fraction", "match"),
    [
        (np.zeros((4, 1)), np.zeros(3), 0.5, "one label per row"),
        (np.zeros((4, 1)), np.zeros(4), 1.0, "test_fraction"),
        (np.zeros((4, 1)), np.zeros(4), 0.0, "test_fraction"),
        (np.zeros((1, 1)), np.zeros(1), 0.5, "at least 2"),
    ],
)
def test_split_rejects_bad_input(X, y, fraction, match):
    with pytest.raises(ValueError, match=match):
        train_test_split(X, y, test_fraction=fraction)


# --- standardisation -------------------------------------------------------------------------


def test_standardize_gives_mean_0_and_std_1_per_feature():
    X = np.random.default_rng(0).normal([3.0, -50.0], [0.1, 20.0], size=(500, 2))
    mean, scale = fit_standardize(X)
    Z = standardize(X, mean, scale)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0)
    assert isinstance(mean, np.ndarray) and mean.shape == (2,) and scale.shape == (2,)


def test_standardize_maps_a_constant_column_to_zero_with_scale_1():
    X = np.array([[0.1, 1.0], [0.1, 2.0], [0.1, 3.0]])
    mean, scale = fit_standardize(X)
    assert scale[0] == 1.0
    np.testing.assert_allclose(standardize(X, mean, scale)[:, 0], 0.0, atol=1e-15)


def test_standardize_applies_the_training_statistics_to_new_data():
    mean, scale = fit_standardize([[0.0, 10.0], [2.0, 30.0]])
    np.testing.assert_allclose(standardize([[4.0, 0.0]], mean, scale), [[3.0, -2.0]])


def test_standardize_rejects_statistics_of_another_width():
    with pytest.raises(ValueError, match="same features"):
        standardize(np.ones((2, 3)), np.zeros(2), np.ones(2))


def test_fit_standardize_rejects_non_finite_or_empty_input():
    with pytest.raises(ValueError, match="row 1, column 0 is inf"):
        fit_standardize([[1.0], [np.inf]])
    with pytest.raises(ValueError, match="non-empty"):
        fit_standardize(np.zeros((0, 2)))


def test_datasets_module_re_exports_the_file_loaders():
    assert datasets.load_csv is load_csv and datasets.Dataset is Dataset


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
