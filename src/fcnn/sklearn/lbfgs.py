"""``solver='lbfgs'`` of ``fcnn.sklearn``: scikit-learn's ``_fit_lbfgs`` (1.9) on an fcnn
network. ``scipy.optimize.minimize(method="L-BFGS-B")`` runs on a copy of the flat parameter
buffer ``network_.params`` with the loss and exact gradient of ``Network._step`` on one
full-batch workspace, with scikit-learn's options (``maxfun=max_fun``, ``maxiter=max_iter``,
``gtol=tol``), so that the same initial weights give the same iterates.

The core's ``fit(optimizer="lbfgs")`` is a different driver (``fcnn._fast.lbfgs``: one
iteration per epoch of the training loop); this one matches ``MLPClassifier`` instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.optimize
from sklearn.utils.fixes import _get_additional_lbfgs_options_dict
from sklearn.utils.optimize import _check_optimize_result

from .._fast import threads
from .._fast.batch import Batch
from ..data.training import Data
from ..history import History

Array = np.ndarray


def fit_lbfgs(est: Any, X: Array, Y: Array, w: Array | None) -> History:
    """Minimise scikit-learn's objective for ``est`` from ``est.network_``'s parameters.

    Sets ``n_iter_`` (the iterations of this call), ``loss_`` and fcnn's ``loss_curve_``
    (the loss after every iteration, which scikit-learn's lbfgs does not keep); warns
    ``ConvergenceWarning`` as scikit-learn does when L-BFGS-B stops short of ``gtol``.
    """
    net, n = est.network_, X.shape[0]
    # as run_epochs: weights scaled to mean 1 (times the outputs for the regressor, whose
    # gradient sklearn does not divide by them), and l2 = alpha / Σw
    mean_w = 1.0 if w is None else float(w.mean())
    if mean_w <= 0:
        raise ValueError("sample_weight must contain at least one non-zero number")
    k = est._delta_scale()
    weights = None if w is None and k == 1 else (np.ones(n) if w is None else w) * (k / mean_w)
    l2 = est.alpha / (n * mean_w)
    data = Data(net, X, Y, weights)
    ws = Batch(net, n, data)
    ws.gather(data, None)

    def loss_grad(x: Array) -> tuple[float, Array]:
        """scikit-learn's ``_loss_grad_lbfgs``: the loss and gradient at ``x``."""
        np.copyto(net.params, x, casting="unsafe")
        parts = net._step(ws, ws.Y, l2, ws.w)
        data_loss = sum(parts[:-1]) if l2 else sum(parts)
        loss = data_loss / k + (parts[-1] if l2 else 0.0)
        return float(loss), net._grad.astype(np.float64)

    curve: list[float] = []
    iprint = 1 if est.verbose is True or est.verbose >= 1 else -1
    # NumPy's BLAS by the run's thread policy, scipy's (L-BFGS-B's vectors) on one thread
    with (
        np.errstate(over="ignore", invalid="ignore", divide="ignore"),
        threads.limited(net.sizes, n),
        threads.others_limited(1),
    ):
        result = scipy.optimize.minimize(
            loss_grad,
            net.params.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=lambda intermediate_result: curve.append(float(intermediate_result.fun)),
            options={
                "maxfun": est.max_fun,
                "maxiter": est.max_iter,
                "gtol": est.tol,
                **_get_additional_lbfgs_options_dict("iprint", iprint),
            },
        )
    est.n_iter_ = _check_optimize_result("lbfgs", result, est.max_iter)
    est.loss_ = float(result.fun)
    np.copyto(net.params, result.x, casting="unsafe")
    if not np.isfinite(net.params).all():
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may contain large "
            "values and need to be preprocessed."
        )
    est.loss_curve_.extend(curve)
    est.best_loss_ = min(est.loss_, est.best_loss_ or np.inf)
    return History(epoch=list(range(1, len(curve) + 1)), loss=curve, sizes=net.sizes)
