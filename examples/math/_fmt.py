"""Number formats shared by the scripts behind docs/math.md.

Each script in this folder prints lines that docs/math.md quotes verbatim (table rows,
sentences with the numbers in them); ``tests/docs/test_math_doc.py`` runs the scripts and
checks every printed line against the page. The helpers here write numbers the way the page
shows them: plain decimals, LaTeX vectors and matrices, and ``m\\times 10^{e}``.
"""

from __future__ import annotations

import math

import numpy as np


def num(x: float, d: int = 4) -> str:
    """``x`` with ``d`` decimals; a rounded zero loses its sign."""
    s = f"{x:.{d}f}"
    return s[1:] if s.startswith("-") and float(s) == 0 else s


def vec(v: np.ndarray, d: int = 4) -> str:
    """A vector as ``(v_1,\\ v_2, ...)``."""
    return "(" + ",\\ ".join(num(x, d) for x in np.ravel(v)) + ")"


def mat(M: np.ndarray, d: int = 4) -> str:
    """A matrix (a 1-D array is one column) as a LaTeX pmatrix."""
    M = np.asarray(M)
    M = M.reshape(-1, 1) if M.ndim == 1 else M
    rows = " \\\\ ".join(" & ".join(num(x, d) for x in row) for row in M)
    return "\\begin{pmatrix} " + rows + " \\end{pmatrix}"


def sci(x: float, digits: int = 2) -> str:
    """``x`` as ``m\\times 10^{e}`` with ``digits`` significant digits."""
    if x == 0:
        return "0"
    e = math.floor(math.log10(abs(x)))
    m = x / 10**e
    if round(abs(m), digits - 1) >= 10:
        m, e = m / 10, e + 1
    return f"{m:.{digits - 1}f}\\times 10^{{{e}}}"


def below(x: float) -> str:
    """The smallest power of ten above ``x`` (> 0), as ``10^{e}``: for numbers that are
    rounding noise, whose leading digit depends on the machine."""
    return f"10^{{{math.ceil(math.log10(x))}}}"
