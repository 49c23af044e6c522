"""Every figure fcnn draws; the only package that imports matplotlib.

The figures follow the seed course report (seed 000, sections 2 and 5): the data coloured by
class (Figure 1), the loss per iteration (Figure 2) and every weight and bias per iteration.

Only matplotlib's object-oriented API is used: each function builds a
:class:`matplotlib.figure.Figure` (or draws into the ``ax`` it is given) and returns it. Nothing
touches pyplot's global state, so the module is headless and safe to call from threads; a
figure is freed when it is no longer referenced. :func:`save` writes a figure atomically and
:func:`save_all` writes the standard set for a run folder.

One module a kind of figure, each name re-exported here (``fcnn.plots.loss_curve``):
``curves`` (loss, accuracy), ``classification`` (the data by class, the decision boundary, a
confusion matrix), ``parameters`` (every weight and bias per iteration), ``regression``
(predicted against true, the fit over x), ``diagnostics`` (the training-health panel),
``animation`` (``boundary.gif``) and ``files`` (``save``, ``save_all``); ``_base`` holds what
they share.
"""

from ._base import COLORS, MARKERS
from .animation import boundary_gif
from .classification import confusion_matrix, decision_boundary, scatter
from .curves import accuracy_curve, loss_curve
from .diagnostics import diagnostics_panel
from .files import save, save_all
from .parameters import parameter_trajectories
from .regression import fit_curve, predicted_vs_true

__all__ = [
    "COLORS",
    "MARKERS",
    "accuracy_curve",
    "boundary_gif",
    "confusion_matrix",
    "decision_boundary",
    "diagnostics_panel",
    "fit_curve",
    "loss_curve",
    "parameter_trajectories",
    "predicted_vs_true",
    "save",
    "save_all",
    "scatter",
]
