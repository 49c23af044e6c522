"""A run's data: the data set a config names, checked against the config's layers before
anything is trained (``fcnn.runs``), and the standardisation statistics of its training rows.
Every check here comes before a run folder is touched."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np

from .. import losses
from ..data.datasets import Dataset, fit_standardize, load_dataset, load_file, require_two_classes
from . import config


def load_data(cfg: dict[str, Any]) -> Dataset:
    """The data set a config's ``[data]`` section names: the file ``data.file`` (with its
    ``data.target`` column) or else the teaching set ``data.dataset`` with ``data.options``.

    Returns a Dataset with ``X: (n_samples, n_features)`` as loaded (not standardised).
    """
    return _load(config.validate(cfg))


def _load(cfg: dict[str, Any]) -> Dataset:
    data = cfg["data"]
    if data["file"]:
        return load_file(data["file"], data["target"] or None)
    X, y = load_dataset(data["dataset"], **data["options"])
    classes = list(range(int(y.max()) + 1))
    return Dataset(X, y, classes, [f"x{j}" for j in range(X.shape[1])], "y")


def _output_widths(output: str, ds: Dataset) -> tuple[int, ...]:
    """The output-layer widths the targets allow; ``"auto"`` takes the first."""
    if ds.classes is None:
        if output not in losses.REGRESSION_OUTPUTS:
            raise ValueError(
                f"a {output} output needs class labels, but the target {ds.target_name!r} "
                "holds real-valued numbers; for regression set output = 'identity' and "
                "loss = 'mse' (--output identity --loss mse)"
            )
        return (ds.y.shape[1],) if ds.y.ndim == 2 else (1,)
    k = len(ds.classes)
    if output == "identity":
        return (k, 1)
    require_two_classes(ds.y, ds.classes)
    return (1, 2) if output == "sigmoid" and k == 2 else (k,)


def _check_layers(cfg: dict[str, Any], ds: Dataset) -> dict[str, Any]:
    """``cfg`` with ``"auto"`` layer widths filled from the data, after checking that the
    first width is the number of features and the last fits the targets."""
    n_features, output = ds.X.shape[1], cfg["network"]["output"]
    widths = _output_widths(output, ds)
    cfg = config.fill_layers(cfg, n_features, widths[0])
    layers = cfg["network"]["layers"]
    if layers[0] != n_features:
        raise ValueError(
            f"network.layers starts with {layers[0]} inputs but the data have {n_features} "
            f"features ({', '.join(ds.feature_names[:8])}{', ...' if n_features > 8 else ''});"
            f" set the first layer to {n_features} (--layers {n_features},...) or to 'auto'"
        )
    if layers[-1] not in widths:
        if ds.classes is None:
            k = ds.y.shape[1] if ds.y.ndim == 2 else 1
            have = f"{k} real-valued target{'s' * (k > 1)} {ds.target_name!r}"
        else:
            have = f"{len(ds.classes)} classes {ds.classes[:10]}"
        need = " or ".join(map(str, widths))
        units = "unit" if widths == (1,) else "units"
        article = "an" if output[0] in "aeiou" else "a"
        raise ValueError(
            f"network.layers ends with {layers[-1]} outputs but the data have {have}; "
            f"{article} {output} output needs {need} {units} here: set the last layer to "
            f"{widths[0]} or to 'auto'"
        )
    return cfg


def prepare(cfg: dict[str, Any], dataset: Dataset | None = None) -> tuple[dict[str, Any], Dataset]:
    """``(cfg, dataset)``: the config validated, its data file made absolute and its ``"auto"``
    layer widths filled from the data, and the data it names (:func:`load_data`), or
    ``dataset``, that data loaded elsewhere (a sweep's worker has no copy of the file).

    What ``fcnn train`` and ``fcnn gradcheck`` build a network from. Raises ``ValueError`` when
    the first layer is not the data's feature count or the last does not fit the targets.
    """
    cfg = config.validate(cfg)
    if cfg["data"]["file"]:
        cfg["data"]["file"] = str(Path(cfg["data"]["file"]).resolve())
    ds = _regression_target(_load(cfg) if dataset is None else dataset, cfg["network"]["output"])
    cfg = _check_layers(cfg, ds)
    _check_memory(cfg)
    return cfg, ds


def _regression_target(ds: Dataset, output: str) -> Dataset:
    """``ds`` with its target as numbers for an identity output (regression): integer
    targets load as classes, but a regression fits their values, not their class indices."""
    if output != "identity" or ds.classes is None:
        return ds
    values = np.asarray(ds.classes)[ds.y]
    if values.dtype.kind not in "biuf":
        raise ValueError(
            f"an identity output is for regression, but the target {ds.target_name!r} holds "
            f"text labels ({values[0]!r}, ...); for classification set output = 'softmax' "
            "(--output softmax), or choose a numeric target column"
        )
    return dataclasses.replace(ds, y=values.astype(np.float64), classes=None)


def _check_memory(cfg: dict[str, Any]) -> None:
    """Refuse layers whose parameters alone could not be trained in this machine's memory:
    training keeps about ten arrays of the parameters' size (parameters, gradient, scratch,
    masks, snapshots, optimiser state)."""
    layers = cfg["network"]["layers"]
    n_params = sum((m + 1) * n for m, n in zip(layers[:-1], layers[1:], strict=True))
    need = 10 * n_params * np.dtype(cfg["network"]["dtype"]).itemsize
    try:
        have = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not POSIX: NumPy's MemoryError will say it
        return
    if need > have:
        raise ValueError(
            f"network.layers {layers} have {n_params:,} parameters; training them needs about "
            f"{need / 2**30:,.1f} GiB, and this machine has {have / 2**30:.1f} GiB: use "
            "narrower layers"
        )


def standardisation(X: np.ndarray, ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """fit_standardize's mean and scale of the training rows ``X``, or ``ValueError`` naming
    a column whose values are too large to standardise."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean, scale = fit_standardize(X)
    bad = np.flatnonzero(~(np.isfinite(mean) & np.isfinite(scale)))
    if len(bad):
        j = int(bad[0])
        raise ValueError(
            f"column {ds.feature_names[j]!r} holds values too large to standardise (up to "
            f"{np.abs(X[:, j]).max():g}); scale that column down in the data first"
        )
    return mean, scale
