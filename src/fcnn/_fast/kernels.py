"""The fused step as one compiled call (numba, the ``fast`` extra): forward (seed 002 Alg. 1),
softmax, cross-entropy, the output delta, the accuracy count and backward (Alg. 2), with the
plain-SGD update inside it where the run takes that path. Imported only where numba is
installed (``fcnn._fast.fused`` decides when); it computes what ``fcnn._fast.step``'s NumPy
step computes, on the same workspace arrays, to rounding (``tests/_fast/test_fused.py``).

The samples are the innermost loop everywhere (seed 002's layout: one sample per column), so
LLVM vectorises every pass. ``exp`` and ``log`` are polynomials here, not libm calls, since
this numba has no vector library (``docs/performance.md``): ``exp(x) = 2^k exp(r)`` with
``r = x - k ln 2``, ``|r| <= ln 2 / 2`` and the Taylor series of ``expm1(r)`` to ``r^13``; ``2^k``
is built from its bits. ``tanh(a) = -expm1(-2|a|) / (2 + expm1(-2|a|))`` with ``a``'s sign.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .fused import CODES

# no reassociation (each entry is computed as written: exp's argument reduction depends on
# it), no nnan/ninf (a NaN stays visible); only the sums over samples may reassociate, so
# that they vectorise
_FM = {"contract", "nsz", "arcp"}
_SUM = _FM | {"reassoc"}
LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 = LN2_HI + LN2_LO, LN2_HI exact in 32 bits
LN2_LO = 1.90821492927058770002e-10
TANH, RELU = CODES["tanh"], CODES["relu"]  # the hidden activations it knows (else identity)


# expm1(r) = r (1 + r/2! + r²/3! + ... + r¹²/13!), Horner from the highest power
_EXPM1 = tuple(1.0 / math.factorial(n) for n in range(13, 0, -1))


@njit(fastmath=_FM, error_model="numpy", inline="always")
def _expm1_reduced(x):
    """``(2^k, expm1(r))`` bits and value, with ``x = k ln 2 + r``; ``x`` in [-708, 0]."""
    k = math.floor(x * LOG2E + 0.5)
    r = (x - k * LN2_HI) - k * LN2_LO
    p = 0.0
    for c in _EXPM1:
        p = p * r + c
    return (np.int64(k) + 1023) << 52, p * r


@njit(fastmath=_FM, error_model="numpy")
def _affine(Wb, h, a):
    """``a = [W | b] [h; 1]`` (Alg. 1 line 8); ``h``'s row of ones, if any, is not read."""
    n_out, n_in, B = Wb.shape[0], Wb.shape[1] - 1, a.shape[1]
    for j in range(n_out):
        b, w = Wb[j, n_in], Wb[j, 0]
        for s in range(B):
            a[j, s] = b + w * h[0, s]
        for i in range(1, n_in):
            w = Wb[j, i]
            for s in range(B):
                a[j, s] += w * h[i, s]


@njit(fastmath=_FM, error_model="numpy")
def _activate(code, a, h, t, bits, two_k, scr):
    """``h = f(a)`` (Alg. 1 line 9) and ``t = f'(a)`` (Alg. 2 line 7) in one pass over each
    row of ``a: (n, B)`` (``h`` may hold a row of ones below: it is not written); ``bits``
    and ``two_k`` are one scratch vector seen as int64 and as float64."""
    n, B = a.shape
    for j in range(n):
        if code == TANH:  # seed 002 eqs. 15-16: tanh, and 1 - tanh²
            for s in range(B):
                bits[s], scr[s] = _expm1_reduced(max(-2.0 * abs(a[j, s]), -60.0))
            for s in range(B):
                em = two_k[s] * scr[s] + (two_k[s] - 1.0)  # expm1(-2|a|)
                v = math.copysign(-em / (2.0 + em), a[j, s])
                h[j, s] = v
                t[j, s] = 1.0 - v * v
        elif code == RELU:
            for s in range(B):
                v = a[j, s]
                h[j, s] = max(v, 0.0)
                t[j, s] = 1.0 if v > 0.0 else 0.0
        else:
            for s in range(B):
                h[j, s] = a[j, s]
                t[j, s] = 1.0


@njit(fastmath=_SUM, error_model="numpy")
def _log_sum(tot, n):
    """``Σ_s ln tot_s`` for ``1 <= tot_s <= n``, as the logs of products of up to 64 entries
    (no overflow): one libm call per product instead of one per sample."""
    run = max(1, min(64, int(900.0 / math.log2(n + 1.0))))
    total = 0.0
    for start in range(0, tot.size, run):
        total += math.log(_product(tot[start : start + run]))
    return total


@njit(fastmath=_SUM, error_model="numpy")
def _product(v):
    """``Π_s v_s``, vectorised (a loop over a slice: one over ``range(start, stop)`` of the
    whole row did not vectorise, 3x slower)."""
    prod = 1.0
    for s in range(v.size):
        prod *= v[s]
    return prod


