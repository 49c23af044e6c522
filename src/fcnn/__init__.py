"""fcnn: fully connected neural networks trained by explicit, hand-written backpropagation.

The math follows two course documents (``docs/math.md``): seed 002's Algorithms 1 and 2 for
an l-layer network on mini-batches, and seed 000's 2-2-2 tanh/softmax network with the loss
MSE + cross-entropy.
"""

import os
from pathlib import Path

# _startup first: for the fcnn command, Ctrl-C while the rest imports is one line
from . import _startup, activations, init, optim  # noqa: F401 - _startup: its import is its work
from ._aliases import old_module as __getattr__  # noqa: F401 - old paths: fcnn.io, fcnn.config
from .activations import register_activation
from .callbacks import Callback
from .data import datasets
from .errors import DivergenceError, FCNNError, MemoryLimitError, ModelFileError
from .export import export_onnx
from .gradcheck import GradcheckReport, gradcheck
from .history import History
from .memory import memory_limit
from .network import Network
from .optim import SGD, Adam, Optimizer, RMSprop, Schedule, get_optimizer, get_schedule
from .population import Population
from .storage import load, save
from .train import Trainer, fit

__version__ = "0.1.0"


def report(run_folder: str | os.PathLike[str], *, features: tuple[int, int] | None = None) -> Path:
    """(Re)build ``run_folder/report.html``, the run's self-contained page, from the folder's
    files; returns its path. ``features=(i, j)`` shows data of more than two features on those
    two columns instead of a PCA projection. plotly is imported here, not at ``import fcnn``
    (``fcnn.reporting``)."""
    from .reporting import build

    return build(run_folder, features=features)


__all__ = [
    "SGD",
    "Adam",
    "Callback",
    "DivergenceError",
    "FCNNError",
    "GradcheckReport",
    "History",
    "MemoryLimitError",
    "ModelFileError",
    "Network",
    "Optimizer",
    "Population",
    "RMSprop",
    "Schedule",
    "Trainer",
    "activations",
    "datasets",
    "export_onnx",
    "fit",
    "get_optimizer",
    "get_schedule",
    "gradcheck",
    "init",
    "io",
    "load",
    "memory_limit",
    "optim",
    "register_activation",
    "report",
    "save",
]
