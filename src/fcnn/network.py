"""The fully connected network: parameters, forward (seed 002 Alg. 1), backward (Alg. 2).

fcnn's public arrays are samples x features: ``X: (B, n_0)``, the transpose of seed 002's
``X_{f x b}`` (``docs/math.md`` §1.2). Weights keep the seeds' orientation
``W^(k): (n_k, n_{k-1})``. Inside, the training workspaces keep seed 002's own layout, one
sample per column, so Alg. 1 line 8 ``a = W h + b`` and Alg. 2 line 4 ``∇W = g hᵀ`` are
computed as written, on contiguous blocks (``docs/performance.md``).

All parameters live in ONE flat buffer, ``params``. Layer k owns the block
``Wb^(k) = [W^(k) | b^(k)]: (n_k, n_{k-1} + 1)``, and ``weights``/``biases`` are views into it.
With a column of ones appended to each layer's input (the "bias trick"), one matrix product
gives ``a^(k)`` with its bias, and one gives ``[∇W | ∇b]`` (Alg. 2 lines 3-4 together). The
gradients live in a second flat buffer of the same layout, so an optimiser updates everything
in one or two NumPy calls. The readable, line-by-line version of the same math is
``fcnn.reference``; tests prove the two agree.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from . import activations, batched, losses, memory
from . import init as initializers
from ._checks import activation_names, check_dtype, check_number, check_sizes
from ._fast import sparse
from ._fast.workspace import Workspace
from ._inputs import as_features, as_params, as_targets
from ._layout import block_shapes, blocks, weight_mask, weights_and_biases

if TYPE_CHECKING:
    from .callbacks import Callback
    from .history import History
    from .optim import Optimizer, Schedule
    from .train import Trainer

Array = np.ndarray
_DRAW = contextvars.ContextVar("fcnn_draw_weights", default=True)
REDUCTIONS = ("mean", "sum")


class Network:
    """A fully connected network trained by explicit backpropagation.

    Parameters
    ----------
    sizes : layer widths, input first: ``[n_0, n_1, ..., n_l]`` (at least two).
    activation : hidden activation name, or one name per hidden layer (``fcnn.activations``).
    output : ``"softmax"``, ``"sigmoid"``, ``"identity"`` or ``"exp"``, applied to ``a^(l)``.
    loss : ``"cross_entropy"``, ``"mse"``, ``"mse+ce"`` (seed 000 eq. 7) or ``"poisson"``
        (half the Poisson deviance; with ``output="exp"``).
    reduction : ``"mean"`` (J = (1/B) Σ_k J_k) or ``"sum"`` (seed 002 eq. 3i).
    init : ``"xavier"``, ``"he"`` or ``"normal"`` (``fcnn.init``).
    seed : seed of the ``numpy.random.Generator`` that draws the weights.
    dtype : ``"float32"`` or ``"float64"``; every parameter and workspace keeps it.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Sequence[str] = "tanh",
        output: str = "softmax",
        loss: str = "cross_entropy",
        reduction: str = "mean",
        init: str = "xavier",
        seed: int | None = None,
        dtype: str | type | np.dtype = "float64",
    ) -> None:
        self.sizes = check_sizes(sizes)
        names = activation_names(activation, len(self.sizes) - 2)
        self._acts = [activations.get(a) for a in names]
        self.activations = tuple(names)
        losses.check(loss, output, self.sizes[-1])
        self.output, self.loss_name = output, loss
        if reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {reduction!r}; choose 'mean' or 'sum'")
        self.reduction = reduction
        self.dtype = check_dtype(dtype)
        what = "an int >= 0 or None"
        self.seed = None if seed is None else check_number("seed", seed, 0, integer=True, what=what)
        self.init = init
        self.classes: list[Any] | None = None
        self.feature_mean: Array | None = None
        self.feature_scale: Array | None = None

        shapes = block_shapes(self.sizes)
        self.n_params = sum(r * c for r, c in shapes)
        # parameters, gradient, scratch and L2 mask: four flat buffers, checked before any
        what = f"a network of sizes {list(self.sizes)} ({self.n_params:,} parameters)"
        memory.check(4 * self.n_params * self.dtype.itemsize, what, "use smaller layers")
        self.params = np.zeros(self.n_params, self.dtype)
        # the training loop's gradient buffer: ∇J, or α ∇J, or untouched, depending on the step
        # that fcnn._fast.step chose; the public way to the gradient is gradients()
        self._grad = np.zeros(self.n_params, self.dtype)
        self._scratch = np.zeros(self.n_params, self.dtype)  # zeros: a pickle holds no stale memory
        self._Wb = blocks(self.params, shapes)
        self._dWb = blocks(self._grad, shapes)
        self.weights, self.biases = weights_and_biases(self._Wb)
        initializers.get(init)  # a known name, whether drawn now or not
        if _DRAW.get():  # not for a loader that overwrites every parameter (Network._blank)
            initializers.draw(init, self.weights, self.biases, self.seed)

    @cached_property
    def weight_mask(self) -> Array:
        """1 for weights, 0 for biases, in the layout of ``params``: the L2 mask, built lazily."""
        return weight_mask([B.shape for B in self._Wb], self.dtype)

    # ----------------------------------------------------------------- description
    @property
    def n_inputs(self) -> int:
        """Number of input features ``n_0``."""
        return self.sizes[0]

    @property
    def n_outputs(self) -> int:
        """Number of output units ``n_l``."""
        return self.sizes[-1]

    @property
    def is_classifier(self) -> bool:
        """Whether the outputs are classes: a softmax output, or one sigmoid unit."""
        return self.output == "softmax" or (self.output == "sigmoid" and self.n_outputs == 1)

    @property
    def parts(self) -> tuple[str, ...]:
        """Names of the loss parts: ``("mse", "ce")`` for ``mse+ce``."""
        return losses.PARTS[self.loss_name]

    def config(self) -> dict[str, Any]:
        """The constructor arguments as a JSON-able dict; ``Network(**cfg)`` rebuilds it."""
        return {
            "sizes": list(self.sizes),
            "activation": list(self.activations),
            "output": self.output,
            "loss": self.loss_name,
            "reduction": self.reduction,
            "init": self.init,
            "seed": self.seed,
            "dtype": str(self.dtype),
        }

    @classmethod
    def from_config(cls, cfg: dict[str, Any], params: Array | None = None) -> Network:
        """Build a network from :meth:`config` output, optionally with its flat parameters."""
        net = cls(**cfg)
        if params is not None:
            net.set_params(params)
        return net

    @classmethod
    def _blank(cls, cfg: dict[str, Any]) -> Network:
        """A network of ``cfg`` with zero parameters, none drawn: for a loader that fills all."""
        token = _DRAW.set(False)
        try:
            return cls(**cfg)
        finally:
            _DRAW.reset(token)

    def set_params(self, params: Array) -> None:
        """Copy a flat parameter vector (layout of :attr:`params`) into the network."""
        np.copyto(self.params, as_params(params, self.n_params), casting="same_kind")

    def copy(self) -> Network:
        """An independent copy with the same parameters and metadata."""
        net = Network.from_config(self.config(), self.params)
        net.classes = None if self.classes is None else list(self.classes)
        stats = (self.feature_mean, self.feature_scale)
        net.feature_mean, net.feature_scale = (None if v is None else v.copy() for v in stats)
        return net

    # ------------------------------------------------------------------- pickling
    def __getstate__(self) -> dict[str, Any]:
        """What a pickle keeps (and ``copy.deepcopy``, and a trip to a Dask worker): the
        config, the parameters and the metadata. Not the weight and bias views, which would
        come back as copies cut off from :attr:`params` (an unpickled network then trained
        one set of arrays and predicted with another), nor the training loop's buffers."""
        return {
            "config": self.config(),
            "params": self.params,
            "classes": self.classes,
            "feature_mean": self.feature_mean,
            "feature_scale": self.feature_scale,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Build the network of ``state["config"]`` (a custom activation must be registered
        under its name first) and copy in its parameters and metadata."""
        token = _DRAW.set(False)  # every parameter is copied in below
        try:
            self.__init__(**state["config"])  # type: ignore[misc]
        finally:
            _DRAW.reset(token)
        self.set_params(state["params"])
        self.classes = state["classes"]
        self.feature_mean, self.feature_scale = state["feature_mean"], state["feature_scale"]

    def __repr__(self) -> str:
        sizes = "-".join(map(str, self.sizes))
        acts = ",".join(dict.fromkeys(self.activations)) or "none"
        return (
            f"Network({sizes}, activation={acts}, output={self.output}, loss={self.loss_name}, "
            f"reduction={self.reduction}, dtype={self.dtype}, params={self.n_params})"
        )

    # ------------------------------------------------------------------- public math
    def standardize(self, X: Array) -> Array:
        """``(X - feature_mean) / feature_scale``, the stored statistics; ``X`` itself when the
        network carries none."""
        if self.feature_mean is None or self.feature_scale is None:
            return X
        if sparse.is_sparse(X):
            raise ValueError(
                "this network standardises its inputs, which would make sparse X dense; "
                "give X.toarray(), or a network without feature_mean/feature_scale"
            )
        return (np.asarray(X, dtype=self.dtype) - self.feature_mean) / self.feature_scale

    def forward(self, X: Array) -> Array:
        """Outputs ``ŷ = o(a^(l))`` for ``X: (n_samples, n_0)``; returns ``(n_samples, n_l)``
        (in bounded memory whatever the rows: ``fcnn.batched``)."""
        return batched.forward(self, self._inputs(X))

    predict_proba = forward

    def logits(self, X: Array) -> Array:
        """Output pre-activations ``a^(l)`` (before the output function): ``(n_samples, n_l)``."""
        return batched.forward(self, self._inputs(X), output=False)

    def predict(self, X: Array) -> Array:
        """Class indices for softmax (argmax) and sigmoid (ŷ > 0.5) outputs, else values:
        ``(n_samples,)`` for softmax and single-output networks, else ``(n_samples, n_l)``."""
        P = self.forward(X)
        if self.output == "softmax":
            return P.argmax(axis=1)
        if self.output == "sigmoid":
            P = (P > 0.5).astype(np.int64)
        return P[:, 0] if self.n_outputs == 1 else P

    def loss(self, X: Array, y: Array, l2: float = 0.0) -> float:
        """The objective ``J`` (reduced over the batch) plus ``(l2/2) Σ_k ||W^(k)||²``."""
        return sum(self.loss_parts(X, y, l2).values())

    def loss_parts(self, X: Array, y: Array, l2: float = 0.0) -> dict[str, float]:
        """The reduced loss split into its parts, e.g. ``{"mse": .., "ce": ..}``, plus ``"l2"``
        when ``l2 > 0``."""
        X, l2 = self._inputs(X), check_number("l2", l2, 0)
        if X.shape[0] > batched.rows_per_batch(self):  # bounded memory, whatever the rows
            return batched.loss_parts(self, X, y, l2)
        return self._loss_parts(*self._batch(X, y), l2)

    def gradients(self, X: Array, y: Array, l2: float = 0.0) -> tuple[list[Array], list[Array]]:
        """``(dWs, dbs)``: ∂J/∂W^(k) shaped ``(n_k, n_{k-1})`` and ∂J/∂b^(k) shaped ``(n_k,)``,
        by seed 002's Algorithm 2, for the objective of :meth:`loss`."""
        ws, Y = self._batch(X, y)
        self._step(ws, Y, check_number("l2", l2, 0))
        dW, db = weights_and_biases(self._dWb)
        return [d.copy() for d in dW], [d.copy() for d in db]

    def l2_penalty(self, l2: float) -> float:
        """``(l2/2) Σ_k ||W^(k)||_F²`` (weights only, not biases)."""
        w = np.multiply(self.params, self.weight_mask, out=self._scratch)
        return 0.5 * l2 * float(np.vdot(w, w))

    def fit(
        self,
        X: Array,
        y: Array,
        *,
        epochs: int = 200,
        lr: float = 0.1,
        batch_size: int | None = None,
        optimizer: str | Optimizer = "gd",
        optimizer_options: dict[str, Any] | None = None,
        schedule: str | Schedule = "constant",
        schedule_options: dict[str, Any] | None = None,
        l2: float = 0.0,
        clip: float | None = None,
        shuffle: bool = True,
        validation_data: tuple[Array, Array] | None = None,
        val_split: float = 0.0,
        early_stopping: bool = False,
        patience: int = 10,
        min_delta: float = 0.0,
        monitor: str | None = None,
        restore_best: bool = True,
        sample_weight: Array | None = None,
        callbacks: Sequence[Callback | Callable[[Trainer], Any]] = (),
        record_params: bool = False,
        progress: bool = False,
        seed: int | None = None,
        diagnostics: bool = False,
    ) -> History:
        """Train in place on ``X: (n_samples, n_0)`` (dense, or ``scipy.sparse`` CSR/CSC, never
        densified: ``fcnn._fast.sparse``) and ``y``, integer labels ``(n_samples,)`` or targets
        ``(n_samples, n_l)``; return the History. The loop is :class:`fcnn.Trainer`.

        - ``epochs``, ``lr``; ``batch_size`` None is full-batch gradient descent
        - ``optimizer``: ``"gd"``, ``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adam"``,
          ``"rmsprop"``, ``"lbfgs"`` (full batch, one L-BFGS iteration per epoch, ``lr``
          unused; ``fcnn.lbfgs``) or an ``fcnn.optim.Optimizer``; ``optimizer_options`` a dict
        - ``schedule``: ``"constant"``, ``"step"``, ``"exponential"``, ``"invscaling"``,
          ``"adaptive"`` or an ``fcnn.optim.Schedule``; ``schedule_options`` a dict
        - ``l2``: penalty (l2/2) Σ||W||² on weights; ``clip``: max global gradient norm
        - ``shuffle``; ``seed`` (default ``net.seed``) for shuffling and ``val_split``
        - ``validation_data`` ``(X_val, y_val)``, or ``val_split`` (fraction held out)
        - ``early_stopping``, ``patience``, ``min_delta``, ``monitor`` (default ``val_loss`` with
          validation data, else ``loss``; or an accuracy); ``restore_best``: with early stopping,
          end on the best epoch's parameters, fired or not (``History.restored_best``)
        - ``sample_weight``: ``(n_samples,)`` weights of the per-sample losses; a batch's loss
          is ``scale · Σ_k w_k J_k``, ``scale = 1/B`` (B its rows, not Σw) for ``mean``
        - ``callbacks``: ``fcnn.Callback`` objects or functions called after every epoch (a
          list, or one on its own)
        - ``record_params``: keep every parameter vector (``History.trajectory``)
        - ``progress``: a progress bar with the live loss
        - ``diagnostics``: training-health diagnostics per epoch and layer
          (``History.diagnostics``, ``fcnn.diagnostics``)

        Raises ``fcnn.DivergenceError`` when the loss or a parameter becomes NaN/inf; the
        network keeps its last finite parameters.
        """
        from .train import Trainer

        options = {k: v for k, v in locals().items() if k not in ("self", "X", "y", "Trainer")}
        return Trainer(self, X, y, **options).run()

    # ------------------------------------------------------------- validated inputs
    def _inputs(self, X: Array) -> Array:
        return as_features(X, self.n_inputs, self.dtype)

    def _batch(self, X: Array, y: Array) -> tuple[Workspace, Array]:
        """A workspace holding ``X``, and the targets transposed to ``(n_l, n_samples)``."""
        X = self._inputs(X)
        Y, _ = as_targets(y, X.shape[0], self.n_outputs, self.output, self.loss_name, self.dtype)
        return self._workspace_for(X), Y.T

    def _workspace_for(self, X: Array) -> Workspace:
        if sparse.is_sparse(X):  # kept sparse: the first layer multiplies it as it is
            ws = Workspace(self, X.shape[0], sparse=True)
            ws.Xs = X
            return ws
        ws = Workspace(self, len(X))
        ws.X[...] = X
        return ws

    def _scale(self, B: int) -> float:
        return 1.0 / B if self.reduction == "mean" else 1.0

    # ------------------------------------------------------------- seed 002's algorithms
    def _forward(self, ws: Workspace, output: bool = True) -> None:
        """Seed 002, Alg. 1 on the batch in ``ws.H[0]``; leaves ``ŷ`` in ``ws.P``."""
        for layer in ws.forward:
            # lines 8/10: a^(k) = W^(k) h^(k-1) + b^(k) = [W | b] [h; 1]
            if layer.h is None:  # a sparse batch: sparse x dense (fcnn._fast.sparse)
                sparse.affine(ws.Xs, layer.Wb, out=layer.a)
            else:
                np.dot(layer.Wb, layer.h, out=layer.a)
            if layer.f is not None:
                # line 9: h^(k) = f(a^(k)), written above the row of ones
                layer.f(layer.a, out=layer.h_next)
        if output:
            # line 11: ŷ = o(a^(l))
            losses.output_forward(self.output, ws.A[-1], ws.P, ws.buf)

    def _backward(self, ws: Workspace) -> None:
        """Seed 002, Alg. 2, from ``ws.G[-1] = ∂J/∂a^(l)``; fills the gradient buffer."""
        for layer in ws.backward:  # the last layer first
            # lines 3-4 / 9-10: [∇W^(k) | ∇b^(k)] = g [h^(k-1); 1]ᵀ
            if layer.hT is None:  # a sparse batch: g X_s (fcnn._fast.sparse)
                sparse.weight_gradient(layer.g, ws.Xs, out=layer.dWb)
            else:
                np.dot(layer.g, layer.hT, out=layer.dWb)
            if layer.WT is not None:  # not below the first layer: nothing needs ∂J/∂x
                # lines 5/11: g <- W^(k)ᵀ g
                layer.product(layer.WT, layer.g, out=layer.g_below)
                # line 7: g <- g ⊙ f'(a^(k-1))
                layer.df(layer.a_below, layer.h_below, out=layer.t)
                np.multiply(layer.g_below, layer.t, out=layer.g_below)

    def _loss_parts(
        self, ws: Workspace, Y: Array, l2: float = 0.0, w: Array | None = None
    ) -> dict[str, float]:
        """Forward and loss (no gradient) on the batch in ``ws``: the reduced parts by name,
        plus ``"l2"`` when ``l2 > 0``. ``Y: (n_l, B)``; ``w`` weights the samples' losses."""
        self._forward(ws)
        values = losses.value_and_delta(
            self.loss_name, self.output, ws.A[-1], ws.P, Y, None, 1.0, ws.buf, w
        )
        parts = {name: v * ws.scale for name, v in zip(self.parts, values, strict=True)}
        if l2:
            parts["l2"] = self.l2_penalty(l2)
        return parts

    def _step(
        self,
        ws: Workspace,
        Y: Array,
        l2: float = 0.0,
        w: Array | None = None,
        rate: float = 1.0,
    ) -> tuple[float, ...]:
        """Forward, loss and backward on the batch in ``ws``; returns the reduced loss parts
        (plus the L2 penalty last when ``l2 > 0``) and fills the gradient buffer with
        ``rate · ∇J``. ``Y: (n_l, B)`` holds the targets column by column; ``w: (B,)`` weights
        the samples' losses (``J = scale · Σ_k w_k J_k``). Backprop is linear in the output
        delta, so scaling ``∂J/∂a^(l)`` by ``rate`` scales every gradient by it."""
        if rate != ws.rate:
            ws.set_rate(rate)
        self._forward(ws)
        parts = losses.value_and_delta(
            self.loss_name, self.output, ws.A[-1], ws.P, Y, ws.G[-1], ws.delta_scale, ws.buf, w
        )
        parts = tuple(v * ws.scale for v in parts)
        self._backward(ws)
        if l2:
            # ∂/∂W of (l2/2)||W||² is l2 W; biases are not penalised
            penalty = self.l2_penalty(l2)  # leaves the masked weights in _scratch
            self._scratch *= l2 * rate
            self._grad += self._scratch
            parts += (penalty,)
        return parts
