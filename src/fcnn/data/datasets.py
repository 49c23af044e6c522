"""Teaching data sets: small 2-D classification problems drawn from a seeded generator.

Every generator returns ``(X, y)`` with ``X: (n_samples, n_features)`` float64 (two features,
except ``digits`` and d-dimensional ``gaussians``) and ``y: (n_samples,)`` int64 class indices
``0..k-1``. Rows come grouped by class (class 0 first); shuffle them with
``train_test_split`` or the trainer. Randomness comes only from ``seed`` (an int or a
``numpy.random.Generator``); the global ``np.random`` is never touched. A bad argument raises
``ValueError`` naming it (:func:`check_options` checks arguments without generating), and ``X``
may hold at most ``MAX_VALUES`` numbers.

Loaders for the user's own files (``fcnn.data.files``), label encoding, the split and
standardisation (``fcnn.data.preprocessing``) are re-exported here, so ``fcnn.datasets`` is the one
place to import data from.
"""

import inspect
import reprlib
from collections.abc import Callable
from typing import Any

import numpy as np

from .._checks import check_number, check_seed
from .files import Dataset, load_csv, load_features, load_file, load_npy, load_npz
from .preprocessing import (
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
    "MAX_VALUES",
    "Dataset",
    "check_options",
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

#: the most numbers a generated ``X`` may hold (160 MB of float64): 10 million 2-D samples
MAX_VALUES = 20_000_000


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
    a = _arguments(n_samples=n_samples, means=means, covs=covs, counts=counts, seed=seed)
    rng = np.random.default_rng(a["seed"])
    parts = zip(a["means"], a["covs"], a["counts"], strict=True)
    X = np.concatenate([rng.multivariate_normal(m, c, size=n) for m, c, n in parts])
    return X, _labels(a["counts"])


def moons(n_samples: int = 200, noise: float = 0.1, seed: Seed = 0) -> XY:
    """Two interleaving half circles: class 0 the upper arc of the unit circle, class 1 the
    lower arc shifted to (1, 0.5), as scikit-learn's ``make_moons``.

    Angles are uniform on [0, pi]; ``noise`` is the standard deviation of Gaussian noise added
    to each coordinate. Returns X: (n_samples, 2) float64, y: (n_samples,) int64 in {0, 1}.
    """
    a = _arguments(n_samples=n_samples, noise=noise, seed=seed)
    counts, noise = a["counts"], a["noise"]
    rng = np.random.default_rng(a["seed"])
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
    a = _arguments(n_samples=n_samples, noise=noise, factor=factor, seed=seed)
    counts, noise = a["counts"], a["noise"]
    rng = np.random.default_rng(a["seed"])
    radii = (1.0, a["factor"])
    X = np.concatenate([_ring(rng, n, r) for n, r in zip(counts, radii, strict=True)])
    return X + noise * rng.standard_normal(X.shape), _labels(counts)


def xor(n_samples: int = 200, noise: float = 0.1, seed: Seed = 0) -> XY:
    """The XOR problem: points uniform in the unit squares of the four quadrants.

    Class 0 fills the quadrants where the coordinates share a sign (x0 * x1 > 0), class 1 the
    two others, so no straight line separates them. ``noise`` is the standard deviation of
    Gaussian noise added to each coordinate.
    Returns X: (n_samples, 2) float64, y: (n_samples,) int64 in {0, 1}.
    """
    a = _arguments(n_samples=n_samples, noise=noise, seed=seed)
    counts, noise = a["counts"], a["noise"]
    rng = np.random.default_rng(a["seed"])
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
    a = _arguments(n_samples=n_samples, n_classes=n_classes, noise=noise, turns=turns, seed=seed)
    counts, noise, n_classes, turns = a["counts"], a["noise"], a["n_classes"], a["turns"]
    rng = np.random.default_rng(a["seed"])
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


_BUILTIN = dict(DATASETS)


def load_dataset(name: str, **kwargs) -> XY:
    """Generate the teaching set ``name`` (a key of ``DATASETS``), passing ``kwargs`` on.

    Returns X: (n_samples, n_features) float64, y: (n_samples,) int64 class indices.
    """
    _check_names(name, kwargs)
    return DATASETS[name](**kwargs)


def check_options(name: str, options: dict[str, Any], prefix: str = "") -> None:
    """Check ``options``, the keyword arguments of the teaching set ``name``, without
    generating it: ``ValueError`` naming the first bad one as ``prefix`` + its name
    (``fcnn train`` passes ``prefix="data.options."``), the values it takes and the value.

    The values of sets added to ``DATASETS`` by the user are not checked, only their names.
    """
    _check_names(name, options)
    params = inspect.signature(DATASETS[name]).parameters
    if DATASETS[name] is not _BUILTIN.get(name) or not params:
        return
    defaults = {key: p.default for key, p in params.items()}
    _arguments(prefix, **(defaults | options))


def _check_names(name: str, options: dict[str, Any]) -> None:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(sorted(DATASETS))}")
    params = inspect.signature(DATASETS[name]).parameters
    for key in options:
        if key not in params:
            valid = ", ".join(params) or "none"
            raise ValueError(f"dataset {name!r} takes no option {key!r}; its options: {valid}")


