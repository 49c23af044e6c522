"""The numbers behind the slider, frame by frame (no plotly here): the plane the data and
the decision boundary are drawn on, the network's output over that plane, and each unit's
bias and mean activation at a frame's parameters.

The forward pass is ``fcnn.reference.forward`` (seed 002, Alg. 1), on the inputs as the
network sees them (standardised where the run standardised).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import reference
from ..network import Network

#: rows the mean activations are taken over, at most (a seeded sample beyond)
MAX_ROWS = 2000


def split_params(net: Network, p: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``(Ws, bs)`` of the flat vector ``p`` in ``net``'s layout: ``Ws[k]: (n_k, n_{k-1})``."""
    Ws, bs, start = [], [], 0
    for W in net.weights:
        r, c = W.shape
        block = p[start : start + r * (c + 1)].reshape(r, c + 1)
        Ws.append(block[:, :-1])
        bs.append(block[:, -1])
        start += r * (c + 1)
    return Ws, bs


def outputs(net: Network, p: np.ndarray, Z: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Every layer at parameters ``p`` for network inputs ``Z: (n, n_0)``: ``(h, yhat)`` with
    ``h[k]: (n_k, n)`` for k = 0..l-1 and ``yhat: (n_l, n)``."""
    Ws, bs = split_params(net, p)
    a, h = reference.forward(Ws, bs, Z.T, net.activations)
    return h, reference.output(net.output, a[-1])


@dataclass
class Plane:
    """The 2-D view of the inputs: ``coords: (n, 2)`` of the data, axis titles, a sentence
    saying what the plane is, and ``lift``, which maps plane points ``(m, 2)`` to network
    inputs ``(m, n_0)`` (standardised as the network needs)."""

    coords: np.ndarray
    titles: tuple[str, str]
    note: str
    basis: np.ndarray  # (2, n_0) directions in network-input space
    origin: np.ndarray  # (n_0,) the plane's origin in network-input space
    raw_axes: bool  # True when the plane's coordinates are raw input units

    def lift(self, G: np.ndarray) -> np.ndarray:
        return self.origin + G @ self.basis


def plane(net: Network, X: np.ndarray, names: list[str], features: tuple[int, int] | None) -> Plane:
    """The plane of the data ``X: (n, n_0)`` (raw units): the two inputs themselves when
    there are two, the two ``features`` chosen, or else the first two principal components
    of the inputs as the network sees them."""
    n0 = X.shape[1]
    Z = np.asarray(net.standardize(X), np.float64)
    mean, scale = _stats(net, n0)
    if features is None and n0 == 2:
        features = (0, 1)
    if features is not None:
        i, j = features
        basis = np.zeros((2, n0))
        basis[0, i], basis[1, j] = 1 / scale[i], 1 / scale[j]
        origin = Z.mean(axis=0)
        origin[[i, j]] = -mean[[i, j]] / scale[[i, j]]
        note = (
            ""
            if n0 == 2
            else f"Shown on the features {names[i]!r} and {names[j]!r} you chose; the network's "
            "output is drawn with every other input held at its mean over the data."
        )
        return Plane(X[:, [i, j]], (names[i], names[j]), note, basis, origin, True)
    centre = Z.mean(axis=0)
    _, s, Vt = np.linalg.svd(Z - centre, full_matrices=False)
    share = s[:2] ** 2 / max(float(np.sum(s**2)), 1e-300)
    basis = Vt[:2]
    titles = tuple(f"PC{k + 1} ({100 * share[k]:.0f}% of variance)" for k in range(2))
    note = (
        f"The {n0} inputs are shown on a 2-D projection: their first two principal components "
        f"(PCA of the inputs as the network sees them), which hold {100 * share.sum():.0f}% of "
        "their variance. The shading is the network's output on that plane through the data's "
        "mean; choose two features instead with fcnn report RUN --features i,j."
    )
    return Plane((Z - centre) @ basis.T, titles, note, basis, centre, False)  # type: ignore[arg-type]


def _stats(net: Network, n0: int) -> tuple[np.ndarray, np.ndarray]:
    if net.feature_mean is None or net.feature_scale is None:
        return np.zeros(n0), np.ones(n0)
    return np.asarray(net.feature_mean, np.float64), np.asarray(net.feature_scale, np.float64)


def grid(coords: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(g1, g2, G)``: ``n`` points along each axis around ``coords`` and the ``(n*n, 2)``
    grid, row by row (``g2`` outer), as a heatmap's ``z`` wants it."""
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    pad = 0.08 * np.maximum(hi - lo, 1e-9) + 0.1 * np.maximum(np.abs(hi - lo), 1e-9)
    g1, g2 = (np.linspace(lo[i] - pad[i], hi[i] + pad[i], n) for i in range(2))
    G1, G2 = np.meshgrid(g1, g2)
    return g1, g2, np.column_stack([G1.ravel(), G2.ravel()])


def class_probabilities(net: Network, yhat: np.ndarray) -> np.ndarray:
    """``(k, n)`` class probabilities of a classifier's outputs (one sigmoid unit: 2 rows)."""
    return np.vstack([1 - yhat[0], yhat[0]]) if net.n_outputs == 1 else yhat


def sample_rows(n: int, most: int = MAX_ROWS) -> np.ndarray:
    """Row indices: all ``n`` when they are few, else a seeded sample of ``most``, sorted."""
    if n <= most:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, most, replace=False))
