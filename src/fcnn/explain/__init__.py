"""``fcnn explain``: backpropagation line by line, with a run's own numbers.

One step of training, written out as seed 002 writes it: every line of Algorithm 1 (forward)
and Algorithm 2 (backward) with the equation in the seed's notation, the shapes and the actual
matrices, a central finite-difference check beside each gradient, then the update
``W ← W - α ∇W`` with the new values. A student can redo the step by hand from it.

- :func:`ledger` computes the entries of one :class:`Problem` (``fcnn.explain.ledger`` and
  ``fcnn.explain.backward``, on ``fcnn.reference``);
- :func:`fcnn.explain.source.from_config` and :func:`fcnn.explain.source.from_run` find the
  step a run took: the first batch of an epoch, from recorded or retrained parameters;
- :func:`render` writes the entries as text, Markdown or LaTeX (``fcnn.explain.render``);
- ``fcnn.explain.command`` is the CLI command.
"""

from __future__ import annotations

from .backward import backward_entries, update_entries
from .ledger import (
    Check,
    Entry,
    Problem,
    Value,
    forward_entries,
    loss_entries,
    seed000_output_gradient,
)
from .render import FORMATS, render


def ledger(problem: Problem, *, seed000: bool = False, rule: str = "") -> list[Entry]:
    """Every entry of the step ``problem``: Alg. 1 lines 6-13, Alg. 2 lines 1-11, the update.
    ``seed000`` adds seed 000's own gradient beside each check; ``rule`` notes an optimiser
    whose update is not plain gradient descent."""
    forward, a, h = forward_entries(problem)
    backward, dW, db = backward_entries(problem, a, h, seed000)
    return forward + loss_entries(problem, a[-1]) + backward + update_entries(problem, dW, db, rule)


__all__ = [
    "FORMATS",
    "Check",
    "Entry",
    "Problem",
    "Value",
    "ledger",
    "render",
    "seed000_output_gradient",
]
