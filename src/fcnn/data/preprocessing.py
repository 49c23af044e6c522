"""Data between loading and training: label encoding, the train/test split and
standardisation. Pure NumPy.

Labels become class indices ``0..k-1`` with ``classes[i]`` the original label of index i
(:func:`encode_labels`), and map back with :func:`decode_labels`. The split and the
standardisation statistics take plain arrays, so they serve the teaching sets
(``fcnn.datasets``) and the user's files (``fcnn.data.files``) alike.
"""

import numpy as np


def encode_labels(y) -> tuple[np.ndarray, list]:
    """Map labels y: (n_samples,) (ints or strings) to indices 0..k-1 in sorted label order.

    Returns y_idx: (n_samples,) int64 and ``classes``, the k labels, ``classes[y_idx[i]] == y[i]``.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"labels have shape {y.shape}; pass a 1-D array, one label per sample")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        first = int(np.flatnonzero(~np.isfinite(y))[0])
        raise ValueError(
            f"label {y[first].item()!r} at row {first} is not a class; remove the samples without "
            "one"
        )
    try:
        classes, y_idx = np.unique(y, return_inverse=True)
    except TypeError:  # an object array of labels that do not compare: str and int, None
        kinds = sorted({type(v).__name__ for v in y.tolist()})
        raise ValueError(
            f"labels mix {', '.join(kinds)}; give labels of one type (all text, or all numbers)"
        ) from None
    return y_idx.astype(np.int64), classes.tolist()


def decode_labels(idx, classes: list) -> np.ndarray:
    """Map class indices idx: (n_samples,) back to labels: ``classes[idx]``, shape (n_samples,)."""
    idx = np.asarray(idx)
    if idx.dtype.kind not in "iu" or ((idx < 0) | (idx >= len(classes))).any():
        raise ValueError(
            f"class indices must be integers in 0..{len(classes) - 1} for {len(classes)} classes"
        )
    return np.asarray(classes)[idx]


def require_two_classes(y, classes: list | None = None) -> int:
    """Check that labels (or indices into ``classes``) y: (n_samples,) hold at least two
    classes, as classification needs; return how many they hold.
    """
    found = np.unique(np.asarray(y))
    if len(found) < 2:
        shown = found.tolist() if classes is None else [classes[i] for i in found]
        raise ValueError(
            f"classification needs at least two classes, found {len(found)}: {shown}; "
            "check the target column, or add samples of the other classes"
        )
    return len(found)


def train_test_split(
    X,
    y,
    test_fraction: float = 0.2,
    seed: int | np.random.Generator | None = 0,
    stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split X: (n_samples, n_features) and y: (n_samples,) into shuffled train and test parts.

    The test part holds round(test_fraction * n_samples) rows (at least 1, at most n - 1).
    With ``stratify``, each class gives the test part its share of that total (largest
    remainder rounding), so both parts keep the class proportions to within one sample.

    Returns:
        X_train, X_test, y_train, y_test.
    """
    X, y = np.asarray(X), np.asarray(y)
    n = len(X)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"X has {n} rows but y has shape {y.shape}; pass one label per row")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(
            f"test_fraction={test_fraction!r}; pass a fraction strictly between 0 and 1"
        )
    if n < 2:
        raise ValueError(f"cannot split {n} sample(s); need at least 2")
    n_test = min(max(round(n * test_fraction), 1), n - 1)
    rng = np.random.default_rng(seed)
    if stratify:
        _, inverse = np.unique(y, return_inverse=True)
        quota = np.bincount(inverse) * (n_test / n)
        per_class = np.floor(quota).astype(np.int64)
        largest_remainders = np.argsort(per_class - quota, kind="stable")
        per_class[largest_remainders[: n_test - per_class.sum()]] += 1
        test = np.concatenate(
            [rng.permutation(np.flatnonzero(inverse == c))[:m] for c, m in enumerate(per_class)]
        )
        test = rng.permutation(test)
    else:
        test = rng.permutation(n)[:n_test]
    is_train = np.ones(n, dtype=bool)
    is_train[test] = False
    train = rng.permutation(np.flatnonzero(is_train))
    return X[train], X[test], y[train], y[test]


def fit_standardize(X) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature statistics of X: (n_samples, n_features): mean and scale, both (n_features,).

    ``scale`` is the standard deviation, with 1 for constant columns so that ``standardize``
    maps them to 0 instead of dividing by zero.
    """
    X = finite_features(X, "X")
    scale = X.std(axis=0)
    scale[np.ptp(X, axis=0) == 0] = 1.0
    return X.mean(axis=0), scale


def standardize(X, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """(X - mean) / scale for X: (n_samples, n_features), mean and scale: (n_features,)."""
    X = np.asarray(X, dtype=np.float64)
    mean, scale = np.asarray(mean), np.asarray(scale)
    if X.ndim != 2 or mean.shape != (X.shape[1],) or scale.shape != mean.shape:
        raise ValueError(
            f"X has shape {X.shape} but mean {mean.shape} and scale {scale.shape}; "
            "pass statistics from fit_standardize on data with the same features"
        )
    return (X - mean) / scale


def finite_features(X, where: str) -> np.ndarray:
    """X: (n_samples, n_features) of numbers as float64, checked 2-D, non-empty and finite;
    ``where`` names X in the error message (a file, an array of an archive)."""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf" or X.ndim != 2 or 0 in X.shape:
        raise ValueError(
            f"{where} has shape {X.shape} and dtype {X.dtype}; features must be a non-empty "
            "2-D (n_samples, n_features) array of numbers"
        )
    X = X.astype(np.float64)
    bad = np.argwhere(~np.isfinite(X))
    if len(bad):
        i, j = bad[0]
        raise ValueError(
            f"{where}: row {i}, column {j} is {X[i, j]}; fill or drop non-finite values"
        )
    return X