@njit(fastmath=_SUM, error_model="numpy")
def _sum(v):
    """``Σ_s v_s``."""
    total = 0.0
    for s in range(v.size):
        total += v[s]
    return total


@njit(fastmath=_FM, error_model="numpy")
def _softmax_ce_two(Z, P, Y, G, labels, d, scratch, bits, two_k):
    """:func:`_softmax_ce` of two classes, in two passes: one ``exp`` per sample, of the
    smaller shifted logit (the larger is 0, and ``e^0 = 1``)."""
    B = Z.shape[1]
    tot, scr, yz = scratch[1, :B], scratch[2], scratch[3, :B]
    for s in range(B):
        z0, z1 = Z[0, s], Z[1, s]
        m = max(z0, z1)
        z0 -= m
        z1 -= m
        Z[0, s], Z[1, s] = z0, z1
        yz[s] = Y[0, s] * z0 + Y[1, s] * z1
        bits[s], scr[s] = _expm1_reduced(max(min(z0, z1), -708.0))
    correct = 0
    for s in range(B):
        e = two_k[s] + two_k[s] * scr[s]
        total = 1.0 + e
        tot[s] = total
        big = 1.0 / total
        small = e * big  # e / total to within a rounding: one division a sample, not two
        one = Z[1, s] > Z[0, s]
        p0 = small if one else big
        p1 = big if one else small
        P[0, s], P[1, s] = p0, p1
        G[0, s] = (p0 - Y[0, s]) * d
        G[1, s] = (p1 - Y[1, s]) * d
        correct += (1 if p1 > p0 else 0) == labels[s]  # argmax, ties to the first
    return _log_sum(tot, 2) - _sum(yz), correct


@njit(fastmath=_FM, error_model="numpy")
def _softmax_ce(Z, P, Y, G, labels, dscale, scaled, scratch, bits, two_k):
    """``P = softmax(Z)`` with ``Z`` left shifted by its column max (as ``fcnn.losses``),
    ``G = (P - Y) dscale`` (seed 002 eq. 14), and ``(Σ_k J_k, correct)``: the summed
    cross-entropy ``Σ_s ln Σ_i e^{z_is} - y·z`` and the count of argmax(P) equal to the labels."""
    n, B = Z.shape
    if n == 2:
        return _softmax_ce_two(Z, P, Y, G, labels, dscale if scaled else 1.0, scratch, bits, two_k)
    m, tot, scr, yz = scratch[0, :B], scratch[1, :B], scratch[2], scratch[3, :B]
    for s in range(B):
        m[s] = Z[0, s]
        tot[s] = 0.0
        yz[s] = 0.0
    for j in range(1, n):
        for s in range(B):
            m[s] = max(m[s], Z[j, s])
    for j in range(n):
        for s in range(B):
            z = Z[j, s] - m[s]
            Z[j, s] = z
            yz[s] += Y[j, s] * z
            bits[s], scr[s] = _expm1_reduced(max(z, -708.0))
        for s in range(B):
            e = two_k[s] + two_k[s] * scr[s]
            P[j, s] = e
            tot[s] += e
    ce = _log_sum(tot, n) - _sum(yz)
    best = m  # m is free now: the largest probability so far, and its row in bits
    for s in range(B):
        best[s] = -1.0
    d = dscale if scaled else 1.0  # times 1.0: exact
    for j in range(n):
        for s in range(B):
            p = P[j, s] / tot[s]
            P[j, s] = p
            G[j, s] = (p - Y[j, s]) * d
            better = p > best[s]  # ties to the first row, as argmax
            best[s] = p if better else best[s]
            bits[s] = j if better else bits[s]
    correct = 0
    for s in range(B):
        correct += bits[s] == labels[s]
    return ce, correct


@njit(fastmath=_FM, error_model="numpy")
def _carry_down(Wb, g, t, g_below):
    """``g_below = Wᵀ g ⊙ f'(a_below)`` (Alg. 2 lines 6-7)."""
    n_out, n_in, B = g.shape[0], g_below.shape[0], g.shape[1]
    last = n_out - 1
    for i in range(n_in):
        if last == 0:
            w = Wb[0, i]
            for s in range(B):
                g_below[i, s] = w * g[0, s] * t[i, s]
            continue
        w = Wb[0, i]
        for s in range(B):
            g_below[i, s] = w * g[0, s]
        for j in range(1, last):
            w = Wb[j, i]
            for s in range(B):
                g_below[i, s] += w * g[j, s]
        w = Wb[last, i]
        for s in range(B):
            g_below[i, s] = (g_below[i, s] + w * g[last, s]) * t[i, s]


