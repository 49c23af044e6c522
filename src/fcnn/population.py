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

With the fused compiled step (``fcnn[fast]``, where ``fcnn._fast.fused`` takes it), the
members may be trained in shares, one loop per thread, on the cores the thread policy gives
(``fcnn._fast.threads.for_members``); each member's numbers are the same bit for bit.

It serves seed studies (how often does a 2-2-2 network fail from a random start?),
learning-rate sweeps and ensembles.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence, Sized
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from . import memory
from ._checks import check_number
from ._fast import fused, threads
from ._fast.stacked import Stack, StackedOptimizer
from ._inputs import as_features, as_targets
from ._layout import weights_and_biases
from .history import History
from .init import draw
from .network import Network

Array = np.ndarray


# what a member costs beyond its parameters and gradient: its History, seed and records
MEMBER_OVERHEAD = 2048
BATCH = "an int >= 1, or None for the full batch"


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
        if isinstance(seeds, str | bytes) or not isinstance(seeds, Iterable):
            raise ValueError(
                f"seeds must be a sequence of ints >= 0, one per member (e.g. range(8)); got "
                f"{seeds!r}"
            )
        options = {"activation": activation, "output": "softmax", "loss": "cross_entropy"}
        options |= {"reduction": reduction, "init": init, "dtype": dtype}
        net = Network(sizes, seed=0, **options)  # checks the sizes and options, once
        if isinstance(seeds, Sized):  # before a list of a billion seeds is made
            K = len(seeds)
            memory.check(
                K * (2 * net.params.nbytes + MEMBER_OVERHEAD),
                f"a population of {K:,} members of {net.n_params:,} parameters",
                "use fewer seeds or smaller layers",
            )
        seeds = [int(check_number("seed", s, 0, integer=True, what="an int >= 0")) for s in seeds]
        if not seeds:
            raise ValueError("a population needs at least one seed, one per member")
        self.seeds, self._template = seeds, net
        self.stack = Stack(net.sizes, len(seeds), net.dtype, net._acts)
        weights, biases = weights_and_biases(self.stack.Wb)
        for i, seed in enumerate(seeds):  # each member's weights: Network(seed=seed)'s
            draw(init, [W[i] for W in weights], [b[i] for b in biases], seed)
        self.histories: list[History] = [History(sizes=net.sizes) for _ in seeds]
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
        if isinstance(i, bool) or not isinstance(i, int | np.integer):
            raise TypeError(f"a member's index is an int, 0..{self.K - 1}; got {i!r}")
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
        kind, options = optimizer, dict(optimizer_options or {})
        StackedOptimizer(kind, (0, 0), net.dtype, **options)  # the options, checked up front
        n, K = len(X), self.K
        if batch_size is not None:
            batch_size = check_number("batch_size", batch_size, 1, integer=True, what=BATCH)
        B = n if batch_size is None else min(batch_size, n)
        shuffle = shuffle and B < n
        # each member's generators as Trainer spawns them: the shuffle's, the bootstrap's
        drawn = shuffle or bootstrap
        seqs = [np.random.SeedSequence(s).spawn(3) for s in self.seeds] if drawn else []
        rngs = [np.random.default_rng(seq[1]) for seq in seqs] if shuffle else [None] * K
        rows = np.broadcast_to(np.arange(n), (K, n))
        self.samples, self.diverged = None, [None] * K  # this fit's, as a lone fit's
        if bootstrap:
            self.samples = [np.random.default_rng(q[2]).integers(0, n, n) for q in seqs]
            rows = np.stack(self.samples)
        steps = int(epochs) * -(-n // B) * K  # member steps: where the fused kernel pays
        kernel = fused.chosen(net, steps) and fused.applies(net, B) and fused.loads()
        # the kernel releases the GIL: the members in shares on threads, where they pay
        with threads.members(K * fused.work(net, B) if kernel else 0) as parts:
            runs, shares = [], _shares(K, parts)
            for share in shares:
                stack = self.stack if len(shares) == 1 else self.stack.share(share, len(shares))
                stack.fused = fused.members(net) if kernel else None
                opt = StackedOptimizer(kind, stack.params.shape, net.dtype, **options)
                data = X, labels, rows[share], B, shuffle, rngs[share]
                runs.append(_Run(self, stack, share.start, data, rates[share], l2s[share], opt))
            try:
                self.histories = _train(runs, int(epochs))
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


def _shares(K: int, parts: int) -> list[slice]:
    """``parts`` contiguous shares of K members (K at most), as even as they go."""
    parts = min(parts, K)
    bounds = [K * i // parts for i in range(parts + 1)]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


class _Halted(Exception):
    """A share's loop stopped because another share's raised (or was interrupted)."""


def _train(runs: list[_Run], epochs: int) -> list[History]:
    """Every share's loop, the first in this thread and each other in one of its own (its
    kernel calls run while the others' do); the members' Histories in order. Where one
    share raises (or Ctrl-C interrupts this thread), the others stop at their next step and
    the error is raised here."""
    if len(runs) == 1:
        return runs[0].train(epochs)
    halt = threading.Event()

    def share(run: _Run) -> list[History]:
        run.halt = halt
        try:
            return run.train(epochs)
        except BaseException:
            halt.set()
            raise

    with ThreadPoolExecutor(len(runs) - 1, thread_name_prefix="fcnn-population") as pool:
        others = [pool.submit(share, run) for run in runs[1:]]
        try:
            histories = share(runs[0])
            for future in others:
                histories += future.result()
        except _Halted:  # this share stopped for another's error: raise that one
            errors = [f.exception() for f in others]  # each waits for its share to end
            failed = [e for e in errors if e is not None and not isinstance(e, _Halted)]
            if failed:
                raise failed[0] from None
            raise
        except BaseException:  # Ctrl-C while waiting, or this share's own error
            halt.set()
            raise
    return histories


class _Run:
    """One share of the members in one call of :meth:`Population.fit` (all of them, or one
    thread's): the loop over epochs and batches, and the per-epoch records. ``first`` is the
    share's first member in the population; ``data`` is ``(X, labels, rows, B, shuffle,
    rngs)``, the share's rows and generators."""

    def __init__(self, pop, stack, first, data, rates, l2s, opt) -> None:
        self.pop, self.stack, self.first = pop, stack, first
        self.X, self.labels, self.rows, self.B, self.shuffle, self.rngs = data
        self.rates, self.opt = rates, opt
        self.l2 = l2s if l2s.any() else None
        self.scale = pop._template._scale  # 1/B or 1 by the reduction
        self.active = np.ones(stack.K, bool)
        self.loaded = False
        self.halt: threading.Event | None = None  # set where another share's loop failed

    def train(self, epochs: int) -> list[History]:
        """The share's fit; its members' Histories. A member that overflows is stopped and
        reported (diverged); NumPy's warnings would only repeat it."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # per thread
            return self._train(epochs)

    def _train(self, epochs: int) -> list[History]:
        pop, stack, n = self.pop, self.stack, self.rows.shape[1]
        K, dtype = stack.K, stack.dtype
        self.done = np.full(K, epochs)  # epochs each member completed (set as it stops)
        self.n_steps = np.zeros(K, np.int64)  # steps each member recorded (set as it stops)
        self.rate = self.rates.astype(dtype)[:, None]  # each member's, 0 once it stopped
        self.stopped = False
        # the records a History needs: without L2 the loss is the cross-entropy (ce + 0,
        # exactly), so its row serves for both; the per-sample row only for the sum
        # reduction (with the mean it is the loss)
        penalised, sums = self.l2 is not None, pop._template.reduction == "sum"
        self.rows_kept = ["loss", "correct"] + ["ce", "pen"] * penalised + ["ce_sum"] * sums
        rec = np.zeros((epochs, len(self.rows_kept), K))  # per epoch and member
        steps: list[Array] = []
        for epoch in range(epochs):
            snapshot = stack.params.copy()
            order = self.rows
            if self.shuffle:  # each member's order of the epoch (int32 where it fits)
                order = np.empty(self.rows.shape, np.int32 if n < 2**31 else np.int64)
                for row, r, g in zip(order, self.rows, self.rngs, strict=True):
                    row[...] = r[g.permutation(n)]
            for start in range(0, n, self.B):
                if self.halt is not None and self.halt.is_set():
                    raise _Halted
                idx = order[:, start : start + self.B]
                b = idx.shape[1]
                ce, pen, correct = self._step(idx, b)
                loss = ce + pen if penalised else ce
                if not np.isfinite(loss).all():
                    bad = self.active & ~np.isfinite(loss)
                    if bad.any():
                        self._stop(bad, epoch, len(steps))
                if self.stopped:  # a stopped member's rate is 0 and its gradient too
                    stack.grad[~self.active] = 0
                self.opt.step(stack.params, stack.grad, self.rate)
                steps.append(loss)
                row = rec[epoch]  # as Trainer sums them: Σ_b v B / n (after the loop)
                row[0] += loss * b
                row[1] += correct
                if penalised:
                    row[2] += ce * b
                    row[3] += pen * b
                if sums:  # Σ_b ce / n
                    row[-1] += ce
            if not np.isfinite(stack.params).all():  # which members, only where some are not
                bad = self.active & ~np.isfinite(stack.params).all(axis=1)
                if bad.any():
                    stack.params[bad] = snapshot[bad]
                    self._stop(bad, epoch, len(steps))
        self.n_steps[self.active] = len(steps)
        rec /= n
        # as Python lists once, not once per member: (K, rows, epochs) and (K, steps)
        records = np.ascontiguousarray(rec.transpose(2, 1, 0)).tolist()
        losses = np.ascontiguousarray(np.array(steps).reshape(len(steps), K).T).tolist()
        return [self._history(i, int(self.done[i]), records[i], losses[i]) for i in range(K)]

    def _step(self, idx: Array, b: int) -> tuple[Array, Array, Array]:
        """The batch of rows ``idx: (K, b)``: each member's cross-entropy, penalty, correct."""
        stack, K = self.stack, self.stack.K
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
        pen = np.zeros(K)
        if self.l2 is not None:  # ∂/∂W (l2/2)||W||² = l2 W; biases are not penalised
            masked = stack.params * stack.weight_mask
            pen = 0.5 * self.l2 * np.einsum("ij,ij->i", masked, masked)
            masked *= self.l2[:, None].astype(stack.dtype)
            stack.grad += masked
        return J, pen, correct

    def _stop(self, bad: Array, epoch: int, recorded: int) -> None:
        """Members ``bad`` diverged: they keep their parameters and take no more steps."""
        for i in np.flatnonzero(bad):
            self.pop.diverged[self.first + i] = (epoch + 1, recorded + 1)
        self.active &= ~bad
        self.n_steps[bad], self.done[bad] = recorded, epoch
        self.rate = (self.rates * self.active).astype(self.stack.dtype)[:, None]
        self.stopped = True
        for state in (self.opt.v, self.opt.m, self.opt.s):
            if state is not None:
                state[bad] = 0

    def _history(self, i: int, done: int, rec: list, steps: list) -> History:
        """Member ``i``'s History, as a lone fit writes it, from its per-epoch records ``rec``
        (the lists :attr:`rows_kept` names: the loss and the correct count; the cross-entropy
        and the penalty with L2; Σ_b ce / n with the sum reduction) and step losses ``steps``."""
        h = History(sizes=self.pop._template.sizes)
        h.epoch = list(range(1, done + 1))
        row = {name: r[:done] for name, r in zip(self.rows_kept, rec, strict=True)}
        loss, acc = row["loss"], row["correct"]
        ce, pen = row.get("ce", list(loss)), row.get("pen")
        ce_sum = row.get("ce_sum")
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
        h.step_loss = steps[: self.n_steps[i]]
        return h
