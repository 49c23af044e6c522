"""Weight initialisers. Each fills ``W: (n_out, n_in)`` and ``b: (n_out,)`` in place from a
``numpy.random.Generator``, so the same seed gives bit-identical weights.

- ``xavier`` (Glorot & Bengio, 2010): W ~ U(-r, r), r = sqrt(6 / (n_in + n_out)); b = 0.
- ``he`` (He et al., 2015): W ~ N(0, 2 / n_in); b = 0. Suited to relu.
- ``normal``: the seeds' plain standard normal, W ~ N(0, 1) and b ~ N(0, 1), as ``np.random.randn``
  gives in seed 000's notebook.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Array = np.ndarray


def xavier(W: Array, b: Array, rng: np.random.Generator) -> None:
    """Glorot uniform: ``W ~ U(-r, r)``, ``r = sqrt(6 / (n_in + n_out))``, ``b = 0``."""
    n_out, n_in = W.shape
    r = np.sqrt(6.0 / (n_in + n_out))
    W[...] = rng.uniform(-r, r, size=W.shape)
    b[...] = 0


def he(W: Array, b: Array, rng: np.random.Generator) -> None:
    """He normal: ``W ~ N(0, 2 / n_in)``, ``b = 0``."""
    W[...] = rng.normal(0.0, np.sqrt(2.0 / W.shape[1]), size=W.shape)
    b[...] = 0


def normal(W: Array, b: Array, rng: np.random.Generator) -> None:
    """The seeds' plain standard normal for weights and biases."""
    W[...] = rng.standard_normal(W.shape)
    b[...] = rng.standard_normal(b.shape)


INITIALISERS: dict[str, Callable[[Array, Array, np.random.Generator], None]] = {
    "xavier": xavier,
    "glorot": xavier,
    "he": he,
    "normal": normal,
}


def draw(name: str, weights: Sequence[Array], biases: Sequence[Array], seed: int | None) -> None:
    """Fill each layer's ``weights[k]`` and ``biases[k]`` in place by the initialiser ``name``,
    from one ``numpy.random.default_rng(seed)``, first layer first: the weights
    ``fcnn.Network(..., seed=seed)`` starts from."""
    fill, rng = get(name), np.random.default_rng(seed)
    for W, b in zip(weights, biases, strict=True):
        fill(W, b, rng)


def get(name: str) -> Callable[[Array, Array, np.random.Generator], None]:
    """Return the initialiser called ``name`` or raise ``ValueError`` listing the known ones."""
    try:
        return INITIALISERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown init {name!r}; choose one of {', '.join(INITIALISERS)}"
        ) from None
