"""Many networks of one shape trained as one computation (``fcnn.Population``).

K softmax/cross-entropy classifiers of the same layer sizes keep their parameters stacked,
``(K, n_k, n_{k-1} + 1)`` per layer, and every product of a training step is one batched
``np.matmul`` over all K (``fcnn._fast.stacked``): the per-call cost that dominates a small
network's step is paid once for the population. Each member has its own seed (initial
weights and shuffle order, as ``Network(seed=s).fit(...)`` draws them), learning rate, L2
strength and optimiser state, and trains on the same data or on its own bootstrap sample.

``pop.member(i)`` is an ordinary :class:`fcnn.Network`, and ``pop.histories[i]`` its
History. A member equals the same network trained alone with the same options to rounding:
the batched products and the per-member softmax sums may add in another order than the
lone step's (``docs/performance.md``, "Many networks at once").

It serves seed studies (how often does a 2-2-2 network fail from a random start?),
learning-rate sweeps and ensembles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._checks import check_number
from ._fast import fused
from ._fast.stacked import Stack, StackedOptimizer
from ._inputs import as_features, as_targets
from .history import History
from .network import Network

Array = np.ndarray


class Population:
    """K softmax/cross-entropy networks of layer ``sizes``, one per entry of ``seeds``
    (ints: each member's weights are ``Network(sizes, ..., seed=s)``'s). The other
    arguments are :class:`fcnn.Network`'s and shared by all members."""

    def __init__(
        self,
        sizes: Sequence[int],
        seeds: Sequence[int],
        *,
        activation: str | Sequence[str] = "tanh",
        reduction: str = "mean",
        init: str = "xavier",
        dtype: str | type | np.dtype = "float64",
    ) -> None:
        seeds = [int(check_number("seed", s, 0, integer=True, what="an int >= 0")) for s in seeds]
        if not seeds:
            raise ValueError("a population needs at least one seed, one per member")
        options = {"activation": activation, "output": "softmax", "loss": "cross_entropy"}
        options |= {"reduction": reduction, "init": init, "dtype": dtype}
        nets = [Network(sizes, seed=s, **options) for s in seeds]
        self.seeds, self._template = seeds, nets[0]
        self.stack = Stack(nets[0].sizes, len(seeds), nets[0].dtype, nets[0]._acts)
        for row, net in zip(self.stack.params, nets, strict=True):
            row[...] = net.params
        self.histories: list[History] = [History(sizes=nets[0].sizes) for _ in seeds]
        self.samples: list[Array] | None = None  # each member's bootstrap rows, if any
        self.diverged: list[tuple[int, int] | None] = [None] * len(seeds)

    @property
    def K(self) -> int:
        """The number of members."""
        return len(self.seeds)

    @property
    def params(self) -> Array:
        """The stacked flat parameters ``(K, n_params)``, row i in ``Network.params``' layout."""
        return self.stack.params

    def member(self, i: int) -> Network:
        """Member ``i`` as an independent :class:`fcnn.Network` (its parameters copied)."""
        if not -self.K <= i < self.K:
            raise IndexError(f"member {i} of a population of {self.K}")
        cfg = self._template.config() | {"seed": self.seeds[i]}
        return Network.from_config(cfg, self.stack.params[i])

    def fit(
        self,
        X: Array,
        y: Array,
        *,
        epochs: int = 200,
        lr: float | Sequence[float] = 0.1,
        l2: float | Sequence[float] = 0.0,
        batch_size: int | None = None,
        optimizer: str = "gd",
        optimizer_options: dict[str, Any] | None = None,
        shuffle: bool = True,
        bootstrap: bool = False,
    ) -> list[History]:
        """Train every member in place on ``X: (n, n_0)`` and integer labels ``y: (n,)``;
        returns (and keeps in :attr:`histories`) one History per member.

        ``lr`` and ``l2`` are one number for all or one per member. The options mean what
        :meth:`fcnn.Network.fit`'s do (a constant learning rate; no validation or early
        stopping here). ``bootstrap=True`` trains member i on ``n`` rows drawn with
        replacement by its own seed (``pop.samples[i]``; the same as a lone fit on
        ``X[pop.samples[i]]``). A member whose loss stops being finite keeps its last finite
        parameters and stops; :attr:`diverged` says at which ``(epoch, step)``.
        """
        net = self._template
        X = as_features(X, net.n_inputs, net.dtype)
        _, labels = as_targets(y, len(X), net.n_outputs, net.output, net.loss_name, net.dtype)
        if labels is None:
            raise ValueError("a population trains on integer class labels y: (n_samples,)")
        check_number("epochs", epochs, 1, integer=True, what="an int >= 1")
        rates, l2s = self._per_member("lr", lr), self._per_member("l2", l2)
        opt = StackedOptimizer(
            optimizer, self.stack.params.shape, net.dtype, **(optimizer_options or {})
        )
        n, K = len(X), self.K
        B = n if batch_size is None else min(int(batch_size), n)
        seqs = [np.random.SeedSequence(s).spawn(3) for s in self.seeds]
        rngs = [np.random.default_rng(seq[1]) for seq in seqs]  # as Trainer's shuffle
        rows = np.broadcast_to(np.arange(n), (K, n))
        self.samples, self.diverged = None, [None] * K  # this fit's, as a lone fit's
        if bootstrap:
            self.samples = [np.random.default_rng(q[2]).integers(0, n, n) for q in seqs]
            rows = np.stack(self.samples)
        run = _Run(self, X, labels, rows, B, rates, l2s, opt, shuffle and B < n, rngs)
        steps = int(epochs) * -(-n // B) * K  # member steps: where the fused kernel pays
        self.stack.fused = fused.scratch_for(net) if fused.chosen(net, steps, B) else None
        # a member that overflows is stopped and reported (diverged); NumPy's warnings would
        # only repeat it
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                self.histories = run.train(int(epochs))
        finally:
            self.stack.fused = None  # the population pickles without it
        return self.histories

    def _per_member(self, name: str, value: float | Sequence[float]) -> Array:
        values = np.asarray(value, np.float64)
        if values.shape not in ((), (self.K,)):
            raise ValueError(
                f"{name} has {values.size} values for {self.K} members; give one number, "
                "or one per member"
            )
        values = np.broadcast_to(values, (self.K,)).copy()
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"{name} must be finite and >= 0, one number or one per member")
        return values