def _arguments(prefix: str = "", **args: Any) -> dict[str, Any]:
    """The generator arguments ``args`` checked by name (``ValueError`` naming ``prefix`` +
    the name) and normalised; ``counts`` becomes the (k,) class sizes, from ``n_samples``
    where not given."""
    out = dict(args)
    d = 2
    if "means" in args:
        means = GAUSSIAN_MEANS if args["means"] is None else args["means"]
        out["means"] = _means(prefix + "means", means)
        d = out["means"].shape[1]
        covs = 1.0 if args["covs"] is None else args["covs"]
        out["covs"] = _covariances(covs, *out["means"].shape, prefix + "covs")
    for key in ("noise", "factor", "turns", "n_classes"):
        if key in args:
            out[key] = check_number(prefix + key, args[key], **_LIMITS[key])
    k = len(out["means"]) if "means" in out else out.get("n_classes", 2)
    if args.get("counts") is not None:
        out["counts"] = _check_counts(args["counts"], k, d, prefix + "counts")
    else:
        out["counts"] = _class_counts(args["n_samples"], k, d, prefix + "n_samples")
    out["seed"] = check_seed(prefix + "seed", args["seed"])
    return out


_LIMITS: dict[str, dict[str, Any]] = {
    "noise": {"low": 0, "what": "a finite number >= 0 (the noise's standard deviation)"},
    "factor": {
        "low": 0,
        "high": 1,
        "low_open": True,
        "high_open": True,
        "what": "a number strictly between 0 and 1 (the inner radius)",
    },
    "turns": {},
    "n_classes": {
        "low": 1,
        "high": MAX_VALUES // 2,
        "integer": True,
        "what": f"an integer from 1 to {MAX_VALUES // 2}",
    },
}
_LIMIT_NOTE = f"X may hold at most MAX_VALUES = {MAX_VALUES} numbers"


def _class_counts(n_samples: int, k: int, d: int = 2, name: str = "n_samples") -> np.ndarray:
    """(k,) counts summing to n_samples, as even as possible, the first classes one larger."""
    high = MAX_VALUES // d
    what = f"an integer from {k} (one sample per class) to {high} ({_LIMIT_NOTE})"
    n_samples = check_number(name, n_samples, k, high, integer=True, what=what)
    return n_samples // k + (np.arange(k) < n_samples % k)


def _check_counts(counts, k: int, d: int, name: str) -> np.ndarray:
    """(k,) positive integer class sizes whose samples fit in ``MAX_VALUES``."""
    try:
        arr = np.asarray(counts)
    except (TypeError, ValueError):
        arr = np.zeros(0)
    valid = arr.shape == (k,) and arr.dtype.kind in "iu" and (arr >= 1).all()
    if not valid or sum(int(n) for n in arr) * d > MAX_VALUES:
        raise ValueError(
            f"{name} must be {k} positive integers, one per row of means, summing to at most "
            f"{MAX_VALUES // d} ({_LIMIT_NOTE}), got {reprlib.repr(counts)}"
        )
    return arr


def _means(name: str, means) -> np.ndarray:
    """(k, d) finite float64 class means."""
    try:
        arr = np.array(means, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.zeros(0)
    if arr.ndim != 2 or 0 in arr.shape or not np.isfinite(arr).all():
        raise ValueError(
            f"{name} must be a (k, d) array of finite numbers, one row of d coordinates per "
            f"class, as [[-1.5, -1.5], [1.5, 1.5]], got {reprlib.repr(means)}"
        )
    return arr


def _labels(counts) -> np.ndarray:
    """(sum(counts),) int64: counts[0] zeros, then counts[1] ones, and so on."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def _ring(rng: np.random.Generator, n: int, radius: float) -> np.ndarray:
    """(n, 2) points at uniform angles on the circle of the given radius."""
    t = rng.uniform(0.0, 2.0 * np.pi, n)
    return radius * np.column_stack([np.cos(t), np.sin(t)])


def _covariances(covs, k: int, d: int, name: str = "covs") -> np.ndarray:
    """(k, d, d) covariance matrices from a scalar, (k,), (k, d) or (k, d, d) argument."""
    try:
        c = np.asarray(covs, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be numbers: a variance, ({k},) variances, ({k}, {d}) diagonals or "
            f"({k}, {d}, {d}) matrices, got {reprlib.repr(covs)}"
        ) from None
    shape = c.shape
    if c.ndim == 0:
        c = np.full(k, float(c))
    if c.shape == (k,):
        c = np.repeat(c[:, None], d, axis=1)
    if c.shape == (k, d):
        c = c[:, :, None] * np.eye(d)
    if c.shape != (k, d, d):
        raise ValueError(
            f"{name} has shape {shape}; pass a scalar, ({k},) variances, ({k}, {d}) diagonals "
            f"or ({k}, {d}, {d}) matrices for {k} classes in {d} dimensions"
        )
    symmetric = np.isfinite(c).all() and np.allclose(c, c.transpose(0, 2, 1))
    if not symmetric or (np.linalg.eigvalsh(c).min(axis=1) < -1e-12).any():
        raise ValueError(f"{name} must be symmetric positive semi-definite (variances >= 0)")
    return c
