"""Central finite differences against ``Network.gradients``.

For every parameter θ_i, the five-point central difference

    g_num = (-J(θ + 2ε e_i) + 8 J(θ + ε e_i) - 8 J(θ - ε e_i) + J(θ - 2ε e_i)) / 12ε

in float64 (truncation error O(ε⁴); at ε = 1e-3, rounding and truncation together leave about
1e-12 · |J|), compared with the backpropagated ``g`` by the relative error
``|g - g_num| / max(|g|, |g_num|, floor)``. The floor (1e-5 by default) keeps entries whose true
gradient is ~0 from dividing that rounding noise by ~0 (``docs/math.md`` §6).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import check_number
from ._layout import blocks, weights_and_biases
from .network import Network

Array = np.ndarray


@dataclass
class GradcheckReport:
    """Max relative error per array, named ``W1.., b1..`` in seed notation (1-based)."""

    errors: dict[str, float] = field(default_factory=dict)
    tolerance: float = 1e-6

    @property
    def max_error(self) -> float:
        """The largest relative error over every array."""
        return max(self.errors.values())

    @property
    def passed(self) -> bool:
        """True when every array's error is below ``tolerance``."""
        return self.max_error < self.tolerance

    def __str__(self) -> str:
        rows = [f"{name:>6}  {err:.3e}" for name, err in self.errors.items()]
        verdict = "PASS" if self.passed else "FAIL"
        return "\n".join(
            [
                "array   max rel. error",
                *rows,
                f"{verdict}: max {self.max_error:.3e} (tolerance {self.tolerance:.0e})",
            ]
        )


def gradcheck(
    net: Network,
    X: Array,
    y: Array,
    *,
    eps: float = 1e-3,
    l2: float = 0.0,
    tolerance: float = 1e-6,
    floor: float = 1e-5,
) -> GradcheckReport:
    """Compare ``net.gradients(X, y)`` with central differences of ``net.loss(X, y)``.

    The check runs on a float64 copy of ``net`` (the network itself is not touched), so float32
    networks are checked at float64 precision. ``X: (n_samples, n_0)``; ``y`` as for ``fit``.
    Returns a :class:`GradcheckReport` with the max relative error per weight and bias array.
    """
    check_number("eps", eps, 0, low_open=True)
    check_number("tolerance", tolerance, 0)
    check_number("floor", floor, 0, low_open=True)
    cfg = net.config() | {"dtype": "float64"}
    probe = Network.from_config(cfg, net.params.astype(np.float64))
    X = np.asarray(X, dtype=np.float64)
    dWs, dbs = probe.gradients(X, y, l2=l2)
    analytic = np.concatenate(
        [np.concatenate([dW, db[:, None]], axis=1).ravel() for dW, db in zip(dWs, dbs, strict=True)]
    )
    numeric = np.empty_like(analytic)
    theta = probe.params
    for i in range(probe.n_params):
        saved = theta[i]
        J = []
        for step in (2, 1, -1, -2):
            theta[i] = saved + step * eps
            J.append(probe.loss(X, y, l2=l2))
        theta[i] = saved
        numeric[i] = (-J[0] + 8 * J[1] - 8 * J[2] + J[3]) / (12 * eps)
    rel = np.abs(analytic - numeric) / np.maximum(
        np.maximum(np.abs(analytic), np.abs(numeric)), floor
    )
    report = GradcheckReport(tolerance=tolerance)
    rel_blocks = blocks(rel, [Wb.shape for Wb in probe._Wb])
    for k, (W, b) in enumerate(zip(*weights_and_biases(rel_blocks), strict=True), start=1):
        report.errors[f"W{k}"], report.errors[f"b{k}"] = float(W.max()), float(b.max())
    return report
