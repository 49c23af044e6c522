"""skl2onnx converters for ``FCNNClassifier`` and ``FCNNRegressor``.

After :func:`register`, ``skl2onnx.to_onnx`` converts the estimators, and scikit-learn
pipelines ending in them, as it converts ``MLPClassifier``/``MLPRegressor``:

- classifier: outputs ``label`` (``classes_`` as int64, or strings; the indicator matrix for
  multi-label targets) and ``probabilities`` (``predict_proba``: two columns for a binary
  target), which skl2onnx's classifier parser passes through a ``ZipMap`` (a list of
  ``{class: probability}``) unless ``options={"zipmap": False}``, exactly as for MLPClassifier;
- regressor: ``variable: (N, n_outputs_)``.

The graph runs in float64 when the converted input is double and in float32 otherwise (what
skl2onnx does for MLPClassifier), whatever the estimator's ``dtype``. The nodes come from
``fcnn.export.onnx_graph``, the same as ``fcnn.export_onnx`` writes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TensorProto, helper
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)

from ..sklearn import FCNNClassifier, FCNNRegressor
from .onnx_graph import GraphBuilder, forward, label_type, labels

ALIASES = {FCNNClassifier: "FcnnFCNNClassifier", FCNNRegressor: "FcnnFCNNRegressor"}


def _float_type(operator: Any) -> type:
    """DoubleTensorType for a double input, else FloatTensorType (as skl2onnx's MLP)."""
    inp = operator.inputs[0].type
    return DoubleTensorType if isinstance(inp, DoubleTensorType) else FloatTensorType


def _multilabel(est: Any) -> bool:
    net = est.network_
    return net.output == "sigmoid" and net.n_outputs > 1


def classifier_shapes(operator: Any) -> None:
    """skl2onnx shape calculator: ``label: (N,)`` (``(N, n_labels)`` multi-label) and
    ``probabilities: (N, n_classes)``."""
    est = operator.raw_operator
    N = operator.inputs[0].get_first_dimension()
    multilabel = _multilabel(est)
    text = label_type(est.network_, est.classes_.tolist()) == TensorProto.STRING
    label = StringTensorType if text else Int64TensorType
    operator.outputs[0].type = label([N, len(est.classes_)] if multilabel else [N])
    operator.outputs[1].type = _float_type(operator)([N, len(est.classes_)])


def regressor_shapes(operator: Any) -> None:
    """skl2onnx shape calculator: ``variable: (N, n_outputs_)``."""
    N = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _float_type(operator)([N, operator.raw_operator.n_outputs_])


def _builder(scope: Any, operator: Any) -> tuple[GraphBuilder, str]:
    """A builder in the converted input's float type, and the input cast to it."""
    dtype = np.float64 if _float_type(operator) is DoubleTensorType else np.float32
    g = GraphBuilder(dtype, fresh=scope.get_unique_variable_name)
    x = operator.inputs[0].full_name
    if not isinstance(operator.inputs[0].type, _float_type(operator)):
        x = g.op("Cast", [x], to=helper.np_dtype_to_tensor_dtype(g.dtype))
    return g, x


def _emit(g: GraphBuilder, scope: Any, container: Any) -> None:
    """Copy the builder's constants and nodes into skl2onnx's container."""
    for name, value in g.constants.items():
        content = value.ravel().tolist()
        if value.dtype == object:
            content = [str(v).encode("utf-8") for v in content]
        kind = helper.np_dtype_to_tensor_dtype(value.dtype)
        container.add_initializer(name, kind, list(value.shape), content)
    for node in g.nodes:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        container.add_node(
            node.op_type,
            list(node.input),
            list(node.output),
            name=scope.get_unique_operator_name(node.op_type),
            **attrs,
        )


def convert_classifier(scope: Any, operator: Any, container: Any) -> None:
    """skl2onnx converter: ``predict`` and ``predict_proba`` of an ``FCNNClassifier``."""
    est = operator.raw_operator
    net = est.network_
    g, x = _builder(scope, operator)
    P = forward(g, net, x)
    label = labels(g, net, P, est.classes_.tolist())
    if net.output == "sigmoid" and not _multilabel(est):  # predict_proba: [1 - p, p]
        P = g.op("Concat", [g.op("Sub", [g.const("one", 1.0), P]), P], axis=1)
    g.op("Identity", [label], out=operator.outputs[0].full_name)
    g.op("Identity", [P], out=operator.outputs[1].full_name)
    _emit(g, scope, container)


def convert_regressor(scope: Any, operator: Any, container: Any) -> None:
    """skl2onnx converter: ``predict`` of an ``FCNNRegressor``, ``(N, n_outputs_)``."""
    g, x = _builder(scope, operator)
    y = forward(g, operator.raw_operator.network_, x)
    g.op("Identity", [y], out=operator.outputs[0].full_name)
    _emit(g, scope, container)


def register() -> None:
    """Register both converters with skl2onnx (again: replaces the earlier registration)."""
    update_registered_converter(
        FCNNClassifier,
        ALIASES[FCNNClassifier],
        classifier_shapes,
        convert_classifier,
        # the options skl2onnx registers for MLPClassifier
        options={
            "zipmap": [True, False, "columns"],
            "output_class_labels": [False, True],
            "nocl": [True, False],
        },
    )
    update_registered_converter(
        FCNNRegressor, ALIASES[FCNNRegressor], regressor_shapes, convert_regressor
    )
