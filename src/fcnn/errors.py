"""Exception types a user can catch."""


class FCNNError(Exception):
    """Base class of every error fcnn raises on purpose."""


class DivergenceError(FCNNError, FloatingPointError):
    """Training produced a NaN or infinite loss or parameter.

    Attributes ``epoch`` and ``step`` say where; the network keeps its last finite parameters.
    """

    def __init__(self, message: str, epoch: int = -1, step: int = -1) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.step = step


class ModelFileError(FCNNError, ValueError):
    """A model or checkpoint file is missing, truncated, corrupted, foreign or inconsistent."""


class MemoryLimitError(FCNNError, ValueError):
    """What a file, a header or a network asks for would not fit in the memory available to
    the process (``fcnn.memory``); ``estimate`` and ``limit`` are in bytes."""

    def __init__(self, message: str, estimate: int = 0, limit: int = 0) -> None:
        super().__init__(message)
        self.estimate = estimate
        self.limit = limit
