"""The training side of ``fcnn.sklearn``: scikit-learn's learning rates and Adam, and the epoch
loop of ``_fit_stochastic`` on an fcnn :class:`~fcnn.Trainer` (``run_epochs``, ``EpochEnd``):
batch size, sample weights, the L2 term, the stopping rule and the early-stopping split.

Each piece follows one part of scikit-learn's ``neural_network/_multilayer_perceptron.py`` or
``_stochastic_optimizers.py`` (1.9), named in its docstring, so that the same settings and
``random_state`` give the same training run.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ..callbacks import Callback
from ..errors import DivergenceError
from ..history import History
from ..optim import SGD, Adam, Optimizer, Schedule
from ..train import Trainer

Array = np.ndarray


# -------------------------------------------------------------- scikit-learn's optimisers
class SklearnRate(Schedule):
    """scikit-learn's ``learning_rate`` for ``solver='sgd'`` (``SGDOptimizer``).

    - ``constant``: α.
    - ``invscaling``: after each epoch α_t = α / (t + 1)^power_t, with t the number of training
      samples seen so far (``t_``), not the number of updates as in ``fcnn.optim.InvScaling``.
    - ``adaptive``: α, divided by 5 each time the stopping rule fires
      (:meth:`trigger_stopping`); training stops once it is at most 1e-6.
    """

    name = "sklearn"

    def __init__(self, lr: float, kind: str = "constant", power_t: float = 0.5) -> None:
        super().__init__(lr)
        self.kind, self.power_t, self.current = kind, float(power_t), self.lr0

    def lr(self, epoch: int, t: int) -> float:
        return self.current

    def iteration_ends(self, samples_seen: int) -> None:
        """``SGDOptimizer.iteration_ends``: update the invscaling rate after an epoch."""
        if self.kind == "invscaling":
            self.current = self.lr0 / (samples_seen + 1) ** self.power_t

    def trigger_stopping(self) -> bool:
        """``SGDOptimizer.trigger_stopping``: True to stop; adaptive lowers the rate instead."""
        if self.kind != "adaptive" or self.current <= 1e-6:
            return True
        self.current /= 5.0
        return False

    def state_dict(self) -> dict[str, float]:
        return {"current": self.current}

    def load_state_dict(self, state: dict[str, float]) -> None:
        self.current = float(state["current"])


class SklearnAdam(Adam):
    """Adam as scikit-learn's ``AdamOptimizer`` writes it, the efficient form at the end of
    Kingma & Ba (arXiv:1412.6980) section 2: θ ← θ - α √(1-β2^t)/(1-β1^t) · m / (√s + ε).

    fcnn's :class:`~fcnn.optim.Adam` divides by √ŝ + ε instead; the two agree when ε is scaled
    by 1/√(1-β2^t), which this class does before each update.
    """

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__(beta1, beta2, eps)
        self.eps0 = self.eps

    def hyperparams(self) -> dict[str, float]:
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps0}

    def _update(self, params: Array, grads: Array, lr: float) -> None:
        self.eps = self.eps0 / math.sqrt(1 - self.beta2 ** self.state["t"])
        super()._update(params, grads, lr)


class SklearnSGD(SGD):
    """SGD with momentum μ = 1, which scikit-learn's ``SGDOptimizer`` accepts and
    ``fcnn.optim.SGD`` refuses (the velocity never decays); the update is SGD's."""

    def __init__(self, nesterov: bool) -> None:
        super().__init__(0.5, nesterov)
        self.momentum, self._slots = 1.0, ("v",)


def make_optimizer(est: Any) -> tuple[Optimizer, SklearnRate]:
    """The optimiser and learning rate of ``est.solver``: adam ignores ``learning_rate``, as in
    scikit-learn; sgd and gd use momentum (Nesterov's when ``nesterovs_momentum``)."""
    lr = float(est.learning_rate_init)
    if est.solver == "adam":
        return SklearnAdam(est.beta_1, est.beta_2, est.epsilon), SklearnRate(lr)
    momentum = float(est.momentum)
    nesterov = bool(est.nesterovs_momentum) and momentum > 0
    opt = SklearnSGD(nesterov) if momentum == 1 else SGD(momentum, nesterov=nesterov)
    return opt, SklearnRate(lr, est.learning_rate, est.power_t)


