"""Tests of fcnn.datasets (fcnn.data.datasets): the teaching sets, and the re-export of the
file loaders and preprocessing that makes it the one place to import data from.

Expected values come from the generators' definitions (radii, quadrants, the Gaussian
parameters) or from counting.
"""

import sys

import numpy as np
import pytest

from fcnn.data import datasets
from fcnn.data.datasets import (
    DATASETS,
    Dataset,
    circles,
    digits,
    gaussians,
    load_csv,
    load_dataset,
    moons,
    spirals,
    xor,
)

GENERATORS = {"gaussians": gaussians, "moons": moons, "circles": circles, "xor": xor}
GENERATORS["spirals"] = spirals


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
        pytest.param(
            "gaussians",
            {"means": np.zeros((2, 1000)), "n_samples": datasets.MAX_VALUES},
            marks=pytest.mark.slow,
        ),
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


def test_datasets_module_re_exports_the_file_loaders():
    assert datasets.load_csv is load_csv and datasets.Dataset is Dataset
