"""NumPy's own BLAS, called directly for the one product NumPy cannot ask of it.

Plain gradient descent updates each layer as ``[W | b] ← [W | b] - r g [h; 1]ᵀ`` (seed 002,
Alg. 2 lines 3-4, with ``r`` the learning rate times the delta's ``1/B``: ``docs/math.md``
§7). NumPy can only write a product into a buffer (``np.dot(g, hT, out=dWb)``) and subtract it
afterwards, a second pass over every parameter. BLAS's GEMM computes ``C ← α A B + β C`` in
place, so with ``α = -r, β = 1`` the update happens inside the product, on the BLAS threads,
while ``C`` is still in their caches (``docs/performance.md`` has the measurements).

Only the BLAS that NumPy itself loaded is used, the OpenBLAS of NumPy's wheels (symbols
``scipy_cblas_sgemm64_``, ILP64), found with threadpoolctl: a second BLAS would bring a
second thread pool that fights NumPy's for the cores. Anywhere else (another BLAS, no
threadpoolctl, ``FCNN_DIRECT_BLAS=0`` when fcnn first looks, or a library that fails the
self-test below) :func:`available` is false and training takes the NumPy path, which computes
the same update rounded at other places (``tests/test_blas.py``).
"""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Callable

import numpy as np

Array = np.ndarray

# CBLAS enums (cblas.h) and the GEMMs of NumPy's OpenBLAS, whose integers are 64-bit
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_SYMBOLS = {"f": ("sgemm", ctypes.c_float), "d": ("dgemm", ctypes.c_double)}  # by dtype.char
_PREFIXES = ("scipy_cblas_", "cblas_")  # NumPy >= 2.0 wheels, NumPy 1.2x wheels (openblas64_)


def _numpy_openblas() -> ctypes.CDLL | None:
    """The OpenBLAS that NumPy loaded, if it is one with 64-bit integers; else None."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    numpy_dir = os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))
    try:  # a library threadpoolctl cannot inspect, or ctypes cannot open, means no direct BLAS
        for lib in threadpool_info():
            path = lib.get("filepath") or ""
            name = os.path.basename(path)
            if (
                lib.get("internal_api") == "openblas"
                and "openblas64" in name
                and os.path.abspath(path).startswith(numpy_dir)
                and "numpy" in os.path.relpath(path, numpy_dir)
            ):
                return ctypes.CDLL(path)
    except (OSError, ValueError, RuntimeError):
        return None
    return None


@functools.cache
def _gemm(char: str) -> Callable[..., None] | None:
    """``cblas_?gemm`` from NumPy's BLAS for the dtype of character ``char`` (``"f"``
    float32, ``"d"`` float64), or None."""
    if char not in _SYMBOLS or os.environ.get("FCNN_DIRECT_BLAS", "1") == "0":
        return None
    lib = _numpy_openblas()
    if lib is None:
        return None
    for prefix in _PREFIXES:
        fn = getattr(lib, f"{prefix}{_SYMBOLS[char][0]}64_", None)
        if fn is not None:
            fn.restype = None
            return fn if _self_test(fn, np.dtype(char)) else None
    return None


def _self_test(fn: Callable[..., None], dtype: np.dtype) -> bool:
    """Whether ``fn`` computes ``C - r A B`` for small operands in every layout fcnn uses."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 5)).astype(dtype)
    for B in (rng.standard_normal((5, 4)).astype(dtype), np.ones((4, 5), dtype).T):
        C = rng.standard_normal((3, 4)).astype(dtype)
        expected = C - 0.5 * (A @ B)
        _bind(fn, Rate(dtype, 0.5), A, B, C)()
        if not np.allclose(C, expected, rtol=1e-5, atol=1e-5):
            return False
    return True


def available(dtype: np.dtype | str) -> bool:
    """Whether :func:`descent` can run for arrays of ``dtype`` (float32 or float64)."""
    return _gemm(np.dtype(dtype).char) is not None


