"""The ledger as text, Markdown or LaTeX: formatting only, no math.

Matrices larger than ``MAX_SHOWN`` rows or columns show their top-left corner and say how much
is left out. Markdown writes each equation as ``$$...$$`` and each name as ``$...$`` (both
render in matplotlib's mathtext, so no TeX install is needed to check them) and the numbers in
code blocks; LaTeX writes a complete ``article`` with ``bmatrix`` matrices.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .ledger import EPS, Array, Check, Entry, Value

FORMATS = ("text", "md", "tex")
#: the most rows and columns a matrix shows
MAX_SHOWN = 8


def render(entries: Sequence[Entry], fmt: str = "text", header: Sequence[str] = ()) -> str:
    """The ledger ``entries`` in ``fmt`` (``"text"``, ``"md"`` or ``"tex"``), after the
    ``header`` lines (plain text: where the step comes from)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return {"text": _text, "md": _markdown, "tex": _latex}[fmt](entries, header)


# ------------------------------------------------------------------------------- numbers


def _corner(M: Array) -> tuple[Array, str]:
    """The top-left ``MAX_SHOWN`` x ``MAX_SHOWN`` of ``M`` (2-D), and what was left out."""
    r, c = M.shape
    cut = []
    if r > MAX_SHOWN:
        cut.append(f"first {MAX_SHOWN} of {r} rows")
    if c > MAX_SHOWN:
        cut.append(f"first {MAX_SHOWN} of {c} columns")
    return M[:MAX_SHOWN, :MAX_SHOWN], ", ".join(cut)


def _num(v: float, digits: int) -> str:
    return "·" if np.isnan(v) else f"{v:.{digits}g}"


def _grid(M: Array, digits: int) -> list[list[str]]:
    return [[_num(v, digits) for v in row] for row in M]


def _block(M: Array, digits: int, indent: str = "  ") -> str:
    """Right-aligned columns, one matrix row a line."""
    cells = _grid(M, digits)
    width = max((len(c) for row in cells for c in row), default=1)
    return "\n".join(indent + "  ".join(c.rjust(width) for c in row) for row in cells)


def _shape(M: Array) -> str:
    return f"{M.shape[0]} × {M.shape[1]}"


def _as2d(M: Array) -> Array:
    M = np.asarray(M, float)
    return M.reshape(-1, 1) if M.ndim == 1 else M


def _check_lines(c: Check) -> list[tuple[str, Array | None]]:
    """What a check says: ``(sentence, matrix or None)`` pairs."""
    n, total = len(c.entries), c.analytic.size
    which = "every entry" if n == total else f"the {n} largest of {total} entries (· not checked)"
    numeric = _as2d(c.numeric)
    out = [
        (f"central finite differences (ε = {EPS:g}) on {which}:", numeric),
        (f"backprop vs finite differences: max relative error {c.error():.2e}", None),
    ]
    if c.seed000 is not None:
        out.append(
            (
                "seed 000's gradient (eq. 9-10: softmax derivative taken elementwise):",
                _as2d(c.seed000),
            )
        )
        out.append(
            (f"seed 000 vs finite differences: max relative error {c.error(c.seed000):.2e}", None)
        )
    return out


# ------------------------------------------------------------------------------- formats


def _text(entries: Sequence[Entry], header: Sequence[str]) -> str:
    out = list(header) + [""]
    for e in entries:
        out += [f"── {e.where} " + "─" * max(4, 60 - len(e.where)), e.text]
        for v in e.values:
            M, cut = _corner(_as2d(v.array))
            out.append(f"  {v.text}  ({_shape(_as2d(v.array))}{'; ' + cut if cut else ''})")
            out.append(_block(M, v.digits, "    "))
        if e.check is not None:
            for sentence, M in _check_lines(e.check):
                out.append("  " + sentence)
                if M is not None:
                    out.append(_block(_corner(M)[0], 6, "    "))
        if e.note:
            out.append(f"  note: {e.note}")
        out.append("")
    return "\n".join(out)


def _markdown(entries: Sequence[Entry], header: Sequence[str]) -> str:
    out = ["# fcnn explain: one step of backpropagation", ""]
    out += [f"- {line}" for line in header] + [""]
    for e in entries:
        out += [f"## {e.where}", "", f"$${e.tex}$$", ""]
        for v in e.values:
            M, cut = _corner(_as2d(v.array))
            out += [f"${v.tex}$, {_shape(_as2d(v.array))}{' (' + cut + ')' if cut else ''}:", ""]
            out += ["```text", _block(M, v.digits, ""), "```", ""]
        if e.check is not None:
            for sentence, M in _check_lines(e.check):
                out += [sentence, ""]
                if M is not None:
                    out += ["```text", _block(_corner(M)[0], 6, ""), "```", ""]
        if e.note:
            out += [f"> {e.note}", ""]
    return "\n".join(out)


_TEX_ESCAPES = {c: "\\" + c for c in "&%$#_{}"} | {
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\^{}",
}
_TEX_SYMBOLS = {
    "∇": r"$\nabla$",
    "Ŷ": r"$\hat{Y}$",
    "ᵀ": r"$^\top$",
    "⊙": r"$\odot$",
    "←": r"$\leftarrow$",
    "α": r"$\alpha$",
    "λ": r"$\lambda$",
    "ε": r"$\varepsilon$",
    "Σ": r"$\Sigma$",
    "×": r"$\times$",
    "§": r"\S{}",
    "·": r"$\cdot$",
    "…": r"\dots{}",
}


def tex_text(s: str) -> str:
    """Plain text for a LaTeX paragraph: special characters escaped, symbols as math."""
    out = "".join(_TEX_ESCAPES.get(c, c) for c in s)
    return "".join(_TEX_SYMBOLS.get(c, c) for c in out)


def _bmatrix(M: Array, digits: int, cut: bool) -> str:
    cells = [[c.replace("·", r"\cdot") for c in row] for row in _grid(M, digits)]
    rows = [" & ".join(row) + (r" & \cdots" if cut else "") for row in cells]
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def _tex_value(v: Value) -> str:
    A = _as2d(v.array)
    M, cut = _corner(A)
    note = rf"\quad ({A.shape[0]} \times {A.shape[1]})"
    return rf"\[ {v.tex} = {_bmatrix(M, v.digits, A.shape[1] > MAX_SHOWN)} {note} \]" + (
        f"\n\\noindent {tex_text(cut)}." if cut else ""
    )


def _latex(entries: Sequence[Entry], header: Sequence[str]) -> str:
    out = [
        r"\documentclass{article}",
        r"\usepackage{amsmath}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\setcounter{MaxMatrixCols}{20}",
        r"\begin{document}",
        r"\section*{fcnn explain: one step of backpropagation}",
    ]
    out += [tex_text(line) + r"\\" for line in header]
    for e in entries:
        out += [rf"\subsection*{{{tex_text(e.where)}}}", rf"\[ {e.tex} \]"]
        out += [_tex_value(v) for v in e.values]
        if e.check is not None:
            for sentence, M in _check_lines(e.check):
                out.append(r"\noindent " + tex_text(sentence))
                if M is not None:
                    out.append(rf"\[ {_bmatrix(_corner(M)[0], 6, M.shape[1] > MAX_SHOWN)} \]")
        if e.note:
            out.append(r"\noindent\emph{" + tex_text(e.note) + "}")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"
