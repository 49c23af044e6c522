"""The training-health diagnostics per epoch (``History.diagnostics``, ``fcnn.diagnostics``):
saturated or dead units, activation mean and spread, gradient norms and the update:weight
ratio, one line per layer."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..history import History
from ._base import _color, _log_y, _need_history, _tidy

#: the update:weight ratio's healthy band, in log10 (around 10^-3)
HEALTHY_BAND = (-4.0, -2.0)


def _columns(history: History, quantity: str) -> list[tuple[int, list[float]]]:
    out = []
    for name, values in history.diagnostic_columns().items():
        head, _, rest = name.partition("_")
        if rest == quantity and head[5:].isdigit():
            out.append((int(head[5:]), values))
    return sorted(out)


def diagnostics_panel(history: History) -> Figure:
    """Four panels over the epochs: saturated (tanh, sigmoid) and dead (ReLU) fractions;
    activation mean ± std; gradient norm (log scale); log10 update:weight ratio with the
    healthy band around -3 shaded. Needs a history trained with ``diagnostics=True``."""
    _need_history(history)
    if not history.diagnostics:
        raise ValueError("the history has no diagnostics; train with diagnostics=True")
    epochs = np.asarray(history.epoch)
    # a fixed layout: constrained layout doubled the figure's drawing time
    fig = Figure(figsize=(10, 6.4))
    fig.subplots_adjust(left=0.07, right=0.8, bottom=0.08, top=0.9, wspace=0.25, hspace=0.25)
    axes = fig.subplots(2, 2, sharex=True)
    ax = axes[0, 0]
    for quantity, style in (("saturated", "-"), ("dead", "--")):
        for k, v in _columns(history, quantity):
            ax.plot(epochs, v, style, color=_color(k - 1), label=f"layer {k} {quantity}")
    ax.set_ylim(-0.03, 1.03)
    _tidy(ax, "Saturated / dead units", "", "fraction")
    ax = axes[0, 1]
    stds = dict(_columns(history, "act_std"))
    for k, mean in _columns(history, "act_mean"):
        m, s = np.asarray(mean), np.asarray(stds.get(k, np.zeros_like(mean)))
        ax.plot(epochs, m, color=_color(k - 1), label=f"layer {k}")
        ax.fill_between(epochs, m - s, m + s, color=_color(k - 1), alpha=0.15, linewidth=0)
    _tidy(ax, "Activations: mean ± std", "", "h")
    ax = axes[1, 0]
    norms = []
    for k, v in _columns(history, "grad_norm"):
        norms.append(np.maximum(v, 1e-300))
        ax.plot(epochs, norms[-1], color=_color(k - 1), label=f"layer {k}")
    _log_y(ax, np.concatenate(norms) if norms else np.zeros(0))
    _tidy(ax, "Gradient norm (mean over batches)", "epoch", "‖∇[W | b]‖")
    ax = axes[1, 1]
    ax.axhspan(*HEALTHY_BAND, color="0.85", zorder=0, label="healthy band")
    for k, v in _columns(history, "update_ratio_log10"):
        ax.plot(epochs, v, color=_color(k - 1), label=f"layer {k}")
    _tidy(ax, "Update : weight ratio", "epoch", "log10(‖Δθ‖ / ‖θ‖)")
    seen: dict[str, object] = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, handle)
        if len(epochs) > 2000:
            ax.set_xscale("log")
        if ax.get_yscale() == "linear":
            ax.ticklabel_format(axis="y", useOffset=False)
    # one legend for the four panels, beside them: it covers no curve
    fig.legend(list(seen.values()), list(seen), loc="upper left", bbox_to_anchor=(0.81, 0.9))
    fig.suptitle("Training health per layer")
    return fig
