"""When a run's softmax/cross-entropy step takes the fused compiled kernels of
:mod:`fcnn._fast.kernels` (numba, the ``fast`` extra), and those kernels bound to a workspace.

On a small network the whole step is one call (:class:`Bound`): it replaces the ~20 NumPy
calls of a step, whose overhead is the step there (seed 000's 2-2-2 network: 16 -> 7 µs a
step of ``fit``, ``docs/performance.md``). On a wider one BLAS's products stay, and the
elementwise work between them is fused (:class:`Between`): softmax, cross-entropy, the delta
and the accuracy count in one call, each ``g ⊙= f'(a)`` in one pass (MNIST-1D's step: 150 ->
135 µs). Importing numba (~0.3 s) and compiling the kernels (~3 s the first time; numba's
on-disk cache keeps them) cost more than short runs save, so by default only a run whose
steps repay both takes them, and ``fcnn train`` never waits on a compiler. ``FCNN_FUSED=1``
takes them wherever they apply (benchmarks, long studies), ``FCNN_FUSED=0`` never. The choice
depends on the run, not on what this process has imported or compiled, so the same run gives
the same numbers every time; a checkpoint records it, and a resumed run keeps it.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..network import Network
    from .workspace import Workspace

Array = np.ndarray
# what a run is expected to save per step and layer, and what the kernel may cost before its
# first step: import numba and compile the kernel (numba's cache may make it cheaper)
SAVED_PER_LAYER_S = 3e-6
IMPORT_S, COMPILE_S = 0.3, 3.0
# the most work a step may hold for the whole step to be one kernel call: multiply-adds of
# the forward pass, Σ_k n_k (n_{k-1} + 1) B. Its products are plain loops in float64; beyond
# this, BLAS's products with the kernels between them (Between) win. Measured, fit steps in µs,
# whole / between, one thread: float64 2-16-16-2 at B = 32 (1.1·10⁴) 8.9 / 11.8, 2-8-8-2 at
# B = 256 (2.9·10⁴) 19.6 / 21.7, 4-32-3 at B = 128 (3.3·10⁴) 27.3 / 20.0, 8-24-4 at B = 200
# (6.3·10⁴) 58.2 / 24.6; float32 2-16-16-2 at B = 64 (2.3·10⁴) 11.1 / 11.0, 2-8-8-2 at B = 256
# 15.1 / 13.0
MAX_WORK = {"float64": 30_000, "float32": 20_000}
CODES = {"identity": 0, "tanh": 1, "relu": 2}  # the hidden activations fcnn._fast.kernels knows
SETTINGS = {"auto": None, "1": True, "on": True, "yes": True, "0": False, "off": False, "no": False}


def applies(net: Network, batch: int) -> bool:
    """Whether the whole kernel (:mod:`fcnn._fast.kernels`' ``step``) computes ``net``'s step
    on batches of ``batch`` samples in one call: two or more layers, hidden activations it
    knows, at most ``MAX_WORK`` multiply-adds (softmax and cross-entropy: the caller checks
    those). Else a run that takes the kernels has :class:`Between`'s around BLAS's products."""
    small = work(net, batch) <= MAX_WORK[np.dtype(net.dtype).name]
    return len(net.sizes) > 2 and _known(net) and small


def _known(net: Network) -> bool:
    """Whether the kernels know every hidden activation of ``net``."""
    return all(a in CODES for a in net.activations)


def work(net: Network, batch: int) -> int:
    """Multiply-adds of ``net``'s forward pass on ``batch`` samples, ``Σ_k n_k (n_{k-1} + 1) B``."""
    sizes = net.sizes
    return sum(m * (n + 1) for n, m in zip(sizes[:-1], sizes[1:], strict=True)) * batch


def chosen(net: Network, steps: int) -> bool:
    """Whether a run of ``steps`` steps takes the kernels (``FCNN_FUSED``; where they know
    its hidden activations: the whole step where it :func:`applies`, else :class:`Between`'s).
    By default only where the steps repay importing numba and compiling the kernels, whatever
    this process or numba's cache hold: the choice depends on the run alone, so the same
    run takes the same step (and gives the same numbers, to the last bit) every time."""
    setting = os.environ.get("FCNN_FUSED", "auto").strip().lower() or "auto"
    if setting not in SETTINGS:
        raise ValueError(
            f"FCNN_FUSED={os.environ['FCNN_FUSED']!r} is not a setting: use 1 (the fused "
            "kernel wherever it applies), 0 (never) or auto (where it pays; the default)"
        )
    take = SETTINGS[setting]
    if take is None:
        take = steps * SAVED_PER_LAYER_S * (len(net.sizes) - 1) > IMPORT_S + COMPILE_S
    return take and steps > 0 and _known(net) and _installed()


@functools.cache
def loads() -> bool:
    """Whether the kernel module imports: numba raises on import where it finds no place
    for its cache; the NumPy step then serves."""
    try:
        from . import kernels  # noqa: F401
    except Exception:  # whatever numba raised: the NumPy step computes the same numbers
        return False
    return True


def scratch(net: Network, B: int) -> tuple[Array, Array, Array]:
    """The kernel's scratch for batches of ``B``: the activation codes, four float64 rows of
    ``B`` (column maxima, sums, exp's terms, y·z by column) and an int64 row (exp's 2^k,
    argmax's rows; the kernel reads it as float64 too)."""
    codes = np.array([CODES[a] for a in net.activations], np.int64)
    return codes, np.zeros((4, B), np.float64), np.zeros(B, np.int64)


class Members:
    """The kernel over a population's members (``fcnn._fast.stacked``): its scratch for each
    batch size, and its arguments for the members loaded, made once for their views."""

    def __init__(self, net: Network) -> None:
        from . import kernels

        self._kernel = kernels.step
        self.net = net
        self.rates = np.zeros(2, np.float64)  # read, never written, by the kernel
        self._kept: dict[int, tuple[Array, Array, Array]] = {}
        self._for: tuple | None = None  # the arrays the kernel's arguments were made for
        self._call: tuple = ()

    def step(self, arrays: tuple, scale: float, J: Array, hits: Array) -> None:
        """One step of the loaded members, ``arrays = (Wbs, dWbs, H0, Hs, As, Gs, Ts, P, Y,
        labels)`` as :func:`fcnn._fast.kernels.step` takes them; each member's summed
        cross-entropy and correct count go to ``J`` and ``hits``."""
        if self._for is not arrays or self._call[-1] is not hits:
            B = arrays[2].shape[2]
            if B not in self._kept:
                self._kept[B] = scratch(self.net, B)
            self._for, self._call = arrays, (*arrays, *self._kept[B], self.rates, False, J, hits)
        self.rates[0] = scale
        self._kernel(*self._call)


def members(net: Network) -> Members | None:
    """The kernel over a population of ``net``'s shape, or None where the kernel does not
    load (the NumPy step serves)."""
    return Members(net) if loads() else None


class Bound:
    """The kernel bound to one workspace: ``run(*args)`` is one step, returning ``(Σ_k J_k,
    correct)``; ``rates`` holds the output delta's scale and the descent's rate, which
    :meth:`refresh` reads from the workspace after its rate changed."""

    __slots__ = ("args", "rates", "run", "ws")

    def __init__(self, net: Network, ws: Workspace, descend: bool) -> None:
        from . import kernels

        B = ws.B
        self.ws = ws
        self.rates = np.zeros(2, np.float64)
        self.args = (  # one member: each array with a leading axis of 1
            tuple(W[None] for W in net._Wb),
            tuple(W[None] for W in net._dWb),
            ws.H[0][None],
            tuple(h[None] for h in ws.H[1:]),
            tuple(a[None] for a in ws.A),
            tuple(g[None] for g in ws.G),
            tuple(t[None] for t in ws.T),
            ws.P[None],
            ws.Y[None],
            ws.labels[None],
            *scratch(net, B),
            self.rates,
            descend,
            np.zeros(1),
            np.zeros(1, np.int64),
        )
        # without the dispatcher's type resolution, which costs a sixth of the seed's step
        self.run = _entry(kernels.step, self.args)

    def refresh(self) -> None:
        """Read the workspace's rate into ``rates``."""
        ws = self.ws
        self.rates[0], self.rates[1] = float(ws.delta_scale), ws.scale * ws.rate


class Between:
    """The kernels between BLAS's products, bound to one workspace of a network too wide for
    the whole step in one call (:func:`applies`): ``output()`` computes the softmax, the
    cross-entropy, the output delta (scaled by the workspace's ``delta_scale`` unless the
    step descends: the descent's GEMM takes the rate) and the accuracy count in one call and
    returns ``Σ_k J_k`` (the count goes to ``counted[0]``); ``derivatives[i]()`` multiplies
    the i-th backward layer's ``g_below`` by ``f'(a_below)`` in one pass (None where the
    layer carries nothing down). The NumPy step calls these in place of its ~10 elementwise
    calls (``fcnn._fast.step.compile_step``)."""

    __slots__ = ("counted", "derivatives", "output")

    def __init__(self, net: Network, ws: Workspace, descend: bool) -> None:
        from . import kernels

        codes, rows, bits = scratch(net, ws.B)
        self.counted = np.zeros(1, np.int64)
        dscale = ws.delta_scale.reshape(1)  # a view: it follows Workspace.set_rate
        args = (ws.A[-1], ws.P, ws.Y, ws.G[-1], ws.labels, rows, bits, dscale, descend)
        args += (self.counted,)
        self.output = functools.partial(_entry(kernels.output, args), *args)
        self.derivatives: list[Callable[[], None] | None] = []
        L = len(ws.backward)
        for b, k in zip(ws.backward, range(L - 1, -1, -1), strict=True):  # layers L-1 .. 0
            if b.WT is None:  # the first layer: nothing needs ∂J/∂x
                self.derivatives.append(None)
                continue
            layer = (codes[k - 1], b.a_below, b.h_below, b.g_below)  # f of layer k - 1
            entry = _entry(kernels.times_derivative, layer)
            self.derivatives.append(functools.partial(entry, *layer))


def _entry(kernel: Any, args: tuple) -> Callable[..., Any]:
    """``kernel`` compiled (or loaded from numba's cache) for the types of ``args``, as its
    compiled overload's entry point: called without the dispatcher's type resolution."""
    signature = tuple(kernel.typeof_pyval(a) for a in args)
    kernel.compile(signature)
    return kernel.overloads[signature].entry_point


@functools.cache
def _installed() -> bool:
    """Whether numba is there, without importing it."""
    return "numba" in sys.modules or importlib.util.find_spec("numba") is not None
