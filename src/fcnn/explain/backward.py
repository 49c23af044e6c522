"""The ledger's second half: seed 002's Algorithm 2 line by line, then the update."""

from __future__ import annotations

import numpy as np

from .. import activations, reference
from .ledger import (
    Array,
    Check,
    Entry,
    Problem,
    Value,
    _param_check,
    _scale,
    checked_entries,
    finite_differences,
    seed000_output_gradient,
    sup,
)


def _output_gradient(p: Problem, a: list[Array], h: list[Array], seed000: bool) -> tuple:
    """Line 1's ``g``, its entry, and seed 000's ``(dWs, dbs)`` when asked (else Nones)."""
    l, scale = len(p.Ws), _scale(p)
    g = reference.loss_gradient(p.loss, p.output, a[l], p.Y)[1] * scale
    seed_g = seed000_output_gradient(p, a[l]) if seed000 else None
    seeds = reference.backward(p.Ws, a, h, seed_g, p.acts) if seed000 else (None, None)

    def loss_of(A: Array) -> float:
        return reference.loss_gradient(p.loss, p.output, A, p.Y)[0] * scale

    entries = checked_entries(g)
    t, x = sup(l)
    entry = Entry(
        "Alg. 2, line 1",
        f"g ← ∇_a{t} J",
        rf"g \leftarrow \nabla_{{a{x}}} J",
        [Value("g", "g", g)],
        Check(g, finite_differences(loss_of, a[l].copy(), entries), entries, seed_g),
        note="seed 002 writes ∇_Ŷ J with Ŷ = a^(l); in fcnn the gradient also passes through "
        "the output function, in one step (docs/math.md §2.2, §3)",
    )
    return g, entry, seeds


def _gradient_entry(
    p: Problem, k: int, line: str, is_bias: bool, grad: Array, seed: Array | None
) -> Entry:
    """Lines 2-4 / 8-10: ``∇b = g O`` or ``∇W = g h^(k-1)ᵀ``, with its finite differences."""
    (t, x), tp = sup(k), sup(k - 1)[0]
    name = "b" if is_bias else "W"
    text, tex = ("g O", "g O") if is_bias else (f"g h{tp}ᵀ", rf"g h^{{({k - 1})\top}}")
    shown = grad.reshape(-1, 1) if is_bias else grad
    return Entry(
        f"Alg. 2, line{'s' if '-' in line else ''} {line} (k = {k})",
        f"∇_{name}{t} J = {text}",
        rf"\nabla_{{{name}{x}}} J = {tex}",
        [Value(f"∇_{name}{t} J", rf"\nabla_{{{name}{x}}} J", shown)],
        _param_check(p, k - 1, is_bias, grad, seed),
        note="O = [1 1 ... 1]ᵀ: the sum over the batch's columns" if is_bias else "",
    )


def backward_entries(
    p: Problem, a: list[Array], h: list[Array], seed000: bool = False
) -> tuple[list[Entry], list[Array], list[Array]]:
    """Alg. 2, lines 1-11 from ``a``, ``h`` of Alg. 1 (``fcnn.reference.forward``): the
    entries, and ``(dWs, dbs)``, layers 1..l."""
    l = len(p.Ws)
    g, first, (seed_dW, seed_db) = _output_gradient(p, a, h, seed000)
    out = [first]
    dW: list[Array] = [np.empty(0)] * l
    db: list[Array] = [np.empty(0)] * l
    for k in range(l, 0, -1):
        (t, x), (tp, xp) = sup(k), sup(k - 1)
        if k < l:
            df = activations.get(p.acts[k - 1]).df(a[k], h[k])
            g = g * df
            out.append(
                Entry(
                    f"Alg. 2, line 7 (k = {k})",
                    f"g ← ∇_a{t} J = g ⊙ f'(a{t})",
                    rf"g \leftarrow \nabla_{{a{x}}} J = g \odot f\,'(a{x})",
                    [Value(f"f'(a{t})", rf"f\,'(a{x})", df), Value("g", "g", g)],
                )
            )
        lines = ("2-3", "4", "5") if k == l else ("8-9", "10", "11")
        db[k - 1], dW[k - 1] = g.sum(axis=1), g @ h[k - 1].T
        sb = None if seed_db is None else seed_db[k - 1]
        sw = None if seed_dW is None else seed_dW[k - 1]
        out.append(_gradient_entry(p, k, lines[0], True, db[k - 1], sb))
        out.append(_gradient_entry(p, k, lines[1], False, dW[k - 1], sw))
        if k > 1:
            g = p.Ws[k - 1].T @ g
            out.append(
                Entry(
                    f"Alg. 2, line {lines[2]} (k = {k})",
                    f"g ← ∇_h{tp} J = W{t}ᵀ g",
                    rf"g \leftarrow \nabla_{{h{xp}}} J = W^{{({k})\top}} g",
                    [Value("g", "g", g)],
                )
            )
    return out, dW, db


def update_entries(p: Problem, dW: list[Array], db: list[Array], rule: str = "") -> list[Entry]:
    """The gradient-descent update of every layer, ``W ← W - α (∇W + λW)``, ``b ← b - α ∇b``
    (seed 000 eq. 8, seed 002 §3), with the change and the new values. ``rule`` notes an
    optimiser whose own update differs."""
    out = []
    for k in range(1, len(p.Ws) + 1):
        t, x = sup(k)
        W, b = p.Ws[k - 1], p.bs[k - 1]
        gW = dW[k - 1] + p.l2 * W
        l2 = f" (∇W includes the L2 term λW, λ = {p.l2:g})" if p.l2 else ""
        for name, old, grad in (("W", W, gW), ("b", b.reshape(-1, 1), db[k - 1].reshape(-1, 1))):
            step = -p.rate * grad
            out.append(
                Entry(
                    f"Update (k = {k}), α = {p.rate:g}",
                    f"{name}{t} ← {name}{t} - α ∇_{name}{t} J",
                    rf"{name}{x} \leftarrow {name}{x} - \alpha \nabla_{{{name}{x}}} J",
                    [
                        Value(f"{name}{t}", f"{name}{x}", old, 10),
                        Value(f"-α ∇_{name}{t} J", rf"-\alpha \nabla_{{{name}{x}}} J", step),
                        Value(f"new {name}{t}", rf"{name}{x}_{{\mathrm{{new}}}}", old + step, 10),
                    ],
                    note=(l2 if name == "W" else "") + rule,
                )
            )
    return out