# ----------------------------------------------------------------- the epoch bookkeeping
class EpochEnd(Callback):
    """After every epoch, what ``MLPClassifier._fit_stochastic`` does after its batches: count
    ``n_iter_`` and ``t_``, append to ``loss_curve_`` (and the validation curves), apply the
    ``tol``/``n_iter_no_change`` rule to the training loss, or to the validation score when
    ``early_stopping`` (keeping the best weights), update the learning rate, and stop.

    ``outputs`` undoes fcnn's per-output mean in the loss (see ``FCNNRegressor``): the data part
    of the trainer's loss is divided by it before it goes into ``loss_curve_``.
    """

    def __init__(self, est: Any, n_train: int, outputs: int, val: tuple | None) -> None:
        self.est, self.n_train, self.outputs, self.val = est, n_train, outputs, val
        self.converged = False

    def on_epoch_end(self, trainer: Trainer) -> None:
        est, h = self.est, trainer.history
        loss = h.loss[-1]
        if self.outputs != 1:
            l2 = h.parts["l2"][-1] if "l2" in h.parts else 0.0
            loss = (loss - l2) / self.outputs + l2
        est.n_iter_ += 1
        est.t_ += self.n_train
        est.loss_ = loss
        est.loss_curve_.append(loss)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
        if self.val is not None:
            est.validation_loss_curve_.append(h.val_loss[-1])
            worse = self._validation_score()
        else:
            worse = loss > est.best_loss_ - est.tol
            est.best_loss_ = min(est.best_loss_, loss)
        est._no_improvement_count = est._no_improvement_count + 1 if worse else 0
        est._rate.iteration_ends(est.t_)
        if est._no_improvement_count > est.n_iter_no_change:
            what = "Validation score" if self.val is not None else "Training loss"
            if est._rate.trigger_stopping():
                if est.verbose:
                    print(
                        f"{what} did not improve more than tol={est.tol:f} for "
                        f"{est.n_iter_no_change} consecutive epochs. Stopping."
                    )
                self.converged = True
                trainer.request_stop()
            else:
                est._no_improvement_count = 0

    def _validation_score(self) -> bool:
        """Score the validation set, keep the best weights; True if it did not improve by tol."""
        est = self.est
        X, y, w = self.val
        score = est._score_output(est._output(X), y, w)
        est.validation_scores_.append(score)
        if est.verbose:
            print(f"Validation score: {score:f}")
        worse = score < est.best_validation_score_ + est.tol
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            np.copyto(est._best_params, est.network_.params)
        return worse