class _Run:
    """One call of :meth:`Population.fit`: the loop, and the per-epoch records."""

    def __init__(self, pop, X, labels, rows, B, rates, l2s, opt, shuffle, rngs) -> None:
        self.pop, self.X, self.labels, self.rows, self.B = pop, X, labels, rows, B
        self.rates, self.opt, self.shuffle, self.rngs = rates, opt, shuffle, rngs
        self.l2 = l2s if l2s.any() else None
        self.scale = pop._template._scale  # 1/B or 1 by the reduction
        self.active = np.ones(pop.K, bool)
        self.loaded = False

    def train(self, epochs: int) -> list[History]:
        pop, K, n = self.pop, self.pop.K, self.rows.shape[1]
        stack, dtype = pop.stack, pop.stack.dtype
        done = np.zeros(K, np.int64)  # epochs each member completed
        self.n_steps = np.zeros(K, np.int64)  # steps each member recorded
        # per epoch and member: loss, correct, ce, penalty as Trainer sums them (Σ_b v B / n),
        # and Σ_b ce / n (the per-sample cross-entropy of the sum reduction)
        rec = np.zeros((epochs, 5, K))
        steps: list[Array] = []
        for epoch in range(epochs):
            snapshot = stack.params.copy()
            order = self.rows
            if self.shuffle:  # each member's order of the epoch (int32 where it fits)
                order = np.empty(self.rows.shape, np.int32 if n < 2**31 else np.int64)
                for row, r, g in zip(order, self.rows, self.rngs, strict=True):
                    row[...] = r[g.permutation(n)]
            for start in range(0, n, self.B):
                idx = order[:, start : start + self.B]
                b = idx.shape[1]
                ce, pen, correct = self._step(idx, b)
                loss = ce + pen
                bad = self.active & ~np.isfinite(loss)
                if bad.any():
                    self._stop(bad, epoch, len(steps))
                rate = (self.rates * self.active).astype(dtype)[:, None]
                stack.grad[~self.active] = 0
                self.opt.step(stack.params, stack.grad, rate)
                steps.append(loss)
                self.n_steps[self.active] += 1
                rec[epoch] += [loss * b, correct, ce * b, pen * b, ce]
            bad = self.active & ~np.isfinite(stack.params).all(axis=1)
            if bad.any():
                stack.params[bad] = snapshot[bad]
                self._stop(bad, epoch, len(steps))
                self.n_steps[bad] = len(steps)
            done[self.active] += 1
        rec /= n
        all_steps = np.array(steps).reshape(len(steps), K)
        return [self._history(i, int(done[i]), rec[:, :, i], all_steps[:, i]) for i in range(K)]

    def _step(self, idx: Array, b: int) -> tuple[Array, Array, Array]:
        """The batch of rows ``idx: (K, b)``: each member's cross-entropy, penalty, correct."""
        stack, K = self.pop.stack, self.pop.K
        size = stack.chunk(b)
        if size >= K:
            if not self.loaded:  # the full batch in its own order is loaded once per fit
                stack.load(self.X[idx], self.labels[idx])
                self.loaded = b == len(self.rows[0]) and not self.shuffle
            J, correct = stack.step(self.scale(b))
        else:  # chunks of members, each gathered in turn: the workspace stays bounded
            J, correct = np.empty(K), np.empty(K, np.int64)
            for start in range(0, K, size):
                ms = slice(start, start + size)
                stack.load(self.X[idx[ms]], self.labels[idx[ms]], ms)
                J[ms], correct[ms] = stack.step(self.scale(b))
        pen = np.zeros(self.pop.K)
        if self.l2 is not None:  # ∂/∂W (l2/2)||W||² = l2 W; biases are not penalised
            masked = stack.params * stack.weight_mask
            pen = 0.5 * self.l2 * np.einsum("ij,ij->i", masked, masked)
            masked *= self.l2[:, None].astype(stack.dtype)
            stack.grad += masked
        return J, pen, correct

    def _stop(self, bad: Array, epoch: int, recorded: int) -> None:
        """Members ``bad`` diverged: they keep their parameters and take no more steps."""
        for i in np.flatnonzero(bad):
            self.pop.diverged[i] = (epoch + 1, recorded + 1)
        self.active &= ~bad
        for state in (self.opt.v, self.opt.m, self.opt.s):
            if state is not None:
                state[bad] = 0

    def _history(self, i: int, done: int, rec: Array, steps: Array) -> History:
        """Member ``i``'s History, as a lone fit writes it."""
        h = History(sizes=self.pop._template.sizes)
        h.epoch = list(range(1, done + 1))
        loss, acc, ce, pen, ce_sum = (row[:done].tolist() for row in rec.T)
        h.loss, h.accuracy, h.parts = loss, acc, {"ce": ce}
        has_l2 = self.l2 is not None and self.l2[i] > 0  # a lone fit's parts, as Trainer names
        if has_l2:
            h.parts["l2"] = pen
        if self.pop._template.reduction == "sum":  # the sum reduction: per sample, Σ_b J_b / n
            h.parts_per_sample = {"ce": ce_sum} | ({"l2": pen} if has_l2 else {})
            h.loss_per_sample = [sum(v) for v in zip(*h.parts_per_sample.values(), strict=True)]
        else:
            h.parts_per_sample = {k: list(v) for k, v in h.parts.items()}
            h.loss_per_sample = list(loss)
        h.lr = [float(self.rates[i])] * done
        h.step_loss = steps[: self.n_steps[i]].tolist()
        return h