def _operand(M: Array) -> tuple[int, int]:
    """``(transpose flag, leading dimension)`` of a 2-D operand as BLAS reads it in row-major
    order: rows of unit stride as they are, columns of unit stride as a transpose."""
    (r, c), (s0, s1), step = M.shape, M.strides, M.itemsize
    if s1 == step and s0 % step == 0 and s0 // step >= c:
        return _NO_TRANS, s0 // step
    if s0 == step and s1 % step == 0 and s1 // step >= r:
        return _TRANS, s1 // step
    raise ValueError(
        f"a BLAS operand needs unit stride along one axis; got strides {M.strides} for a "
        f"{M.shape} array of {M.dtype}"
    )


class Rate:
    """The rate ``r`` of the :func:`descent` calls bound to it, ``C ← C - r A B``: setting
    :attr:`value` changes it for all of them at once (a training schedule's next rate)."""

    __slots__ = ("alpha", "char")

    def __init__(self, dtype: np.dtype | str, value: float = 1.0) -> None:
        self.char = np.dtype(dtype).char
        if self.char not in _SYMBOLS:
            raise ValueError(f"a rate is float32 or float64, got {np.dtype(dtype)}")
        self.alpha = _SYMBOLS[self.char][1](-value)  # GEMM's α, passed by value: read each call

    @property
    def value(self) -> float:
        """The rate ``r``."""
        return -self.alpha.value

    @value.setter
    def value(self, r: float) -> None:
        self.alpha.value = -r


def _bind(fn: Callable[..., None], rate: Rate, A: Array, B: Array, C: Array) -> Callable[[], None]:
    (m, k), n = A.shape, B.shape[1]
    ta, lda = _operand(A)
    tb, ldb = _operand(B)
    tc, ldc = _operand(C)
    if tc != _NO_TRANS:
        raise ValueError("the updated matrix needs rows of unit stride")
    i64, ptr, i32, one = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int, type(rate.alpha)(1.0)
    args = (i32(_ROW_MAJOR), i32(ta), i32(tb), i64(m), i64(n), i64(k), rate.alpha)
    args += (ptr(A.ctypes.data), i64(lda), ptr(B.ctypes.data), i64(ldb), one)
    args += (ptr(C.ctypes.data), i64(ldc))
    call = functools.partial(fn, *args)
    call.keep = (A, B, C, rate)  # the pointers stay valid as long as the call exists
    return call


def descent(A: Array, B: Array, C: Array, rate: Rate | None = None) -> Callable[[], None]:
    """A call that computes ``C ← C - r A B`` in place, ``A: (m, k)``, ``B: (k, n)``,
    ``C: (m, n)``, by NumPy's own BLAS (one GEMM, ``α = -r, β = 1``), bound to these arrays.
    ``r`` is ``rate.value`` at each call (1 when ``rate`` is None).

    Each operand may be a view, as long as one of its axes has unit stride; ``C`` must not
    overlap ``A`` or ``B``. Raises ``ValueError`` when the operands do not fit, or when
    :func:`available` is false for their dtype.
    """
    if _gemm(C.dtype.char) is None:
        raise ValueError(f"no direct BLAS for {C.dtype} here; check fcnn.blas.available first")
    if A.dtype != C.dtype or B.dtype != C.dtype:
        raise ValueError(f"operands must share one dtype, got {A.dtype}, {B.dtype}, {C.dtype}")
    if rate is None:
        rate = Rate(C.dtype)
    elif rate.char != C.dtype.char:
        raise ValueError(f"the rate is for {np.dtype(rate.char)}, the operands are {C.dtype}")
    if (
        A.ndim != 2
        or B.ndim != 2
        or C.shape != (A.shape[0], B.shape[1])
        or A.shape[1] != B.shape[0]
    ):
        raise ValueError(f"shapes {A.shape} @ {B.shape} do not give {C.shape}")
    if np.shares_memory(C, A) or np.shares_memory(C, B):
        raise ValueError("the updated matrix must not overlap the operands")
    return _bind(_gemm(C.dtype.char), rate, A, B, C)
