"""The layout of the flat parameter buffer, the bias trick: layer k owns the row-major block
``[W^(k) | b^(k)]: (n_k, n_{k-1} + 1)``, blocks in layer order (``docs/math.md``, Appendix A).
Every view of weights and biases in fcnn is cut here."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Array = np.ndarray


def block_shapes(sizes: Sequence[int]) -> list[tuple[int, int]]:
    """``(n_k, n_{k-1} + 1)`` for each layer of a network of layer widths ``sizes``."""
    return [(n, m + 1) for m, n in zip(sizes[:-1], sizes[1:], strict=True)]


def blocks(flat: Array, shapes: Sequence[tuple[int, int]]) -> list[Array]:
    """Views of ``flat: (..., n_params)`` as the layers' blocks ``(..., n_k, n_{k-1} + 1)``;
    leading axes (a stack of parameter vectors) are kept."""
    views, start, lead = [], 0, flat.shape[:-1]
    for r, c in shapes:
        views.append(flat[..., start : start + r * c].reshape(*lead, r, c))
        start += r * c
    return views


def weights_and_biases(blocks: Sequence[Array]) -> tuple[list[Array], list[Array]]:
    """The ``W^(k)`` and ``b^(k)`` views of ``[W^(k) | b^(k)]`` blocks."""
    return [B[..., :-1] for B in blocks], [B[..., -1] for B in blocks]


def weight_mask(shapes: Sequence[tuple[int, int]], dtype: np.dtype) -> Array:
    """1 for each weight, 0 for each bias, in the flat layout (the L2 penalty's mask)."""
    mask = np.zeros(sum(r * c for r, c in shapes), dtype)
    for W in weights_and_biases(blocks(mask, shapes))[0]:
        W[...] = 1
    return mask
