"""Export an fcnn network to other formats: ONNX (``docs/onnx.md``).

``fcnn.export_onnx(net, path)`` writes a :class:`~fcnn.Network` as an ONNX graph;
:func:`register_skl2onnx` teaches ``skl2onnx`` to convert ``FCNNClassifier`` and
``FCNNRegressor`` (and pipelines ending in them). ``import fcnn`` does not import ``onnx``:
it is imported here, on the first export.
"""

from __future__ import annotations

import os
from typing import Any

from ..network import Network

__all__ = ["FORMATS", "export_onnx", "register_skl2onnx"]

#: the formats ``fcnn export --format`` writes
FORMATS = ("onnx",)
_INSTALL = "pip install 'fcnn[onnx]'"


def _import_onnx_graph() -> Any:
    try:
        from . import onnx_graph
    except ImportError as err:
        raise ImportError(
            f"ONNX export needs the onnx package ({err}): {_INSTALL} "
            "(onnx, and onnxruntime to run the exported model)"
        ) from err
    return onnx_graph


def export_onnx(
    net: Network, path: str | os.PathLike[str] | None = None, *, opset: int | None = None
) -> Any:
    """Write ``net`` to ``path`` as an ONNX model and return the ``onnx.ModelProto``.

    The graph takes ``X: (N, n_inputs)`` in the network's dtype (float32 or float64) and
    computes what ``net.forward`` does: the stored standardisation, a ``Gemm`` per layer, the
    hidden activations and the output function. Its outputs are ``probabilities: (N, n_l)`` and
    ``label`` (``net.classes`` as int64 or strings, or class indices when the network has no
    classes; an int64 indicator matrix for several sigmoid outputs) for a classifier, or
    ``variable: (N, n_l)`` for an identity output. ``path=None`` only returns the model.

    ``opset`` (default ``fcnn.export.onnx_graph.OPSET``, 17) is the ONNX opset the model
    declares; 13 or later. Raises ``ValueError`` for a custom activation, which ONNX cannot
    carry, and ``ImportError`` naming ``pip install 'fcnn[onnx]'`` when onnx is missing.
    """
    if not isinstance(net, Network):
        fix = (
            "pass a fitted estimator's network_ (fcnn.export_onnx(est.network_, path)), "
            "or convert it with skl2onnx after fcnn.export.register_skl2onnx()"
            if hasattr(net, "get_params")  # a scikit-learn estimator
            else "load one with fcnn.load(path)"
        )
        raise TypeError(f"export_onnx takes an fcnn.Network, got {type(net).__name__}; {fix}")
    graph = _import_onnx_graph()
    opset = graph.OPSET if opset is None else opset
    if not isinstance(opset, int) or isinstance(opset, bool) or opset < 13:
        raise ValueError(f"opset must be an int >= 13 (Softmax on one axis), got {opset!r}")
    model = graph.export_model(net, opset)
    if path is not None:
        from ..storage.atomic import atomic_write_bytes

        atomic_write_bytes(path, model.SerializeToString())
    return model


def register_skl2onnx() -> None:
    """Register converters for ``FCNNClassifier`` and ``FCNNRegressor`` with ``skl2onnx``, so
    that ``skl2onnx.to_onnx`` converts them and pipelines ending in them. Safe to call again.

    The classifier's outputs follow ``MLPClassifier``'s conversion: ``label`` and
    ``probabilities``, the latter through a ``ZipMap`` unless ``options={"zipmap": False}``.
    """
    try:
        from . import skl2onnx_converter
    except ImportError as err:
        raise ImportError(f"converting with skl2onnx needs it ({err}): {_INSTALL}") from err
    skl2onnx_converter.register()
