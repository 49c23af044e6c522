"""Storage: model files and checkpoints (safetensors, never pickle), written atomically.

:mod:`~fcnn.storage.model_file` saves and loads a ``Network`` (public as ``fcnn.save`` and
``fcnn.load``), :mod:`~fcnn.storage.checkpoint_file` a training state,
:mod:`~fcnn.storage.container` holds the header checks both share, and
:mod:`~fcnn.storage.atomic` writes any file so that a crash leaves the old one or the new one.
"""

from .atomic import atomic_path, atomic_write_bytes, atomic_write_text
from .checkpoint_file import load_checkpoint, save_checkpoint
from .container import (
    CHECKPOINT_FORMAT,
    FORMAT_VERSION,
    MAX_FILE_BYTES,
    MAX_HEADER_BYTES,
    MODEL_FORMAT,
)
from .model_file import load, save

__all__ = [
    "CHECKPOINT_FORMAT",
    "FORMAT_VERSION",
    "MAX_FILE_BYTES",
    "MAX_HEADER_BYTES",
    "MODEL_FORMAT",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "load",
    "load_checkpoint",
    "save",
    "save_checkpoint",
]
