"""Output functions and losses: values, and gradients w.r.t. the output pre-activation.

Layout is seed 002's outputs x samples, one sample per column: ``Z: (n_l, B)`` holds the output
pre-activations ``a^(l)`` (seed 002, Alg. 1 line 10) of a batch of B samples, ``P = o(Z): (n_l, B)``
the outputs ``ŷ`` and ``Y: (n_l, B)`` the targets (the transposes of the API's ``(B, n_l)``
arrays). ``l`` is the depth and ``n_l`` the number of outputs, seed 000's ``N`` (``docs/math.md``
§1.3); in the code below the local ``l`` is ``n_l``.
Per-sample losses J_k are summed over the batch here; the caller applies the reduction
(``mean`` multiplies by 1/B, ``sum`` by 1; seed 002 eq. 3i).

.. math::

    J^{ce}_k = -\\sum_i y_{ik} \\ln \\hat y_{ik}, \\qquad
    J^{mse}_k = \\frac{1}{2 n_l} \\sum_i (\\hat y_{ik} - y_{ik})^2, \\qquad
    J^{mse+ce}_k = J^{mse}_k + J^{ce}_k, \\qquad
    J^{poisson}_k = \\sum_i \\left( y_{ik} \\ln \\frac{y_{ik}}{\\hat y_{ik}} - y_{ik}
        + \\hat y_{ik} \\right)

(seed 000 eq. 5-7, seed 002 eq. 13; the last, half the Poisson deviance with the exponential
output ``ŷ = exp(z)``, is scikit-learn's ``loss='poisson'``). With a softmax output the
cross-entropy is computed from the logits by log-sum-exp and its gradient is the fused
``ŷ - y`` (seed 000 eq. 11, seed 002 eq. 14). The MSE gradient goes through the *full* softmax
Jacobian ``diag(s) - s sᵀ``; seed 000 differentiates softmax elementwise, which is wrong
(``docs/math.md``, "Departures").

Every function writes into caller-provided buffers so that the training loop allocates nothing;
``Buffers.like(Z)`` makes fresh ones for one-off calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .activations import sigmoid

Array = np.ndarray

OUTPUTS = ("softmax", "sigmoid", "identity", "exp")
# the outputs of a regression: real values, not class probabilities
REGRESSION_OUTPUTS = ("identity", "exp")
LOSSES = ("cross_entropy", "mse", "mse+ce", "poisson")
# which output functions each loss accepts
VALID_OUTPUTS = {
    "cross_entropy": ("softmax", "sigmoid"),
    "mse": OUTPUTS,
    "mse+ce": ("softmax", "sigmoid"),
    "poisson": ("exp",),
}
PARTS = {
    "cross_entropy": ("ce",),
    "mse": ("mse",),
    "mse+ce": ("mse", "ce"),
    "poisson": ("poisson",),
}


def check(loss: str, output: str, n_outputs: int | None = None) -> None:
    """Raise ``ValueError`` unless ``loss`` and ``output`` name a valid pair (for ``n_outputs``
    output units, when given)."""
    if output not in OUTPUTS:
        raise ValueError(f"unknown output {output!r}; choose one of {', '.join(OUTPUTS)}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    if loss == "poisson" and output != "exp":
        raise ValueError(
            f"loss 'poisson' needs the exponential output (output='exp', a positive mean), "
            f"not {output!r}"
        )
    if output not in VALID_OUTPUTS[loss]:
        raise ValueError(
            f"loss {loss!r} needs a probability output ({' or '.join(VALID_OUTPUTS[loss])}), "
            f"not {output!r}: cross-entropy of an identity output is undefined. "
            "Use output='softmax' for classes, or loss='mse' for regression"
        )
    if output == "softmax" and n_outputs is not None and n_outputs < 2:
        raise ValueError(
            "a softmax output needs at least 2 units (softmax of one unit is always 1); "
            "use output='sigmoid' for a single-output classifier"
        )


@dataclass
class Buffers:
    """Scratch space for one batch size: ``t: (n_l, B)``, ``m`` and ``s: (B,)``, and two vectors
    of ones, ``ones_out: (n_l,)`` and ``ones_batch: (B,)``: a dot product with one of them sums
    the columns of an ``(n_l, B)`` array, or a ``(B,)`` vector, in one BLAS call."""

    t: Array
    m: Array
    s: Array
    ones_out: Array
    ones_batch: Array

    @classmethod
    def like(cls, Z: Array) -> Buffers:
        """Fresh buffers shaped for ``Z: (n_l, B)``."""
        (l, B), dt = Z.shape, Z.dtype
        return cls(
            np.empty_like(Z), np.empty(B, dt), np.empty(B, dt), np.ones(l, dt), np.ones(B, dt)
        )


def softmax(Z: Array, P: Array, buf: Buffers) -> None:
    """``P = softmax(Z)`` column by column; ``Z`` is left shifted by its column max and
    ``buf.s`` holds the column sums of ``exp(Z - max)`` (for :func:`softmax_cross_entropy`)."""
    bind_softmax(Z, P, buf)()


def bind_softmax(Z: Array, P: Array, buf: Buffers) -> Callable[[], None]:
    """:func:`softmax` on these arrays as a call with every view bound once (the training
    step calls it every batch)."""
    # m_k = max_i z_ik: one elementwise maximum for two rows, else one reduction (np.max's
    # Python wrapper costs more than the work at these sizes). softmax(z) = softmax(z - max z):
    # no overflow. s_k = Σ_i exp(z_ik - m_k). With two rows every step is done row by row:
    # a call that broadcasts a row over the matrix costs what three plain ones do
    m, s, ones = buf.m, buf.s, buf.ones_out
    maximum, subtract, exp, add, divide, dot = (
        np.maximum,
        np.subtract,
        np.exp,
        np.add,
        np.divide,
        np.dot,
    )
    if len(Z) == 2:
        z0, z1, p0, p1 = Z[0], Z[1], P[0], P[1]

        def two_rows() -> None:
            maximum(z0, z1, out=m)
            subtract(z0, m, out=z0)
            subtract(z1, m, out=z1)
            exp(Z, out=P)
            add(p0, p1, out=s)
            divide(p0, s, out=p0)
            divide(p1, s, out=p1)

        return two_rows
    column_max = np.maximum.reduce

    def rows() -> None:
        column_max(Z, axis=0, out=m)
        subtract(Z, m, out=Z)
        exp(Z, out=P)
        dot(ones, P, out=s)
        divide(P, s, out=P)

    return rows


def output_forward(output: str, Z: Array, P: Array, buf: Buffers) -> None:
    """Write ``P = o(Z)``. For softmax, ``Z`` is shifted in place by its column max, and
    ``buf.s`` keeps the column sums of ``exp(Z - max)`` for the loss (log-sum-exp).

    Shapes: ``Z, P: (n_l, B)``.
    """
    if output == "softmax":
        softmax(Z, P, buf)
    elif output == "sigmoid":
        sigmoid(Z, out=P)
    elif output == "exp":
        np.exp(Z, out=P)
    else:
        np.copyto(P, Z)


def _wsum(A: Array, w: Array | None) -> float:
    """Σ over every entry of ``A: (n, B)`` (or ``(B,)``), column k weighted by ``w: (B,)``."""
    return float(A.sum() if w is None else np.vdot(w, A.sum(axis=0) if A.ndim == 2 else A))


def _wdot(Y: Array, Z: Array, w: Array | None) -> float:
    """Σ_k w_k (y_k · z_k), or Σ_k y_k · z_k without weights; ``y_k`` is column k."""
    return float(np.vdot(Y, Z) if w is None else np.einsum("ik,ik,k->", Y, Z, w))


def softmax_cross_entropy(Z: Array, Y: Array, buf: Buffers, w: Array | None) -> float:
    """Σ_k w_k J^ce_k after :func:`softmax`, which left ``Z`` shifted and the sums in ``buf.s``."""
    if w is None:
        return bind_softmax_cross_entropy(Z, Y, buf)()
    np.log(buf.s, out=buf.s)
    return float(np.vdot(w, buf.s)) - _wdot(Y, Z, w)  # Σ_k w_k (ln s_k - y_k·z_k)


def bind_softmax_cross_entropy(Z: Array, Y: Array, buf: Buffers) -> Callable[[], float]:
    """:func:`softmax_cross_entropy` of the unweighted batch as a call with its arrays bound."""
    # -Σ_i y_i ln softmax(z)_i = (Σ_i y_i) lse(z) - y·z, and Σ_i y_i = 1 in every column
    s, ones, log, vdot = buf.s, buf.ones_batch, np.log, np.vdot

    def cross_entropy() -> float:
        log(s, out=s)
        return float(vdot(ones, s)) - float(vdot(Y, Z))

    return cross_entropy


def _cross_entropy(output: str, Z: Array, Y: Array, buf: Buffers, w: Array | None) -> float:
    """Σ_k w_k J^ce_k from the logits (after ``output_forward``)."""
    if output == "softmax":
        return softmax_cross_entropy(Z, Y, buf, w)
    # sigmoid: -[y ln σ(z) + (1-y) ln(1-σ(z))] = softplus(z) - y z
    np.logaddexp(0, Z, out=buf.t)
    return _wsum(buf.t, w) - _wdot(Y, Z, w)


def value_and_delta(
    loss: str,
    output: str,
    Z: Array,
    P: Array,
    Y: Array,
    dZ: Array | None,
    scale: float | Array,
    buf: Buffers,
    w: Array | None = None,
) -> tuple[float, ...]:
    """Return the loss parts summed over the batch, and write ``dZ = scale * ∂J/∂Z``.
    ``scale`` is a number, or the same as a 0-d array of Z's dtype (cheaper for NumPy).

    Call after :func:`output_forward`. The parts follow ``PARTS[loss]`` (``("mse", "ce")``
    for the composite). With ``dZ=None`` only the values are computed. Optional sample
    weights ``w: (B,)`` make the sum ``Σ_k w_k J_k``.
    Shapes: ``Z, P, Y, dZ: (n_l, B)``, one sample per column.
    """
    l = Z.shape[0]
    mse = ce = 0.0
    if loss in ("mse", "mse+ce"):
        # r = ŷ - y;  J^mse = (1/2l) Σ r²;  g = ∂J^mse/∂ŷ = r / l   (seed 000 eq. 5)
        r = buf.t
        np.subtract(P, Y, out=r)
        mse = _wdot(r, r, w) / (2 * l)
        if dZ is not None:
            r *= 1.0 / l
            _through_output(output, r, P, dZ, buf)
    if loss != "mse":
        ce = poisson(Z, P, Y, buf, w) if loss == "poisson" else _cross_entropy(output, Z, Y, buf, w)
        if dZ is not None:
            # ∂J/∂z = ŷ - y for both canonical links: cross-entropy (seed 000 eq. 11, seed 002
            # eq. 14) and the Poisson deviance of ŷ = exp(z)
            if loss == "mse+ce":
                dZ += P
                dZ -= Y
            else:
                np.subtract(P, Y, out=dZ)
    if dZ is not None and w is not None:
        dZ *= w
    if dZ is not None and scale != 1.0:
        dZ *= scale
    if loss == "mse+ce":
        return (mse, ce)
    return (mse,) if loss == "mse" else (ce,)


def poisson(Z: Array, P: Array, Y: Array, buf: Buffers, w: Array | None = None) -> float:
    """Half the Poisson deviance of ``ŷ = exp(z)``, ``Σ_k w_k J^poisson_k`` with

    .. math::

        J^{poisson}_k = \\sum_i \\left( y_{ik} \\ln y_{ik} - y_{ik} z_{ik} - y_{ik}
            + e^{z_{ik}} \\right), \\qquad
        \\frac{∂J^{poisson}_k}{∂z_{ik}} = e^{z_{ik}} - y_{ik} = \\hat y_{ik} - y_{ik}

    (``y ln y`` is 0 at ``y = 0``; it does not depend on the parameters but makes the value
    scikit-learn's ``poisson_loss``, 0 at a perfect fit). The delta is the canonical-link
    ``ŷ - y``, like softmax with cross-entropy (McCullagh & Nelder, *Generalized Linear
    Models*, 2nd ed., §2.2.4); :func:`value_and_delta` writes it. ``Z, P, Y: (l, B)``,
    ``P = exp(Z)`` from :func:`output_forward`.
    """
    t = buf.t
    np.multiply(Y, np.log(Y, out=t, where=Y > 0), out=t, where=Y > 0)  # y ln y
    t[Y <= 0] = 0.0
    t += P
    t -= Y
    return _wsum(t, w) - _wdot(Y, Z, w)  # Σ (y ln y - y + ŷ) - Σ y z


def _through_output(output: str, g: Array, P: Array, dZ: Array, buf: Buffers) -> None:
    """Write ``dZ = (∂ŷ/∂z)ᵀ g`` column by column, for ``g = ∂J/∂ŷ``.

    softmax: the Jacobian is ``diag(s) - s sᵀ``, so ``dz = s ⊙ (g - (g·s))``.
    sigmoid: ``dz = g ⊙ ŷ(1-ŷ)``. identity: ``dz = g``.
    """
    if output == "softmax":
        np.multiply(g, P, out=dZ)
        np.dot(buf.ones_out, dZ, out=buf.m)  # g·s per column
        np.subtract(g, buf.m, out=dZ)
        dZ *= P
    elif output == "sigmoid":
        np.subtract(1, P, out=dZ)
        dZ *= P
        dZ *= g
    elif output == "exp":  # ∂ŷ/∂z = ŷ
        np.multiply(g, P, out=dZ)
    else:
        np.copyto(dZ, g)
