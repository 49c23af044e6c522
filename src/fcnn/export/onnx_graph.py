"""An fcnn :class:`~fcnn.Network` as ONNX nodes, built with ``onnx.helper``.

The graph computes what :meth:`fcnn.Network.forward` computes, op by op (seed 002, Alg. 1):

- standardisation, when the network carries statistics: ``(X - feature_mean) / feature_scale``;
- per layer, ``Gemm(h, W, b, transB=1)``: ``h W^(k)ᵀ + b^(k)`` for ``h: (n_samples, n_{k-1})``
  and ``W^(k): (n_k, n_{k-1})`` as fcnn stores it (Alg. 1 lines 8/10, one sample per row);
- the hidden activation (line 9), each written as ``fcnn.activations`` computes it;
- the output function: ``Softmax`` on axis 1, the logistic sigmoid, or the identity;
- labels: ``ArgMax`` for softmax, ``> 0.5`` for sigmoid (as :meth:`fcnn.Network.predict`),
  mapped to the class labels when the network has them.

:class:`GraphBuilder` collects the nodes and constants; :func:`export_model` wraps them in a
model for :func:`fcnn.export_onnx`, and ``fcnn.export.skl2onnx_converter`` emits the same nodes
into a scikit-learn pipeline's graph. This module imports ``onnx``; ``fcnn.export`` imports it
only when an export is asked for.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .. import losses
from ..activations import LEAKY_SLOPE
from ..network import Network

Array = np.ndarray
#: the opset of the ONNX domain the exported models import: every op used here has had its
#: current form since opset 13; 17 is read by onnxruntime >= 1.13
OPSET = 17
#: hidden activations the export knows, each as fcnn computes it (``fcnn.activations``)
EXPORTABLE = ("tanh", "sigmoid", "relu", "leaky_relu", "identity", "softplus")


class GraphBuilder:
    """Nodes and constants of a graph under construction, in one float ``dtype``.

    ``fresh(base)`` returns a name not yet used in the graph (skl2onnx passes its scope's);
    the default numbers the names.
    """

    def __init__(self, dtype: Any, fresh: Callable[[str], str] | None = None) -> None:
        self.dtype = np.dtype(dtype)
        self.nodes: list[onnx.NodeProto] = []
        self.constants: dict[str, Array] = {}
        self._count = 0
        self.fresh = fresh or self._numbered

    def _numbered(self, base: str) -> str:
        self._count += 1
        return f"{base}_{self._count}"

    def const(self, base: str, value: Any, dtype: Any = None) -> str:
        """A constant tensor (in the graph's dtype unless ``dtype`` is given); its name."""
        name = self.fresh(base)
        self.constants[name] = np.asarray(value, dtype=dtype or self.dtype)
        return name

    def op(self, op_type: str, inputs: Sequence[str], out: str | None = None, **attrs: Any) -> str:
        """Append ``op_type(inputs)`` with attributes ``attrs``; returns its output's name
        (``out`` when given, else a fresh one)."""
        out = out or self.fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def initializers(self) -> list[TensorProto]:
        """The constants as ONNX tensors."""
        return [numpy_helper.from_array(a, name) for name, a in self.constants.items()]


# ------------------------------------------------------------------------------ the network
def check_exportable(net: Network) -> None:
    """Raise ``ValueError`` when ``net`` has a hidden activation the export cannot write."""
    unknown = [a for a in net.activations if a not in EXPORTABLE]
    if unknown:
        raise ValueError(
            f"cannot export activation {unknown[0]!r} to ONNX: only the built-in activations "
            f"{', '.join(EXPORTABLE)} are known to the exporter (a custom activation is a Python "
            "function, which ONNX cannot carry)"
        )


def _sigmoid(g: GraphBuilder, a: str) -> str:
    # fcnn.activations._sigmoid: sigma(a) = (1 + tanh(a/2)) / 2, the same ops in the same order
    half = g.const("half", 0.5)
    t = g.op("Tanh", [g.op("Mul", [a, half])])
    return g.op("Mul", [g.op("Add", [t, g.const("one", 1.0)]), half])


def _softplus(g: GraphBuilder, a: str) -> str:
    # fcnn computes logaddexp(0, a) = max(a, 0) + log1p(exp(-|a|)): no overflow for large |a|.
    # ONNX has no log1p; log(1 + e) differs from it by less than the float's rounding of the sum
    e = g.op("Exp", [g.op("Neg", [g.op("Abs", [a])])])
    return g.op("Add", [g.op("Relu", [a]), g.op("Log", [g.op("Add", [e, g.const("one", 1.0)])])])


def activation(g: GraphBuilder, name: str, a: str) -> str:
    """``h = f(a)`` for the hidden activation ``name`` (seed 002, Alg. 1 line 9)."""
    if name == "tanh":
        return g.op("Tanh", [a])
    if name == "sigmoid":
        return _sigmoid(g, a)
    if name == "relu":
        return g.op("Relu", [a])
    if name == "leaky_relu":
        # max(a, 0.01 a) as fcnn computes it; LeakyRelu's alpha attribute is a float32, which
        # would move a float64 network's outputs by ~1e-10
        return g.op("Max", [a, g.op("Mul", [a, g.const("slope", LEAKY_SLOPE)])])
    if name == "softplus":
        return _softplus(g, a)
    return a  # identity


def forward(g: GraphBuilder, net: Network, x: str) -> str:
    """Nodes computing ``net.forward`` of the ``(n_samples, n_0)`` tensor ``x`` (in the graph's
    dtype); returns the name of the ``(n_samples, n_l)`` output."""
    check_exportable(net)
    h = x
    if net.feature_mean is not None and net.feature_scale is not None:
        h = g.op("Sub", [h, g.const("feature_mean", net.feature_mean)])
        h = g.op("Div", [h, g.const("feature_scale", net.feature_scale)])
    last = len(net.weights) - 1
    for k, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        # Alg. 1 lines 8/10 with one sample per row: a = h Wᵀ + b, W: (n_k, n_{k-1})
        a = g.op("Gemm", [h, g.const(f"W{k + 1}", W), g.const(f"b{k + 1}", b)], transB=1)
        h = activation(g, net.activations[k], a) if k < last else a
    if net.output == "softmax":
        return g.op("Softmax", [h], axis=1)
    if net.output == "sigmoid":
        return _sigmoid(g, h)
    if net.output == "exp":  # Poisson regression's log link
        return g.op("Exp", [h])
    return h


# -------------------------------------------------------------------------------- labels
def label_array(classes: Sequence[Any]) -> Array:
    """Class labels as an ONNX-ready array: int64 when every label is an integer (or an
    integral float), else strings."""
    values = list(classes)
    if all(
        isinstance(c, Integral) or (isinstance(c, Real) and float(c).is_integer()) for c in values
    ):
        return np.array([int(c) for c in values], dtype=np.int64)
    return np.array([str(c) for c in values], dtype=object)


def labels(g: GraphBuilder, net: Network, P: str, classes: Sequence[Any] | None) -> str | None:
    """Nodes computing the labels from the outputs ``P: (n_samples, n_l)`` as
    :meth:`fcnn.Network.predict` does, mapped through ``classes`` when given; None for a
    regression (identity) output.

    softmax: ``classes[argmax P]``, ``(n_samples,)``. One sigmoid unit: ``classes[P > 0.5]``,
    ``(n_samples,)``. Several sigmoid units (multi-label): the 0/1 indicator matrix, int64.
    """
    if net.output in losses.REGRESSION_OUTPUTS:
        return None
    if net.output == "softmax":
        index = g.op("ArgMax", [P], axis=1, keepdims=0)
    else:
        above = g.op("Greater", [P, g.const("threshold", 0.5)])
        index = g.op("Cast", [above], to=TensorProto.INT64)
        if net.n_outputs > 1:
            return index  # the indicator matrix, as predict gives it
        index = g.op("Reshape", [index, g.const("flat", [-1], np.int64)])
    if classes is None:
        return index
    table = label_array(classes)
    if len(table) == 1 and net.output == "sigmoid":  # fitted on one class: both sides name it
        table = np.concatenate([table, table])
    return g.op("Gather", [g.const("classes", table, table.dtype), index], axis=0)


# ------------------------------------------------------------------------------ the model
def label_type(net: Network, classes: Sequence[Any] | None) -> int:
    """The ONNX element type of :func:`labels`' output: string for text class labels of a
    softmax or single-sigmoid output, else int64."""
    single = net.output == "softmax" or net.n_outputs == 1
    text = classes is not None and label_array(classes).dtype == object
    return TensorProto.STRING if single and text else TensorProto.INT64


def export_model(net: Network, opset: int = OPSET) -> onnx.ModelProto:
    """The ONNX model of ``net``: input ``X: (N, n_0)`` in the network's dtype; outputs
    ``label`` and ``probabilities: (N, n_l)`` (what ``net.forward`` returns) for a
    classifier, ``variable: (N, n_l)`` for an identity output. Checked by ``onnx.checker``."""
    from .. import __version__

    g = GraphBuilder(net.dtype)
    dtype = helper.np_dtype_to_tensor_dtype(net.dtype)
    P = forward(g, net, "X")
    label = labels(g, net, P, net.classes)
    outputs = []
    if label is not None:
        shape = ["N"] if net.output == "softmax" or net.n_outputs == 1 else ["N", net.n_outputs]
        g.op("Identity", [label], out="label")
        outputs.append(helper.make_tensor_value_info("label", label_type(net, net.classes), shape))
    name = "variable" if label is None else "probabilities"
    g.op("Identity", [P], out=name)
    outputs.append(helper.make_tensor_value_info(name, dtype, ["N", net.n_outputs]))
    graph = helper.make_graph(
        g.nodes,
        "fcnn_network",
        [helper.make_tensor_value_info("X", dtype, ["N", net.n_inputs])],
        outputs,
        initializer=g.initializers(),
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="fcnn",
        producer_version=__version__,
        doc_string=repr(net),
    )
    meta = {"config": json.dumps(net.config()), "classes": json.dumps(net.classes, default=str)}
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model, full_check=True)
    return model
