"""Training-health diagnostics: per epoch and per layer, what the units and the updates do.

:class:`Diagnostics` is a :class:`fcnn.Callback`. After every update it reads what the step
left behind (the batch's hidden activations ``h^(k)`` in the workspace, ``∇J`` in the gradient
buffer, the parameters before and after) and, at the end of each epoch, writes one value per
quantity into ``History.diagnostics`` (a column per quantity, one row per epoch):

- ``layer{k}_saturated``: the fraction of saturated unit-sample pairs of hidden layer k over
  the epoch: tanh ``|h| > 0.97``, sigmoid ``h`` outside ``[0.02, 0.98]``;
- ``layer{k}_dead``: ReLU layers, the fraction of units never active (``h > 0``) on any sample
  of the epoch;
- ``layer{k}_act_mean``, ``layer{k}_act_std``: mean and standard deviation of ``h^(k)`` over
  the epoch's units and samples;
- ``layer{k}_grad_norm`` (every layer, the output one too): the mean over the epoch's batches
  of each batch's ``‖[∇W^(k) | ∇b^(k)]‖``;
- ``layer{k}_update_ratio_log10``: ``log10(‖Δθ^(k)‖ / ‖θ^(k)‖)`` per step, ``θ^(k) = [W^(k) |
  b^(k)]``, averaged over the epoch's steps (its healthy band is around -3). ``‖θ^(k)‖`` is
  taken at the start of the epoch: a pass over every parameter at every step would cost as much
  as the rest of the diagnostics together, and the norm moves little within an epoch. Under
  plain gradient descent ``‖Δθ‖ = α ‖∇J‖`` exactly, without a copy of the parameters.

The callback sets ``needs_gradient = "scaled"``, so the trainer picks a step that leaves ``∇J``
in the gradient buffer, or ``α ∇J`` on plain SGD's folded step (``fcnn._fast.step.choose``):
never the fastest plain-SGD step, which updates the parameters inside its matrix products and
writes no gradient. The readable, compiled and folded steps compute the same numbers up to
rounding, so the diagnostics do not depend on which one ran. The first update also records
the initial-loss check (:func:`expected_initial_loss`) in ``History.checks``.

A run resumed in the middle of an epoch records that epoch's diagnostics from the steps after
the resume only. Every array here is preallocated; one step costs a few passes over the
parameters and the hidden activations (``docs/seeing-inside.md`` gives the measured cost).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .callbacks import Callback
from .optim import SGD

if TYPE_CHECKING:
    from .network import Network
    from .train import Trainer

Array = np.ndarray
#: |h| above this is a saturated tanh unit; a sigmoid unit is saturated outside [0.02, 0.98]
TANH_SATURATED, SIGMOID_SATURATED = 0.97, 0.48  # the latter: |σ - 0.5| > 0.48


def expected_initial_loss(net: Network, labels: Array | None) -> dict[str, float] | None:
    """What the first loss should be when the network starts out predicting uniformly.

    Per sample, for ``K`` classes: cross-entropy ``ln K`` (softmax); one sigmoid unit per
    output, ``n_l ln 2``; MSE on a softmax ``(1 - 1/K) / (2K)``, on sigmoids ``1/8``; ``mse+ce``
    the sum. Returns ``{"expected_initial_loss": ..}`` plus ``"frequency_loss"``, the
    cross-entropy of predicting the class frequencies ``-Σ p_c ln p_c`` (below ``ln K`` when the
    classes are unbalanced), or None for a regression output, where no value is expected.
    """
    if net.output == "identity":
        return None
    K, parts = net.n_outputs, net.parts
    if net.output == "softmax":
        ce, mse = math.log(K), (1 - 1 / K) / (2 * K)
    else:
        ce, mse = K * math.log(2), 0.125
    out = {"expected_initial_loss": ce * ("ce" in parts) + mse * ("mse" in parts)}
    if labels is not None and "ce" in parts and net.output == "softmax":
        p = np.bincount(labels, minlength=K) / len(labels)
        p = p[p > 0]
        out["frequency_loss"] = float(-(p * np.log(p)).sum())
    return out


class Diagnostics(Callback):
    """Records the training-health diagnostics of the module docstring in
    ``trainer.history.diagnostics``; ``Network.fit(..., diagnostics=True)`` adds one."""

    needs_gradient = "scaled"  # ∇J, or α ∇J on the folded plain-SGD step

    def on_train_begin(self, trainer: Trainer) -> None:
        net = trainer.net
        self._blocks, start = [], 0
        for Wb in net._Wb:
            self._blocks.append(slice(start, start + Wb.size))
            start += Wb.size
        # plain gradient descent moves θ by exactly α ∇J, the gradient buffer as the step
        # applied it (L2 term and clipping included): ‖Δθ‖ = α ‖∇J‖, no copy of θ needed;
        # the folded step leaves α ∇J itself in the buffer: ‖Δθ‖ directly, ‖∇J‖ over α
        opt = trainer.optimizer
        plain = type(opt) is SGD and not opt.momentum
        self._folded = trainer._plan.kind == "folded"
        self._prev = None if plain else net.params.copy()  # θ before the next step
        self._g = [net._grad[s] for s in self._blocks]
        self._d = None if plain else [self._prev[s] for s in self._blocks]
        self._rules = [_rule(a) for a in net.activations]
        self._buf: dict[tuple, tuple[Array, Array]] = {}
        self._reset(trainer)

    def _reset(self, trainer: Trainer) -> None:
        """Zero the epoch's sums; ``‖θ^(k)‖²`` of the parameters the epoch starts from."""
        L, H = len(self._blocks), len(self._rules)
        self._steps, self._grad, self._ratio = 0, [0.0] * L, [0.0] * L
        self._count, self._sum, self._sumsq, self._sat = [0] * H, [0.0] * H, [0.0] * H, [0] * H
        self._alive: list[Array | None] = [None] * H
        p = trainer.net.params
        self._norm2 = [float(np.vdot(p[s], p[s])) for s in self._blocks]

    def on_step_end(self, trainer: Trainer) -> None:
        ws = trainer.batch
        if trainer.step == 1 and not trainer.history.checks:
            self._initial_check(trainer, ws.B)
        prev, folded, vdot = self._prev, self._folded, np.vdot
        if prev is not None:
            np.subtract(trainer.net.params, prev, out=prev)  # Δθ of this step
        else:
            rate = trainer.schedule.lr(trainer.epoch, trainer.step - 1)
            rate2 = rate * rate  # inf for a rate of 1e200, where ** 2 raises OverflowError
        for i, g in enumerate(self._g):
            gg = float(vdot(g, g))
            if folded:
                dn, gg = gg, (gg / rate2 if rate2 else math.nan)
            else:
                dn = rate2 * gg if prev is None else float(vdot(self._d[i], self._d[i]))
            self._grad[i] += math.sqrt(gg)
            pn = self._norm2[i]
            # a step that moved nothing counts as 10^-16 of the weights, not -inf
            self._ratio[i] += 0.5 * math.log10(max(dn, 1e-32 * pn) / pn) if pn > 0 else math.nan
        if prev is not None:
            np.copyto(prev, trainer.net.params)
        for k, rule in enumerate(self._rules):
            self._hidden(k, rule, ws.H[k + 1][:-1])
        self._steps += 1

    def _hidden(self, k: int, rule: str | None, h: Array) -> None:
        """Accumulate layer k+1's activation statistics from ``h: (n_k, B)``: its row sums
        by one matrix-vector product (a ReLU unit was active on the batch exactly where its
        row sum is positive, since ReLU outputs are >= 0), its sum of squares by one dot."""
        n, B = h.shape
        bufs = self._buf.get(h.shape)
        if bufs is None:
            bufs = self._buf[h.shape] = (
                np.empty(h.shape, h.dtype),
                np.empty(h.shape, bool),
                np.ones(B, h.dtype),
                np.array(0.5, h.dtype),
                {
                    "tanh": np.array(TANH_SATURATED, h.dtype),
                    "sigmoid": np.array(SIGMOID_SATURATED, h.dtype),
                },
            )
        tmp, mask, ones, half, limits = bufs
        rows = np.dot(h, ones)
        flat = h.reshape(-1)
        self._count[k] += n * B
        self._sum[k] += float(rows.sum())
        self._sumsq[k] += float(np.vdot(flat, flat))
        if rule == "relu":
            alive = self._alive[k]
            self._alive[k] = (
                rows > 0 if alive is None else np.logical_or(alive, rows > 0, out=alive)
            )
        elif rule is not None:
            if rule == "tanh":
                np.abs(h, out=tmp)
            else:  # sigmoid: |σ - 0.5| > 0.48
                np.abs(np.subtract(h, half, out=tmp), out=tmp)
            self._sat[k] += int(np.count_nonzero(np.greater(tmp, limits[rule], out=mask)))

    def _initial_check(self, trainer: Trainer, B: int) -> None:
        expected = expected_initial_loss(trainer.net, trainer.data.labels)
        if expected is None:
            return
        loss = trainer.history.step_loss[0]
        if trainer.net.reduction == "sum":
            loss /= B
        trainer.history.checks.update(initial_loss=float(loss), **expected)

    def on_epoch_end(self, trainer: Trainer) -> None:
        h, n = trainer.history, max(self._steps, 1)
        values: dict[str, float] = {}
        for k, rule in enumerate(self._rules, 1):
            c = max(self._count[k - 1], 1)
            mean = self._sum[k - 1] / c
            if rule in ("tanh", "sigmoid"):
                values[f"layer{k}_saturated"] = self._sat[k - 1] / c
            alive = self._alive[k - 1]
            if rule == "relu" and alive is not None:
                values[f"layer{k}_dead"] = 1 - np.count_nonzero(alive) / alive.size
            values[f"layer{k}_act_mean"] = mean
            values[f"layer{k}_act_std"] = math.sqrt(max(self._sumsq[k - 1] / c - mean**2, 0.0))
        for k in range(1, len(self._blocks) + 1):
            values[f"layer{k}_grad_norm"] = self._grad[k - 1] / n
            values[f"layer{k}_update_ratio_log10"] = self._ratio[k - 1] / n
        for name, value in values.items():
            column = h.diagnostics.setdefault(name, [])
            column.extend([math.nan] * (len(h.epoch) - 1 - len(column)))  # epochs without
            column.append(float(value))
        self._reset(trainer)


def _rule(activation: str) -> str | None:
    """Which diagnostic an activation gets: saturation, dead units, or neither."""
    return activation if activation in ("tanh", "sigmoid", "relu") else None
