"""Teaching data sets: small 2-D classification problems drawn from a seeded generator.

Every generator returns ``(X, y)`` with ``X: (n_samples, n_features)`` float64 (two features,
except ``digits`` and d-dimensional ``gaussians``) and ``y: (n_samples,)`` int64 class indices
``0..k-1``. Rows come grouped by class (class 0 first); shuffle them with
``train_test_split`` or the trainer. Randomness comes only from ``seed`` (an int or a
``numpy.random.Generator``); the global ``np.random`` is never touched.

Loaders for the user's own files (``fcnn.data_io``), label encoding, the split and
standardisation (``fcnn.preprocessing``) are re-exported here, so ``fcnn.datasets`` is the one
place to import data from.
"""

from collections.abc import Callable

import numpy as np

from fcnn.data_io import Dataset, load_csv, load_features, load_file, load_npy, load_npz
from fcnn.preprocessing import (
    decode_labels,
    encode_labels,
    fit_standardize,
    require_two_classes,
    standardize,
    train_test_split,
)

__all__ = [
    "DATASETS",
    "GAUSSIAN_MEANS",
    "Dataset",
    "circles",
    "decode_labels",
    "digits",
    "encode_labels",
    "fit_standardize",
    "gaussians",
    "load_csv",
    "load_dataset",
    "load_features",
    "load_file",
    "load_npy",
    "load_npz",
    "moons",
    "require_two_classes",
    "spirals",
    "standardize",
    "train_test_split",
    "xor",
]

Seed = int | np.random.Generator | None
XY = tuple[np.ndarray, np.ndarray]

GAUSSIAN_MEANS = ((-1.5, -1.5), (1.5, 1.5))


def gaussians(
    n_samples: int = 200,
    means=None,
    covs=None,
    counts=None,
    seed: Seed = 10,
) -> XY:
    """Samples of k classes, class c drawn from the Gaussian N(means[c], covs[c]).

    The defaults stand for the seed course report's data, "two 2-D Gaussians with seed 10",
    whose means and covariances the report does not give: two classes with means (-1.5, -1.5)
    and (1.5, 1.5), identity covariance, 100 samples each, ``seed=10``. The means lie 4.24
    standard deviations apart, so the classes overlap a little: the best straight line
    misclassifies about 1.7% of the points in expectation.

    Args:
        n_samples: total number of samples, split as evenly as possible over the k classes
            (the first classes get one more); ignored when ``counts`` is given.
        means: (k, d) class means; default ``GAUSSIAN_MEANS``.
        covs: covariances, one of: a scalar variance shared by all classes, (k,) one variance
            per class, (k, d) one diagonal per class, or (k, d, d) full matrices; default 1.0.
        counts: (k,) samples per class, each at least 1.
        seed: int or ``numpy.random.Generator``.

    Returns:
        X: (n_samples, d) float64, y: (n_samples,) int64 in 0..k-1.
    """
    means = np.array(GAUSSIAN_MEANS if means is None else means, dtype=np.float64)
    if means.ndim != 2 or 0 in means.shape or not np.isfinite(means).all():
        raise ValueError(f"means={means!r}; pass a finite (k, d) array, one row per class")
    k, d = means.shape
    covs = _covariances(1.0 if covs is None else covs, k, d)
    counts = _class_counts(n_samples, k) if counts is None else _check_counts(counts, k)
    rng = np.random.default_rng(seed)
    X = np.concatenate(
        [rng.multivariate_normal(m, c, size=n) for m, c, n in zip(means, covs, counts, strict=True)]
    )
    return X, _labels(counts)


def moons(n_samples: int = 200, noise: float = 0.1, seed: Seed = 0) -> XY:
    """Two interleaving half circles: class 0 the upper arc of the unit circle, class 1 the
    lower arc shifted to (1, 0.5), as scikit-learn's ``make_moons``.

    Angles are uniform on [0, pi]; ``noise`` is the standard deviation of Gaussian noise added
    to each coordinate. Returns X: (n_samples, 2) float64, y: (n_samples,) int64 in {0, 1}.
    """
    counts = _class_counts(n_samples, 2)
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    t0, t1 = (rng.uniform(0.0, np.pi, n) for n in counts)
    X = np.concatenate(
        [
            np.column_stack([np.cos(t0), np.sin(t0)]),
            np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)]),
        ]
    )
    return X + noise * rng.standard_normal(X.shape), _labels(counts)


