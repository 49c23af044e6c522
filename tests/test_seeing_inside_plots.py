"""diagnostics.png and boundary.gif (fcnn.plots.diagnostics, fcnn.plots.animation)."""

import numpy as np
import pytest
from PIL import Image

import fcnn
from fcnn import datasets, plots
from fcnn.plots.animation import frame_indices


@pytest.fixture(scope="module")
def run():
    X, y = datasets.moons(200, seed=0)
    net = fcnn.Network([2, 8, 2], activation="relu", seed=0)
    h = net.fit(X, y, epochs=30, lr=0.5, batch_size=50, record_params=True, diagnostics=True)
    return net, h, X, y


def test_frame_indices_keep_the_first_and_last_snapshot_and_at_most_the_frames_asked():
    picks = frame_indices(121, 40)
    assert picks[0] == 0 and picks[-1] == 120 and len(picks) <= 40
    assert list(frame_indices(3, 40)) == [0, 1, 2]


def test_boundary_gif_has_a_frame_per_pick_and_ends_on_the_final_boundary(run, tmp_path):
    net, h, X, y = run
    path = plots.boundary_gif(tmp_path / "b.gif", h, net, X, y, frames=12)
    gif = Image.open(path)
    assert gif.format == "GIF" and gif.n_frames == 12
    first = np.asarray(gif.convert("RGB"))
    gif.seek(gif.n_frames - 1)
    last = np.asarray(gif.convert("RGB"))
    assert np.abs(first.astype(int) - last).sum() > 0  # the boundary moved


def test_boundary_gif_needs_recorded_parameters(tmp_path):
    X, y = datasets.moons(50, seed=0)
    net = fcnn.Network([2, 4, 2], seed=0)
    h = net.fit(X, y, epochs=2)
    with pytest.raises(ValueError, match="record_params=True"):
        plots.boundary_gif(tmp_path / "b.gif", h, net, X, y)


def test_diagnostics_panel_draws_a_line_per_layer_and_quantity(run):
    net, h, *_ = run
    fig = plots.diagnostics_panel(h)
    sat, act, grad, ratio = fig.axes[:4]
    assert len(sat.lines) == 1  # layer 1 dead (ReLU): no saturation line
    assert len(grad.lines) == 2 and len(ratio.lines) == 2
    np.testing.assert_allclose(
        ratio.lines[0].get_ydata(), h.diagnostics["layer1_update_ratio_log10"]
    )


def test_diagnostics_panel_draws_a_diverging_gradient_norm_without_overflow(run, tmp_path):
    import copy
    import warnings

    _, h, *_ = run
    h = copy.deepcopy(h)
    norms = h.diagnostics["layer1_grad_norm"]
    norms[-3:] = [1e100, 1e250, 1e306]  # a run diverging: its last gradients explode
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's log autoscaling overflowed here
        fig = plots.diagnostics_panel(h)
        fig.savefig(tmp_path / "diagnostics.png")
    grad = fig.axes[2]
    assert grad.get_yscale() == "log" and grad.get_ylim()[1] == 1e250  # capped


def test_diagnostics_panel_refuses_a_history_without_diagnostics():
    X, y = datasets.moons(50, seed=0)
    h = fcnn.Network([2, 4, 2], seed=0).fit(X, y, epochs=2)
    with pytest.raises(ValueError, match="diagnostics=True"):
        plots.diagnostics_panel(h)