@njit(fastmath=_SUM, error_model="numpy")
def _weight_gradient(g, h, dWb, descend, r):
    """``[∇W | ∇b] = g [h; 1]ᵀ`` (Alg. 2 line 5) into ``dWb``, or with ``descend`` the plain
    SGD step ``[W | b] -= r g [h; 1]ᵀ`` into the parameters ``dWb`` instead."""
    n_out, n_in, B = g.shape[0], dWb.shape[1] - 1, g.shape[1]
    for j in range(n_out):
        for i in range(n_in + 1):
            acc = 0.0
            if i == n_in:
                for s in range(B):
                    acc += g[j, s]
            else:
                for s in range(B):
                    acc += g[j, s] * h[i, s]
            if descend:
                dWb[j, i] -= r * acc
            else:
                dWb[j, i] = acc


@njit(cache=True, nogil=True, error_model="numpy")
def step(
    Wbs, dWbs, H0, Hs, As, Gs, Ts, P, Y, labels, codes, scratch, bits, rates, descend, J, hits
):
    """One fused step of K networks of one shape (a lone network is K = 1), each array with
    the members first: ``Wbs[k], dWbs[k]: (K, n_{k+1}, n_k + 1)``, the inputs ``H0: (K,
    n_0 + 1, B)`` and ``Hs[k]: (K, n_{k+1} + 1, B)`` (``[h; 1]``), ``As[k], Gs[k]: (K,
    n_{k+1}, B)``, ``Ts[k]: (K, n_{k+1}, B)``, ``P, Y: (K, n_l, B)``, ``labels: (K, B)``.
    ``rates``: the output delta's scale and the descent's rate ``r``; ``descend`` takes plain
    SGD with rate ``r`` into the parameters (``Wbs``), else fills the gradient (``dWbs``).
    Each member's summed cross-entropy and count of correct predictions go to ``J`` and
    ``hits: (K,)``; returns their sums. A member whose loss is not finite skips its backward
    pass."""
    L, dscale, r = len(Wbs), rates[0], rates[1]
    two_k = bits.view(np.float64)
    scaled = dscale != 1.0 and not descend
    total, correct = 0.0, 0
    for m in range(H0.shape[0]):
        _affine(Wbs[0][m], H0[m], As[0][m])
        for k in range(1, L):
            h = Hs[k - 1][m]
            _activate(codes[k - 1], As[k - 1][m], h, Ts[k - 1][m], bits, two_k, scratch[2])
            _affine(Wbs[k][m], h, As[k][m])
        Z, G = As[L - 1][m], Gs[L - 1][m]
        ce, hit = _softmax_ce(Z, P[m], Y[m], G, labels[m], dscale, scaled, scratch, bits, two_k)
        J[m], hits[m] = ce, hit
        total += ce
        correct += hit
        if not math.isfinite(ce):
            continue
        for k in range(L - 1, 0, -1):
            _carry_down(Wbs[k][m], Gs[k][m], Ts[k - 1][m], Gs[k - 1][m])  # before W^(k) steps
            dW = Wbs[k][m] if descend else dWbs[k][m]
            _weight_gradient(Gs[k][m], Hs[k - 1][m], dW, descend, r)
        _weight_gradient(Gs[0][m], H0[m], Wbs[0][m] if descend else dWbs[0][m], descend, r)
    return total, correct


# ---------------------------------------------------------------- between BLAS's products
@njit(cache=True, nogil=True, error_model="numpy")
def output(Z, P, Y, G, labels, scratch, bits, rates, descend, counted):
    """The output layer of a step whose products are BLAS's (networks too wide for
    :func:`step`): :func:`_softmax_ce` of ``Z: (n_l, B)`` into ``P`` and the delta ``G``,
    scaled by ``rates[0]`` unless ``descend`` (the descent's GEMM takes the rate). Returns
    ``Σ_k J_k``; the count of correct predictions goes to ``counted[0]``."""
    dscale = rates[0]
    scaled = dscale != 1.0 and not descend
    two_k = bits.view(np.float64)
    ce, counted[0] = _softmax_ce(Z, P, Y, G, labels, dscale, scaled, scratch, bits, two_k)
    return ce


@njit(cache=True, nogil=True, fastmath=_FM, error_model="numpy")
def times_derivative(code, a, h, g):
    """``g ⊙= f'(a)`` in one pass (Alg. 2 line 7), with tanh's ``1 - h²`` read from ``h =
    f(a)`` (seed 002 eq. 16): what the NumPy step does in three calls and a temporary."""
    n, B = g.shape
    one, zero = g.dtype.type(1), g.dtype.type(0)  # in g's own precision: float32 stays float32
    for j in range(n):
        if code == TANH:
            for s in range(B):
                v = h[j, s]
                g[j, s] *= one - v * v
        elif code == RELU:
            for s in range(B):
                g[j, s] *= one if a[j, s] > zero else zero