def circles(n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, seed: Seed = 0) -> XY:
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor`` (0 < factor < 1).

    Angles are uniform on [0, 2 pi); ``noise`` is the standard deviation of Gaussian noise added
    to each coordinate. Returns X: (n_samples, 2) float64, y: (n_samples,) int64 in {0, 1}.
    """
    counts = _class_counts(n_samples, 2)
    noise = _check_noise(noise)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor={factor!r}; the inner radius must lie strictly between 0 and 1")
    rng = np.random.default_rng(seed)
    X = np.concatenate([_ring(rng, n, r) for n, r in zip(counts, (1.0, factor), strict=True)])
    return X + noise * rng.standard_normal(X.shape), _labels(counts)


def xor(n_samples: int = 200, noise: float = 0.1, seed: Seed = 0) -> XY:
    """The XOR problem: points uniform in the unit squares of the four quadrants.

    Class 0 fills the quadrants where the coordinates share a sign (x0 * x1 > 0), class 1 the
    two others, so no straight line separates them. ``noise`` is the standard deviation of
    Gaussian noise added to each coordinate.
    Returns X: (n_samples, 2) float64, y: (n_samples,) int64 in {0, 1}.
    """
    counts = _class_counts(n_samples, 2)
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    parts = []
    for c, n in enumerate(counts):
        s0 = rng.choice([-1.0, 1.0], size=n)
        s1 = s0 if c == 0 else -s0
        parts.append(rng.uniform(0.0, 1.0, (n, 2)) * np.column_stack([s0, s1]))
    X = np.concatenate(parts)
    return X + noise * rng.standard_normal(X.shape), _labels(counts)


def spirals(
    n_samples: int = 300,
    n_classes: int = 3,
    noise: float = 0.05,
    turns: float = 1.0,
    seed: Seed = 0,
) -> XY:
    """Interleaved spiral arms, one per class (the CS231n "spiral" data).

    Point i of class c sits at radius t and angle 2 pi (c / k + turns * t), with t uniform on
    [0, 1); ``noise`` is the standard deviation of Gaussian noise added to each coordinate.
    Returns X: (n_samples, 2) float64, y: (n_samples,) int64 in 0..n_classes-1.
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, int | np.integer) or n_classes < 1:
        raise ValueError(f"n_classes={n_classes!r}; pass a positive integer")
    counts = _class_counts(n_samples, n_classes)
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    parts = []
    for c, n in enumerate(counts):
        t = rng.uniform(0.0, 1.0, n)
        angle = 2.0 * np.pi * (c / n_classes + turns * t)
        parts.append(t[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]))
    X = np.concatenate(parts)
    return X + noise * rng.standard_normal(X.shape), _labels(counts)


def digits() -> XY:
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes).

    Returns X: (1797, 64) float64 pixel intensities scaled from 0..16 to [0, 1], and
    y: (1797,) int64 digits 0..9. Needs scikit-learn (``pip install 'fcnn[sklearn]'``).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise ImportError(
            "the digits dataset needs scikit-learn: pip install 'fcnn[sklearn]'"
        ) from err
    bunch = load_digits()
    return bunch.data.astype(np.float64) / 16.0, bunch.target.astype(np.int64)


DATASETS: dict[str, Callable[..., XY]] = {
    "gaussians": gaussians,
    "moons": moons,
    "circles": circles,
    "xor": xor,
    "spirals": spirals,
    "digits": digits,
}


def load_dataset(name: str, **kwargs) -> XY:
    """Generate the teaching set ``name`` (a key of ``DATASETS``), passing ``kwargs`` on.

    Returns X: (n_samples, n_features) float64, y: (n_samples,) int64 class indices.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(sorted(DATASETS))}")
    return DATASETS[name](**kwargs)


def _class_counts(n_samples: int, k: int) -> np.ndarray:
    """(k,) counts summing to n_samples, as even as possible, the first classes one larger."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer):
        raise ValueError(f"n_samples={n_samples!r}; pass an integer")
    if n_samples < k:
        raise ValueError(f"n_samples={n_samples} is fewer than the {k} classes; pass at least {k}")
    return n_samples // k + (np.arange(k) < n_samples % k)


def _check_counts(counts, k: int) -> np.ndarray:
    arr = np.asarray(counts)
    if arr.shape != (k,) or arr.dtype.kind not in "iu" or (arr < 1).any():
        raise ValueError(f"counts={counts!r}; pass {k} positive integers, one per row of means")
    return arr


def _check_noise(noise: float) -> float:
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise={noise!r}; pass a standard deviation >= 0")
    return float(noise)


def _labels(counts) -> np.ndarray:
    """(sum(counts),) int64: counts[0] zeros, then counts[1] ones, and so on."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def _ring(rng: np.random.Generator, n: int, radius: float) -> np.ndarray:
    """(n, 2) points at uniform angles on the circle of the given radius."""
    t = rng.uniform(0.0, 2.0 * np.pi, n)
    return radius * np.column_stack([np.cos(t), np.sin(t)])


def _covariances(covs, k: int, d: int) -> np.ndarray:
    """(k, d, d) covariance matrices from a scalar, (k,), (k, d) or (k, d, d) argument."""
    c = np.asarray(covs, dtype=np.float64)
    shape = c.shape
    if c.ndim == 0:
        c = np.full(k, float(c))
    if c.shape == (k,):
        c = np.repeat(c[:, None], d, axis=1)
    if c.shape == (k, d):
        c = c[:, :, None] * np.eye(d)
    if c.shape != (k, d, d):
        raise ValueError(
            f"covs has shape {shape}; pass a scalar, ({k},) variances, ({k}, {d}) diagonals "
            f"or ({k}, {d}, {d}) matrices for {k} classes in {d} dimensions"
        )
    symmetric = np.isfinite(c).all() and np.allclose(c, c.transpose(0, 2, 1))
    if not symmetric or (np.linalg.eigvalsh(c).min(axis=1) < -1e-12).any():
        raise ValueError("covs must be symmetric positive semi-definite (variances >= 0)")
    return c
