"""Tests of fcnn.data.preprocessing: label encoding, the train/test split and standardisation.

Expected values come from counting and from the definitions (mean 0, standard deviation 1).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fcnn.data.files import load_csv
from fcnn.data.preprocessing import (
    decode_labels,
    encode_labels,
    fit_standardize,
    require_two_classes,
    standardize,
    train_test_split,
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


# --- labels ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([1.0, np.nan, 2.0], "label nan at row 1 is not a class"),
        ([1.0, 2.0, -np.inf], "label -inf at row 2 is not a class"),
        (["a", 1, None], "labels mix NoneType, int, str; give labels of one type"),
    ],
)
def test_encode_labels_refuses_missing_and_mixed_labels_by_name(labels, message):
    # NaN became a class of its own, and mixed types raised TypeError from the sort
    with pytest.raises(ValueError, match=message):
        encode_labels(labels)


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
