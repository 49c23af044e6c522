"""The decision boundary forming: an animation over the recorded parameters of a 2-input
classifier (``History.params``), written as a GIF by Pillow.

matplotlib draws the figure once: axes, ticks, labels and the data, over a transparent plot
area. Each frame is then that drawing laid over the frame's shading (the network's output on a
grid, coloured with a matplotlib colormap) with NumPy, and Pillow writes the frames. Drawing
every frame with matplotlib (``matplotlib.animation.PillowWriter``) gives the same picture but
took 3-6 s for 40 frames, most of it laying out the same tick labels again; this takes a
fraction of a second, which keeps ``fcnn train``'s default run quick.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, ListedColormap, Normalize
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont

from ..atomic import atomic_path
from ..history import History
from ..network import Network
from ._base import Array, _class_names, _color, _need_history, _points, _xy

#: how strongly the class colours tint the plane (as ``decision_boundary``'s alpha)
SHADE = 0.45


def frame_indices(n_snapshots: int, frames: int) -> Array:
    """At most ``frames`` snapshot indices spread evenly over ``0..n_snapshots - 1``, the
    first and the last always among them."""
    n = max(min(frames, n_snapshots), 1)
    return np.unique(np.linspace(0, n_snapshots - 1, n).round().astype(int))


def boundary_gif(
    path: str | os.PathLike[str],
    history: History,
    net: Network,
    X: Array,
    y: Array,
    classes: Sequence[Any] | None = None,
    *,
    frames: int = 40,
    resolution: int = 90,
    fps: int = 8,
    dpi: int = 70,
) -> Path:
    """Write ``path`` (a GIF): the network's prediction over the plane at ``frames`` moments
    of training, from ``history.params`` (``record_params=True``), with the data on top and
    the epoch in the corner; the first and last recorded parameters are always frames.

    ``X: (n_samples, 2)`` in raw units, as :func:`fcnn.plots.decision_boundary` takes it (grid
    points go through ``net.standardize``). Two classes shade ``P(class 1)`` from one class
    colour through white (the boundary, P = 0.5) to the other; more classes shade the argmax
    class. Returns the path."""
    _need_history(history)
    if not history.params:
        raise ValueError("no parameters were recorded; train with record_params=True")
    if net.n_inputs != 2 or not net.is_classifier:
        raise ValueError(f"boundary_gif draws classifiers with 2 inputs, not {net!r}")
    X, labels = _xy(X, y)
    k = 2 if net.n_outputs == 1 else net.n_outputs
    names = _class_names(classes if classes is not None else net.classes, k)
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.08 * np.maximum(hi - lo, 1e-9) + 0.25
    g1, g2 = (np.linspace(lo[i] - pad[i], hi[i] + pad[i], resolution) for i in range(2))
    grid = net.standardize(np.column_stack([a.ravel() for a in np.meshgrid(g1, g2)]))
    overlay, box = _overlay(X, labels, names, (g1[0], g1[-1]), (g2[0], g2[-1]), dpi)
    if k == 2:
        cmap = LinearSegmentedColormap.from_list("fcnn2", [_color(0), "white", _color(1)])
        norm = Normalize(0.0, 1.0)
    else:
        cmap, norm = ListedColormap([_color(c) for c in range(k)]), Normalize(-0.5, k - 0.5)
    shown = net.copy()
    picks = frame_indices(len(history.params), frames)
    per_epoch = (len(history.params) - 1) / max(len(history), 1)
    font = ImageFont.load_default(size=max(dpi // 6, 9))
    images = []
    for i in picks:
        shown.set_params(history.params[i])
        P = shown.forward(grid)
        z = (P.argmax(axis=1) if k > 2 else P[:, -1]).reshape(resolution, resolution)
        shade = 1 - SHADE + SHADE * cmap(norm(z))[::-1, :, :3]  # over white; rows top first
        frame = _compose(overlay, box, shade)
        epoch = f"epoch {i / per_epoch:.0f}" if per_epoch else "epoch 0"
        ImageDraw.Draw(frame).text((box[0] + 6, box[1] + 4), epoch, fill="black", font=font)
        images.append(frame)
    images = _paletted(images)
    path = Path(path)
    with atomic_path(path) as tmp:
        images[0].save(tmp, save_all=True, append_images=images[1:], duration=1000 // fps, loop=0)
    return path


def _paletted(frames: list[Image.Image]) -> list[Image.Image]:
    """The frames on one 256-colour palette, taken from the first and the last frame side by
    side (the shades in between are blends of theirs): one quantisation instead of one a
    frame."""
    first, last = frames[0], frames[-1]
    both = Image.new("RGB", (first.width * 2, first.height))
    both.paste(first, (0, 0))
    both.paste(last, (first.width, 0))
    palette = both.quantize(256, method=Image.Quantize.FASTOCTREE)
    return [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]


def _overlay(
    X: Array, labels: Array, names: list[str], xlim: tuple, ylim: tuple, dpi: int
) -> tuple[Array, tuple[int, int, int, int]]:
    """The figure without its shading: RGBA ``(H, W, 4)`` with a transparent plot area, and
    that area's pixel box ``(left, top, right, bottom)``."""
    fig = Figure(figsize=(4.6, 4.0), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    _points(ax, X, labels, names, edge="0.15")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title("Decision boundary over training")
    fig.patch.set_alpha(0.0)
    ax.patch.set_alpha(0.0)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba()).copy()
    bb = ax.get_window_extent()
    H = rgba.shape[0]
    box = (round(bb.x0), round(H - bb.y1), round(bb.x1), round(H - bb.y0))
    return rgba, box


def _compose(overlay: Array, box: tuple[int, int, int, int], shade: Array) -> Image.Image:
    """``overlay`` over a white image whose plot area shows ``shade`` (RGB in [0, 1])."""
    left, top, right, bottom = box
    tile = Image.fromarray((shade * 255).astype(np.uint8)).resize(
        (right - left, bottom - top), Image.Resampling.BILINEAR
    )
    base = Image.new("RGBA", (overlay.shape[1], overlay.shape[0]), "white")
    base.paste(tile, (left, top))
    return Image.alpha_composite(base, Image.fromarray(overlay, "RGBA")).convert("RGB")
