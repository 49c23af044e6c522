"""The backprop ledger: every line of seed 002's Algorithms 1 and 2 for one step, with numbers.

:func:`ledger` runs the step with ``fcnn.reference`` (the seeds' math line by line, in seed
002's layout: one sample per column) in float64, and returns one :class:`Entry` per line: the
seed's equation, the matrices it reads and writes, and for every gradient a central
finite-difference check beside it. Then the update ``θ ← θ - α ∇θ`` with the new values.
With ``seed000=True`` it also carries seed 000's own gradient (eq. 9-10, the softmax
derivative taken elementwise; ``docs/math.md`` §4.1) through the same lines.

Nothing here formats: ``fcnn.explain.render`` turns the entries into text, Markdown or LaTeX.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import reference

Array = np.ndarray
#: the central-difference step, and how many entries of a large array are checked
EPS, MAX_CHECKED = 1e-6, 6


@dataclass
class Value:
    """A named matrix: ``text`` and ``tex`` are its name in seed notation; ``digits`` the
    significant digits it is shown with."""

    text: str
    tex: str
    array: Array
    digits: int = 6


@dataclass
class Check:
    """A gradient beside its central finite differences on ``entries`` (flat indices; all of
    them for a small array). ``seed000`` is seed 000's gradient of the same array, if asked."""

    analytic: Array
    numeric: Array
    entries: Array
    seed000: Array | None = None

    def error(self, grad: Array | None = None) -> float:
        """The largest relative error ``|g - n| / max(|g|, |n|, 1e-12)`` over the entries."""
        g = (self.analytic if grad is None else grad).ravel()[self.entries]
        n = self.numeric.ravel()[self.entries]
        return float((np.abs(g - n) / np.maximum(np.maximum(np.abs(g), np.abs(n)), 1e-12)).max())


@dataclass
class Entry:
    """One line of the ledger: where it is in the seed, the equation, the values."""

    where: str
    text: str
    tex: str
    values: list[Value] = field(default_factory=list)
    check: Check | None = None
    note: str = ""


@dataclass
class Problem:
    """One step to explain. ``Ws[k]: (n_k, n_{k-1})``, ``bs[k]: (n_k,)`` (layers 1..l),
    ``X: (f, b)`` and ``Y: (n_l, b)`` in seed 002's layout; ``acts`` the hidden activations;
    ``rate`` the learning rate α; ``l2`` the penalty λ of ``(λ/2) Σ ||W||²``."""

    Ws: list[Array]
    bs: list[Array]
    X: Array
    Y: Array
    acts: Sequence[str]
    output: str
    loss: str
    reduction: str = "mean"
    rate: float = 0.1
    l2: float = 0.0


def sup(k: int | str) -> tuple[str, str]:
    """The layer index as the seeds write it: ``^(k)`` in text, ``^{(k)}`` in TeX."""
    return f"^({k})", f"^{{({k})}}"


def objective(p: Problem, Ws: Sequence[Array], bs: Sequence[Array]) -> float:
    """``J`` (reduced over the batch) of the parameters ``Ws, bs`` on ``p``'s batch."""
    a, _ = reference.forward(Ws, bs, p.X, p.acts)
    return reference.loss_gradient(p.loss, p.output, a[-1], p.Y)[0] * _scale(p)


def _scale(p: Problem) -> float:
    return 1.0 / p.X.shape[1] if p.reduction == "mean" else 1.0


def finite_differences(f: Callable[[Array], float], x: Array, entries: Array) -> Array:
    """Central differences ``(f(x + εe_i) - f(x - εe_i)) / 2ε`` at the flat ``entries`` of
    ``x`` (NaN elsewhere); ``f`` reads ``x``, which is restored after each entry."""
    out = np.full(x.size, np.nan)
    flat = x.reshape(-1)
    for i in entries:
        keep = flat[i]
        flat[i] = keep + EPS
        up = f(x)
        flat[i] = keep - EPS
        down = f(x)
        flat[i] = keep
        out[i] = (up - down) / (2 * EPS)
    return out.reshape(x.shape)


def checked_entries(grad: Array) -> Array:
    """Every flat index of a small gradient; of a large one the ``MAX_CHECKED`` largest."""
    if grad.size <= 2 * MAX_CHECKED:
        return np.arange(grad.size)
    return np.sort(np.argsort(-np.abs(grad).ravel(), kind="stable")[:MAX_CHECKED])


