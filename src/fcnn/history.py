"""What a training run records: per-epoch metrics, per-step losses, parameter trajectories."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._layout import blocks, weights_and_biases

Array = np.ndarray
_LISTS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "step_loss")
# per-sample means, recorded since fcnn 0.2: a checkpoint of 0.1 lacks them
_PER_SAMPLE = ("loss_per_sample", "val_loss_per_sample")


@dataclass
class History:
    """Records of one training run; every list has one entry per completed epoch except
    ``step_loss`` (one per update) and ``params`` (the initial vector, then one per update).

    - ``loss``: the objective averaged over the epoch's updates, weighted by batch size (for
      full-batch training, J before the epoch's single update).
    - ``parts``: the loss parts under the same averaging, e.g. ``{"mse": [...], "ce": [...]}``
      for ``mse+ce``, plus ``"l2"`` when an L2 penalty is set.
    - ``accuracy``: running training accuracy over the epoch's batches, before each update.
    - ``val_loss``, ``val_accuracy``, ``val_parts``: on the validation set after the epoch.
    - ``loss_per_sample``, ``val_loss_per_sample``, ``parts_per_sample``,
      ``val_parts_per_sample``: the same losses as means over samples, whatever the reduction
      (``Σ_k J_k / n`` over the epoch's n samples, plus the L2 penalty): the numbers to compare
      between training and validation, runs and batch sizes. With ``reduction="mean"`` they
      equal ``loss`` and ``val_loss``; with ``"sum"``, ``loss`` is the mean of per-batch sums.
    - ``params``: flat parameter snapshots when ``record_params=True`` (see :meth:`trajectory`).
    - ``diagnostics``: per-epoch training-health columns (``fcnn.diagnostics``), e.g.
      ``{"layer1_saturated": [...]}``, when trained with ``diagnostics=True``; ``checks``: the
      initial-loss check (``initial_loss``, ``expected_initial_loss``, ``frequency_loss``).
    - ``best_epoch``: the 1-based epoch with the best monitored value; ``stopped_early``:
      early stopping ended the run; ``restored_best``: the network was handed back the best
      epoch's parameters (early stopping with ``restore_best``, fired or not).
    """

    epoch: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=dict)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    val_parts: dict[str, list[float]] = field(default_factory=dict)
    loss_per_sample: list[float] = field(default_factory=list)
    parts_per_sample: dict[str, list[float]] = field(default_factory=dict)
    val_loss_per_sample: list[float] = field(default_factory=list)
    val_parts_per_sample: dict[str, list[float]] = field(default_factory=dict)
    lr: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    params: list[Array] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    restored_best: bool = False
    sizes: tuple[int, ...] | None = None  # the layer widths of the network trained
    diagnostics: dict[str, list[float]] = field(default_factory=dict)
    checks: dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.epoch)

    def columns(self) -> dict[str, list[float]]:
        """Per-epoch columns for a table or CSV: ``epoch, loss, <parts>, accuracy, val_loss,
        val_<parts>, val_accuracy``, the per-sample means ``loss_per_sample, <parts>_per_sample,
        val_loss_per_sample, val_<parts>_per_sample``, and ``lr``; columns with no data are
        left out."""
        cols: dict[str, list[float]] = {"epoch": list(self.epoch), "loss": list(self.loss)}
        if len(self.parts) > 1:
            cols.update(self.parts)
        cols["accuracy"] = list(self.accuracy)
        cols["val_loss"] = list(self.val_loss)
        if len(self.val_parts) > 1:
            cols.update({f"val_{k}": v for k, v in self.val_parts.items()})
        cols["val_accuracy"] = list(self.val_accuracy)
        cols["loss_per_sample"] = list(self.loss_per_sample)
        if len(self.parts_per_sample) > 1:
            cols.update({f"{k}_per_sample": v for k, v in self.parts_per_sample.items()})
        cols["val_loss_per_sample"] = list(self.val_loss_per_sample)
        if len(self.val_parts_per_sample) > 1:
            cols.update({f"val_{k}_per_sample": v for k, v in self.val_parts_per_sample.items()})
        cols["lr"] = list(self.lr)
        return {k: v for k, v in cols.items() if len(v) == len(self.epoch) and v}

    def diagnostic_columns(self) -> dict[str, list[float]]:
        """``epoch``, then the :attr:`diagnostics` columns, each one value per epoch (NaN for
        epochs trained without diagnostics: a resume that turned them off)."""
        n = len(self.epoch)
        cols: dict[str, list[float]] = {"epoch": list(self.epoch)} if self.diagnostics else {}
        for name, values in self.diagnostics.items():
            cols[name] = list(values[:n]) + [float("nan")] * (n - len(values))
        return cols

    def trajectory(self, net: Any) -> tuple[list[Array], list[Array]]:
        """Weight and bias trajectories from the recorded snapshots.

        Returns ``(Ws, bs)`` where ``Ws[k]: (n_snapshots, n_k, n_{k-1})`` and
        ``bs[k]: (n_snapshots, n_k)``, layers in order. Needs ``record_params=True``.
        """
        if not self.params:
            raise ValueError("no parameters were recorded; train with record_params=True")
        P = np.stack(self.params)
        if self.sizes is not None and tuple(net.sizes) != tuple(self.sizes):
            raise ValueError(
                f"these parameters were recorded from a {'-'.join(map(str, self.sizes))} "
                f"network, not {net!r}; pass the network they were recorded from"
            )
        if P.shape[1] != net.n_params:
            raise ValueError(
                f"the recorded parameter vectors have {P.shape[1]} entries but {net!r} has "
                f"{net.n_params}; pass the network these were recorded from"
            )
        return weights_and_biases(blocks(P, [B.shape for B in net._Wb]))

    # ------------------------------------------------------------ checkpoint support
    def to_state(self) -> tuple[dict[str, Array], dict[str, Any]]:
        """Split into arrays (for a tensor file) and JSON-able metadata."""
        lists = _LISTS + _PER_SAMPLE
        arrays = {f"history.{k}": np.asarray(getattr(self, k), np.float64) for k in lists}
        for prefix, d in [*self._part_tables(), ("diagnostics", self.diagnostics)]:
            for k, v in d.items():
                arrays[f"history.{prefix}.{k}"] = np.asarray(v, np.float64)
        if self.params:
            arrays["history.params"] = np.stack(self.params)
        meta = {
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
            "restored_best": self.restored_best,
            "sizes": None if self.sizes is None else list(self.sizes),
            "diagnostics": list(self.diagnostics),
            "checks": dict(self.checks),
        }
        meta.update({prefix: list(d) for prefix, d in self._part_tables()})
        return arrays, meta

    def _part_tables(self) -> list[tuple[str, dict[str, list[float]]]]:
        """The dicts of loss parts, by attribute name."""
        names = ("parts", "val_parts", "parts_per_sample", "val_parts_per_sample")
        return [(name, getattr(self, name)) for name in names]

    @classmethod
    def from_state(cls, arrays: dict[str, Array], meta: dict[str, Any]) -> History:
        """Inverse of :meth:`to_state`; a state from before diagnostics loads without them."""
        h = cls(
            best_epoch=meta["best_epoch"],
            stopped_early=meta["stopped_early"],
            restored_best=bool(meta.get("restored_best", meta["stopped_early"])),
            sizes=None if meta.get("sizes") is None else tuple(meta["sizes"]),
        )
        for k in _LISTS:
            setattr(h, k, arrays[f"history.{k}"].tolist())
        h.epoch = [int(e) for e in h.epoch]
        h.parts = {k: arrays[f"history.parts.{k}"].tolist() for k in meta["parts"]}
        h.val_parts = {k: arrays[f"history.val_parts.{k}"].tolist() for k in meta["val_parts"]}
        if "history.loss_per_sample" in arrays:
            for k in _PER_SAMPLE:
                setattr(h, k, arrays[f"history.{k}"].tolist())
            for prefix in ("parts_per_sample", "val_parts_per_sample"):
                names = meta[prefix]
                setattr(h, prefix, {k: arrays[f"history.{prefix}.{k}"].tolist() for k in names})
        else:  # a checkpoint of fcnn 0.1: the per-sample means of its epochs are unknown
            nan = [float("nan")] * len(h.epoch)
            h.loss_per_sample = list(nan)
            h.parts_per_sample = {k: list(nan) for k in h.parts}
            h.val_loss_per_sample = list(nan) if h.val_loss else []
            h.val_parts_per_sample = {k: list(nan) for k in h.val_parts}
        names = meta.get("diagnostics", [])  # none in a checkpoint from before diagnostics
        h.diagnostics = {k: arrays[f"history.diagnostics.{k}"].tolist() for k in names}
        h.checks = {k: float(v) for k, v in meta.get("checks", {}).items()}
        if "history.params" in arrays:
            h.params = list(arrays["history.params"])
        return h
