"""Which step to explain: the first batch of epoch T of a run, as the run took it.

The trainer of the run is rebuilt as ``fcnn train`` builds it (``build_trainer``: the same
data, split, standardisation, seed and shuffle). The parameters at the start of epoch T are the
run's recorded ones (``History.params`` in a run folder's checkpoint) where it has them;
otherwise the trainer trains T - 1 epochs again, which ends on the same parameters bit for bit.
The batch is the one the trainer gathers first in epoch T (its shuffle depends only on the
seed, not on the parameters).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..diagnostics import Diagnostics
from ..optim import SGD
from ..runs import checkpoint, config
from ..runs.data import prepare
from ..runs.folder import CHECKPOINT, CONFIG
from ..runs.start import build_trainer
from ..train import Trainer
from .ledger import Problem


@dataclass
class Step:
    """A step to explain: the :class:`Problem`, and what to say about where it comes from."""

    problem: Problem
    header: list[str]
    rule: str  # a note when the run's optimiser does not take plain gradient-descent steps


def from_config(
    cfg: dict[str, Any],
    epoch: int = 1,
    samples: list[int] | None = None,
    *,
    where: str = "",
    diagnostics: bool = True,
) -> Step:
    """The first step of epoch ``epoch`` of the run ``cfg`` describes (a config as
    ``fcnn.config.resolve`` returns it), its parameters retrained from the config's seed;
    ``samples`` explains those training rows instead of the batch (a teaching view).
    ``diagnostics``: retrain as ``fcnn train`` does by default, with diagnostics on (their
    step keeps the gradient, which can differ from the fastest step in the last bits)."""
    cfg, ds = prepare(cfg)
    trainer, _ = _replay(cfg, ds, epoch, None, diagnostics)
    again = "the initial ones, from" if epoch == 1 else "retrained from"
    return _step(trainer, cfg, epoch, samples, where or f"{again} the config's seed")


def from_run(folder: str | Path, epoch: int = 1, samples: list[int] | None = None) -> Step:
    """The first step of epoch ``epoch`` of the run in ``folder``, from its recorded
    parameters where its checkpoint holds them (else retrained from its config)."""
    folder = Path(folder)
    if not (folder / CHECKPOINT).is_file():
        if (folder / CONFIG).is_file():
            return from_config(config.resolve(str(folder / CONFIG), {}), epoch, samples)
        raise ValueError(f"{folder} is not a run folder (no {CHECKPOINT} or {CONFIG})")
    arrays, meta = checkpoint.load(folder / CHECKPOINT)
    cfg, ds = prepare(meta["config"])
    recorded = arrays.get("history.params")
    diagnostics = bool(meta["trainer"]["history"].get("diagnostics"))
    trainer, used = _replay(cfg, ds, epoch, recorded, diagnostics)
    source = "the run's recorded parameters" if used else "retrained from the seed"
    return _step(trainer, cfg, epoch, samples, f"{folder}, {source}")


def _replay(
    cfg: dict[str, Any], ds: Any, epoch: int, recorded: np.ndarray | None, diagnostics: bool
) -> tuple[Trainer, bool]:
    """The run's trainer at the start of epoch ``epoch``, its first batch gathered, and
    whether its parameters are the ``recorded`` ones."""
    epochs = cfg["training"]["epochs"]
    if not 1 <= epoch <= epochs:
        raise ValueError(f"--epoch must be from 1 to the run's {epochs} epochs, got {epoch}")
    trainer = build_trainer(cfg, ds, [Diagnostics()] if diagnostics else [], False)
    used = False
    start = (epoch - 1) * trainer.n_batches  # updates before epoch T
    adaptive = trainer._adapts  # its rate depends on the losses: retrain
    if recorded is not None and start < len(recorded) and not adaptive:
        trainer.net.set_params(recorded[start])
        for _ in range(epoch - 1):  # the shuffles of the epochs before
            trainer._begin_epoch()
        trainer.epoch, trainer.step, used = epoch - 1, start, True
    elif epoch > 1:
        trainer.epochs, trainer.restore_best = epoch - 1, False
        trainer.run()
        if trainer.history.stopped_early:
            raise ValueError(
                f"the run stopped early after epoch {len(trainer.history)}; choose --epoch up "
                f"to {len(trainer.history)}"
            )
    trainer._begin_epoch()
    trainer.batch = trainer._batch()
    return trainer, used


def _rows(trainer: Trainer, samples: list[int] | None) -> tuple[np.ndarray, np.ndarray, str]:
    """``(X: (f, b), Y: (n_l, b), what)`` of the first batch, or of the chosen rows."""
    data, ws = trainer.data, trainer.batch
    if samples is None:
        n = len(data)
        idx = np.arange(ws.B) if trainer.perm is None else trainer.perm[: ws.B]
        shown = ", ".join(map(str, idx[:10])) + (", ..." if len(idx) > 10 else "")
        what = f"batch 1 of the epoch: {ws.B} of the {n} training rows ({shown})"
        return ws.X.T.astype(float), ws.Y.astype(float), what
    bad = [i for i in samples if not 0 <= i < len(data)]
    if bad:
        raise ValueError(
            f"--samples {bad[0]} is out of range: the run has {len(data)} training rows "
            f"(0..{len(data) - 1})"
        )
    what = (
        f"training rows {', '.join(map(str, samples))}: a teaching view on the parameters of "
        "this step, not a step the run took"
    )
    return data.X[samples].T.astype(float), data.YT[:, samples].astype(float), what


def _step(
    trainer: Trainer, cfg: dict[str, Any], epoch: int, samples: list[int] | None, where: str
) -> Step:
    net = trainer.net
    X, Y, what = _rows(trainer, samples)
    rate = trainer.schedule.lr(trainer.epoch, trainer.step)
    problem = Problem(
        [W.astype(float) for W in net.weights],
        [b.astype(float) for b in net.biases],
        X,
        Y,
        net.activations,
        net.output,
        net.loss_name,
        net.reduction,
        rate,
        trainer.l2,
    )
    opt = trainer.optimizer
    plain = type(opt) is SGD and not opt.momentum and trainer.clip is None
    rule = (
        ""
        if plain
        else f"; this run's optimiser ({cfg['training']['optimizer']}) updates differently: "
        "the values here are plain gradient descent's (docs/math.md, optimisers)"
    )
    header = [
        f"network {'-'.join(map(str, net.sizes))}, hidden {', '.join(net.activations) or '-'}, "
        f"output {net.output}, loss {net.loss_name} ({net.reduction})",
        f"epoch {epoch}, step {trainer.step + 1}: parameters at its start ({where})",
        what,
        "inputs as the network sees them"
        + (" (standardised)" if cfg["data"]["standardize"] else ""),
        "layout of seed 002: one sample per column; numbers in float64",
    ]
    return Step(problem, header, rule)