def run_epochs(
    est: Any,
    X: Array,
    Y: Array,
    w: Array | None,
    val: list | None,
    rs: np.random.RandomState,
    incremental: bool,
) -> History:
    """Train ``est.network_`` on ``(X, Y)`` as ``_fit_stochastic`` does (one epoch for
    ``partial_fit``); ``val`` is ``[X, y, Y, w]`` of the early-stopping set. Returns the
    trainer's History and warns ``ConvergenceWarning`` when ``max_iter`` ends a ``fit``."""
    n = X.shape[0]  # a sparse X has no len()
    B = batch_size(est.solver, est.batch_size, n=n)
    # sklearn's _backprop adds alpha/(2 Σ_batch w) ||W||² to the batch's weighted mean loss;
    # fcnn's loss is (1/B) Σ w_k J_k, so weights are scaled to mean 1 and l2 = alpha/(B w̄)
    mean_w = 1.0 if w is None else float(w.mean())
    if mean_w <= 0:
        raise ValueError("sample_weight must contain at least one non-zero number")
    k = est._delta_scale()
    weights = None if w is None and k == 1 else (np.ones(n) if w is None else w) * (k / mean_w)
    epoch_end = EpochEnd(est, n, k, None if val is None else (val[0], val[1], val[3]))
    est.n_iter_ = 0  # as sklearn: the epochs of this call; t_ and loss_curve_ accumulate
    trainer = Trainer(
        est.network_,
        X,
        Y,
        epochs=1 if incremental else est.max_iter,
        lr=est.learning_rate_init,
        batch_size=B,
        optimizer=est._optimizer,
        schedule=est._rate,
        l2=est.alpha / (B * mean_w),
        shuffle=est.shuffle,
        validation_data=None if val is None else (val[0], val[2]),
        sample_weight=weights,
        callbacks=[epoch_end],
        record_params=est.record_params,
        seed=int(rs.randint(np.iinfo(np.int32).max)),
    )
    trainer.divergence_fix = (
        "Lower learning_rate_init (now {lr:g}) or scale the inputs (for example with "
        "sklearn.preprocessing.StandardScaler)"
    )
    try:
        history = trainer.run()
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.", stacklevel=3)
        history = trainer.history
    except DivergenceError as exc:
        if est.early_stopping:
            keep_best_after_divergence(est, exc)
        raise
    if est.record_params:
        est._record(history.params)
    if est.early_stopping:
        est.network_.set_params(est._best_params)
    if not incremental and not epoch_end.converged and est.n_iter_ == est.max_iter:
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and the "
            "optimization hasn't converged yet.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return history


def keep_best_after_divergence(est: Any, exc: DivergenceError) -> None:
    """After ``exc`` in a fit with early stopping, leave ``est`` with the weights of its best
    validation epoch, as scikit-learn's MLP does at the end of such a fit, or, where no epoch
    scored a finite validation score, unfitted; say which in ``exc``'s message."""
    if est.best_validation_score_ > -np.inf:
        est.network_.set_params(est._best_params)
        kept = (
            "The estimator keeps the weights of its best validation epoch (validation score "
            f"{est.best_validation_score_:.6g})."
        )
    else:
        for name in [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]:
            delattr(est, name)
        kept = "No epoch had a finite validation score: the estimator is left unfitted."
    # the trainer's message says the network keeps its last finite parameters: not so here
    message, said = exc.args[0], "The network keeps its last finite parameters."
    exc.args = (message.replace(said, kept) if said in message else f"{message} {kept}",)


# ------------------------------------------------------------------ batches and split
def batch_size(solver: str, size: int | str, n: int) -> int:
    """The batch size ``_fit_stochastic`` uses for ``n`` samples ('gd': all of them)."""
    if solver == "gd":
        return n
    if size == "auto":
        return min(200, n)
    if size > n:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped",
            stacklevel=4,
        )
    return min(int(size), n)


def stratify_labels(y: Array, fraction: float) -> Array | None:
    """``y`` where a split stratified by it is possible (single-label targets, every class
    on both sides), else None."""
    if y.ndim != 1:
        return None
    counts = np.unique(y, return_counts=True)[1]
    n_val = math.ceil(fraction * len(y))
    return y if counts.min() >= 2 and len(counts) <= min(n_val, len(y) - n_val) else None


def split(
    arrays: list[Array | None], fraction: float, stratify: Array | None, rs: np.random.RandomState
) -> tuple[list, list]:
    """Hold out ``fraction`` of the samples as ``_fit_stochastic`` does for early stopping;
    returns the training and the validation parts of every array (None stays None)."""
    given = [a for a in arrays if a is not None]
    parts = train_test_split(*given, random_state=rs, test_size=fraction, stratify=stratify)
    if parts[1].shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' or the size of "
            "your dataset."
        )
    train, val = iter(parts[0::2]), iter(parts[1::2])
    return (
        [None if a is None else next(train) for a in arrays],
        [None if a is None else next(val) for a in arrays],
    )