def seed000_output_gradient(p: Problem, a_out: Array) -> Array:
    """Seed 000's ``∂J/∂a^(l)`` (eq. 9-10 for the MSE part, eq. 11 for cross-entropy): the
    MSE factor ``(ŷ - y)/N`` times ``ŷ - ŷ²``, the softmax derivative's diagonal applied
    elementwise, plus ``ŷ - y``; scaled by the reduction. ``a_out: (n_l, b)``. Needs a
    softmax output and an ``mse`` or ``mse+ce`` loss (``docs/math.md`` §4.1)."""
    if p.output != "softmax" or "mse" not in p.loss:
        raise ValueError(
            "the seed-000 gradient is that of a softmax output with an mse or mse+ce loss "
            f"(seed 000's network); this network has output={p.output!r}, loss={p.loss!r}"
        )
    s = reference.output("softmax", a_out)
    g = (s - p.Y) / p.Y.shape[0] * (s - s**2)  # seed 000 eq. 9-10
    if p.loss == "mse+ce":
        g = g + (s - p.Y)  # seed 000 eq. 11, correct
    return g * _scale(p)


def _param_check(p: Problem, layer: int, is_bias: bool, grad: Array, seed: Array | None) -> Check:
    Ws, bs = [W.copy() for W in p.Ws], [b.copy() for b in p.bs]
    x = (bs if is_bias else Ws)[layer]
    entries = checked_entries(grad)
    numeric = finite_differences(lambda _: objective(p, Ws, bs), x, entries)
    return Check(grad, numeric, entries, seed)


def forward_entries(p: Problem) -> tuple[list[Entry], list[Array], list[Array]]:
    """Alg. 1, lines 6-10: the entries, and ``a``, ``h`` of ``fcnn.reference.forward``."""
    l = len(p.Ws)
    a, h = reference.forward(p.Ws, p.bs, p.X, p.acts)
    out = [Entry("Alg. 1, line 6", "h^(0) = X", "h^{(0)} = X", [Value("X", "X", p.X)])]
    for k in range(1, l + 1):
        (t, x), (tp, xp) = sup(k), sup(k - 1)
        line = "8" if k < l else "10"
        out.append(
            Entry(
                f"Alg. 1, line {line} (k = {k})",
                f"a{t} = W{t} h{tp} + b{t}",
                f"a{x} = W{x} h{xp} + b{x}",
                [Value(f"W{t}", f"W{x}", p.Ws[k - 1]), Value(f"b{t}", f"b{x}", p.bs[k - 1])]
                + [Value(f"a{t}", f"a{x}", a[k])],
            )
        )
        if k < l:
            f = p.acts[k - 1]
            out.append(
                Entry(
                    f"Alg. 1, line 9 (k = {k})",
                    f"h{t} = f(a{t}),  f = {f}",
                    rf"h{x} = f(a{x}),\ f = \mathrm{{{f}}}",
                    [Value(f"h{t}", f"h{x}", h[k])],
                )
            )
    return out, a, h


def loss_entries(p: Problem, a_out: Array) -> list[Entry]:
    """Alg. 1, lines 11-13: the output function (fcnn's departure), ``J_k`` and ``J``."""
    (t, x) = sup(len(p.Ws))
    yhat = reference.output(p.output, a_out)
    Jk = np.array(
        [
            reference.loss_gradient(p.loss, p.output, a_out[:, [j]], p.Y[:, [j]])[0]
            for j in range(a_out.shape[1])
        ]
    )
    mean = p.reduction == "mean"
    return [
        Entry(
            "Alg. 1, line 11",
            f"Ŷ = o(a{t}),  o = {p.output}",
            rf"\hat{{Y}} = o(a{x}),\ o = \mathrm{{{p.output}}}",
            [Value("Y", "Y", p.Y), Value("Ŷ", r"\hat{Y}", yhat)],
            note="fcnn applies the output function o to a^(l); seed 002 leaves Ŷ = a^(l) and "
            "puts the softmax in the loss: the same J and gradient (docs/math.md §2.1)",
        ),
        Entry(
            "Alg. 1, line 12",
            f"J_k = L(Y_k, Ŷ_k),  L = {p.loss}",
            rf"J_k = L(Y_k, \hat{{Y}}_k),\ L = \mathrm{{{p.loss.replace('_', ' ')}}}",
            [Value("J_k", "J_k", Jk.reshape(1, -1))],
        ),
        Entry(
            "Alg. 1, line 13",
            "J = (1/b) Σ_k J_k" if mean else "J = Σ_k J_k",
            r"J = \frac{1}{b} \sum_{k=1}^{b} J_k" if mean else r"J = \sum_{k=1}^{b} J_k",
            [Value("J", "J", np.array([[Jk.sum() * _scale(p)]]))],
            note="reduction 'mean' (fcnn's default); seed 002 eq. 3i sums" if mean else "",
        ),
    ]
