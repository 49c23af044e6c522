"""fcnn.plots: every figure has a title, axis labels and (for several series) a legend; the
parameter panels show the recorded values; files are valid PNGs written atomically."""

from __future__ import annotations

import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure

import fcnn
from fcnn import plots
from fcnn.history import History

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.slow  # every test here draws figures


@pytest.fixture(scope="module")
def run():
    """Seed 000's setup: the 2-2-2 tanh/softmax network with loss MSE + CE on two Gaussians."""
    X, y = fcnn.datasets.gaussians()
    net = fcnn.Network([2, 2, 2], loss="mse+ce", seed=10)
    history = net.fit(X, y, epochs=60, lr=0.5, record_params=True, val_split=0.2)
    return net, history, X, y


@pytest.fixture(scope="module")
def big_run():
    X, y = fcnn.datasets.gaussians(n_samples=60)
    net = fcnn.Network([2, 16, 16, 2], seed=0)
    history = net.fit(X, y, epochs=5, lr=0.1, record_params=True)
    return net, history


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None, f"axes {ax.get_title()!r} has no legend"
    return [t.get_text() for t in legend.get_texts()]


def assert_labelled(ax) -> None:
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_plots_module_draws_without_pyplot():
    # Headless and thread-safe: the module never touches pyplot's global figure manager.
    code = "import sys, fcnn.plots; sys.exit('matplotlib.pyplot' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_scatter_has_title_labels_and_a_legend_with_the_class_names(run):
    _, _, X, y = run
    fig = plots.scatter(X, y, classes=["left", "right"])
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert_labelled(ax)
    assert legend_texts(ax) == ["left", "right"]
    # one point collection per class, holding exactly that class's rows
    offsets = [c.get_offsets() for c in ax.collections]
    assert [len(o) for o in offsets] == [int((y == 0).sum()), int((y == 1).sum())]
    np.testing.assert_allclose(offsets[1], X[y == 1])


def test_scatter_takes_one_hot_targets_and_draws_into_a_given_axes(run):
    _, _, X, y = run
    host = Figure()
    ax = host.add_subplot()
    fig = plots.scatter(X, np.eye(2)[y], ax=ax, title="mine")
    assert fig is host and ax.get_title() == "mine"
    assert legend_texts(ax) == ["class 0", "class 1"]


def test_scatter_refuses_data_that_is_not_2d(run):
    with pytest.raises(ValueError, match=r"\(n_samples, 2\)"):
        plots.scatter(np.zeros((5, 3)), np.zeros(5, int))


def test_loss_curve_shows_the_parts_and_the_validation_loss(run):
    _, history, _, _ = run
    fig = plots.loss_curve(history)
    ax, parts = fig.axes  # the parts in a panel of their own: none hides under the total
    assert_labelled(ax)
    assert ax.get_xlabel() == "epoch"
    assert legend_texts(ax) == ["training", "validation"]
    names = ["mse (training)", "ce (training)", "mse (validation)", "ce (validation)"]
    assert legend_texts(parts) == names
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), history.loss_per_sample)
    np.testing.assert_allclose(parts.get_lines()[0].get_ydata(), history.parts_per_sample["mse"])


def test_loss_curve_picks_a_log_scale_when_the_values_span_more_than_two_decades(run):
    _, history, _, _ = run
    values = np.concatenate([history.loss, *history.parts.values(), history.val_loss])
    assert values.max() / values.min() > 100  # the mse part falls far below the total
    assert plots.loss_curve(history).axes[1].get_yscale() == "log"  # the parts' panel
    assert plots.loss_curve(history, log=False).axes[0].get_yscale() == "linear"
    flat = History(epoch=[1, 2, 3], loss=[1.0, 0.8, 0.7])
    ax = plots.loss_curve(flat).axes[0]
    assert ax.get_yscale() == "linear"
    assert ax.get_legend() is None  # a single series needs no legend


def test_a_diverging_loss_curve_draws_without_overflow(tmp_path):
    # a diverged run's loss reaches 1e300: matplotlib's log autoscaling and ticks overflowed
    h = History(epoch=[1, 2, 3, 4], loss=[0.7, 3.0, 1e150, 1e305])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow warnings inside matplotlib among them
        fig = plots.loss_curve(h)
        fig.savefig(tmp_path / "diverged.png")
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert ax.get_yscale() == "log" and 0 < low < 0.7 and 1e150 < high < 1e251


def test_loss_curve_per_step_draws_one_point_per_update(run):
    _, history, _, _ = run
    ax = plots.loss_curve(history, per_step=True).axes[0]
    assert "iteration" in ax.get_xlabel() and "iteration" in ax.get_title()
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), history.step_loss)
    assert legend_texts(ax) == ["training (per update)", "validation"]


def test_loss_curve_marks_an_early_best_epoch():
    h = History(epoch=[1, 2, 3, 4], loss=[1.0, 0.5, 0.4, 0.39], val_loss=[1.0, 0.6, 0.7, 0.8])
    h.best_epoch, h.restored_best = 2, True  # the line marks the epoch the model holds
    assert "saved model (epoch 2)" in legend_texts(plots.loss_curve(h).axes[0])


def test_one_epoch_is_ticked_as_epoch_1_not_in_fractions():
    # a run that diverges in its second epoch draws one point; the axis was ticked
    # 0.945, 0.960, ... 1.050
    h = History(epoch=[1], loss=[0.8], parts={"mse": [0.1], "ce": [0.7]})
    for ax in plots.loss_curve(h).axes:
        lo, hi = ax.get_xlim()
        assert [t for t in ax.get_xticks() if lo <= t <= hi] == [1]


def test_loss_curve_refuses_an_empty_history():
    with pytest.raises(ValueError, match="empty"):
        plots.loss_curve(History())


def test_accuracy_curve_has_train_and_validation_series(run):
    _, history, _, _ = run
    (ax,) = plots.accuracy_curve(history).axes
    assert_labelled(ax)
    assert legend_texts(ax) == ["training", "validation"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), history.val_accuracy)


def test_accuracy_curve_refuses_a_history_without_accuracy():
    with pytest.raises(ValueError, match="no accuracy"):
        plots.accuracy_curve(History(epoch=[1], loss=[0.3]))


def test_parameter_trajectories_draw_the_12_parameters_of_the_2_2_2_net(run):
    net, history, _, _ = run
    fig = plots.parameter_trajectories(history, net)
    assert fig.get_suptitle()
    axes = [ax for ax in fig.axes if ax.get_visible()]
    titles = [ax.get_title() for ax in axes]
    expected = [f"W1[{i},{j}]" for i in range(2) for j in range(2)] + ["b1[0]", "b1[1]"]
    expected += [f"W2[{i},{j}]" for i in range(2) for j in range(2)] + ["b2[0]", "b2[1]"]
    assert titles == expected
    # Values read straight from the flat snapshots: layer k's block is [W | b] of shape
    # (2, 3) row-major, so W1[0,1] is entry 1, b1[1] entry 5, W2[1,0] entry 6+3 = 9.
    P = np.stack(history.params)
    for name, col in [("W1[0,1]", 1), ("b1[1]", 5), ("W2[1,0]", 9), ("b2[1]", 11)]:
        line = axes[titles.index(name)].get_lines()[0]
        np.testing.assert_allclose(line.get_ydata(), P[:, col])
        np.testing.assert_array_equal(line.get_xdata(), np.arange(len(P)))  # 0 = initial
    assert all(ax.get_xlabel() == "iteration" for ax in axes[-4:])
    assert all(axes[i].get_ylabel() == "value" for i in (0, 4, 8))


def test_parameter_panels_show_x_tick_labels_only_on_the_lowest_panel_of_each_column():
    X, y = fcnn.datasets.gaussians(n_samples=40)
    net = fcnn.Network([2, 3, 2], seed=3)  # 17 panels: 6 columns, the last row holds 5
    history = net.fit(X, y, epochs=3, lr=0.5, record_params=True)
    axes = [ax for ax in plots.parameter_trajectories(history, net).axes if ax.get_visible()]
    labelled = [i for i, ax in enumerate(axes) if ax.xaxis.get_tick_params()["labelbottom"]]
    assert labelled == [11, 12, 13, 14, 15, 16]  # the 12th, W2[0,2], stands above an empty slot
    assert [i for i, ax in enumerate(axes) if ax.get_xlabel() == "iteration"] == labelled


def test_parameter_panels_of_a_parameter_that_barely_moves_show_its_change_without_offset(run):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    # seed 000's rate: the values change in their 6th digit; an offset text ("1e-6+1.1033")
    # would be misread or missed: each panel draws the change, its scale in the y label
    X, y = fcnn.datasets.gaussians()
    net = fcnn.Network([2, 2, 2], loss="mse+ce", seed=10, init="normal")
    slow = net.fit(X, y, epochs=50, lr=1e-6, record_params=True, optimizer="gd")
    net0, history, _, _ = run
    for h, n, change in ((slow, net, True), (history, net0, False)):
        fig = plots.parameter_trajectories(h, n)
        FigureCanvasAgg(fig).draw()
        for i, ax in enumerate(fig.axes):
            assert ax.yaxis.get_offset_text().get_text() == ""
            assert ax.title.get_position()[1] == 1.0  # right above the axes
            if change:
                assert " from " in ax.get_title() and ax.get_ylabel().startswith("change (×1e")
                assert ax.get_lines()[0].get_ydata()[0] == 0.0
            elif i % 4 == 0:
                assert ax.get_ylabel() == "value"


def test_parameter_trajectories_select_by_name_and_by_tensor(run):
    net, history, _, _ = run
    fig = plots.parameter_trajectories(history, net, select=["W1[0,1]", "b2[0]"])
    assert [ax.get_title() for ax in fig.axes] == ["W1[0,1]", "b2[0]"]
    fig = plots.parameter_trajectories(history, net, select="W2")
    assert [ax.get_title() for ax in fig.axes] == ["W2[0,0]", "W2[0,1]", "W2[1,0]", "W2[1,1]"]


@pytest.mark.parametrize("bad", ["W3", "W1[2,0]", "b1[0,0]", "x1", "W0"])
def test_parameter_trajectories_refuse_unknown_names(run, bad):
    net, history, _, _ = run
    with pytest.raises(ValueError, match="cannot select|is outside"):
        plots.parameter_trajectories(history, net, select=[bad])


def test_parameter_trajectories_need_recorded_parameters(run):
    net, _, X, y = run
    history = net.copy().fit(X, y, epochs=2)
    with pytest.raises(ValueError, match="record_params=True"):
        plots.parameter_trajectories(history, net)


def test_parameter_trajectories_summarise_a_big_network_as_layer_norms(big_run):
    net, history = big_run
    assert net.n_params > 64
    fig = plots.parameter_trajectories(history, net)
    axW, axb = fig.axes
    for ax in (axW, axb):
        assert_labelled(ax)
        assert len(ax.get_lines()) == 3  # one line per layer
        assert len(legend_texts(ax)) == 3
    # layer 1's block [W | b] is (16, 3): 48 entries; layer 2's block (16, 17) follows
    W2 = np.stack(history.params)[:, 48 : 48 + 16 * 17].reshape(-1, 16, 17)[:, :, :-1]
    np.testing.assert_allclose(axW.get_lines()[1].get_ydata(), np.linalg.norm(W2, axis=(1, 2)))


def test_parameter_trajectories_of_a_big_network_still_honour_select(big_run):
    net, history = big_run
    fig = plots.parameter_trajectories(history, net, select=["W2[3,4]", "b3"])
    assert [ax.get_title() for ax in fig.axes] == ["W2[3,4]", "b3[0]", "b3[1]"]
    with pytest.raises(ValueError, match="max_panels"):
        plots.parameter_trajectories(history, net, select="W2")  # 256 panels


def test_decision_boundary_has_labels_legend_and_a_colorbar(run):
    net, _, X, y = run
    fig = plots.decision_boundary(net, X, y, classes=["A", "B"], resolution=50)
    ax, colorbar = fig.axes
    assert_labelled(ax)
    assert legend_texts(ax) == ["A", "B", "P = 0.5"]
    assert colorbar.get_ylabel() == "P(B)"


def test_decision_boundary_refuses_a_network_with_3_inputs():
    net = fcnn.Network([3, 4, 2], seed=0)
    with pytest.raises(ValueError, match="2 inputs"):
        plots.decision_boundary(net, np.zeros((4, 3)), np.zeros(4, int))


def test_decision_boundary_refuses_a_regression_network():
    net = fcnn.Network([2, 3, 1], output="identity", loss="mse", seed=0)
    with pytest.raises(ValueError, match="classifier"):
        plots.decision_boundary(net, np.zeros((4, 2)), np.zeros(4))


def test_decision_boundary_standardises_the_grid_with_the_networks_statistics():
    # Data far from the origin, a network trained on its standardised copy: the P = 0.5 line
    # crosses the raw-unit grid only if the grid goes through net.standardize first.
    X, y = fcnn.datasets.gaussians(n_samples=80)
    X = 50 * X + 1000
    net = fcnn.Network([2, 3, 2], seed=1)
    net.feature_mean, net.feature_scale = X.mean(axis=0), X.std(axis=0)
    net.fit(net.standardize(X), y, epochs=100, lr=0.5)
    ax = plots.decision_boundary(net, X, y, resolution=60).axes[0]
    (line,) = [c for c in ax.collections if isinstance(c, ContourSet) and list(c.levels) == [0.5]]
    vertices = np.concatenate([p.vertices for p in line.get_paths()])
    assert len(vertices) > 10
    assert np.all((vertices >= X.min(axis=0) - 300) & (vertices <= X.max(axis=0) + 300))


def test_decision_boundary_with_three_classes_fills_the_argmax_class():
    X, y = fcnn.datasets.gaussians(n_samples=90, means=[(0, 3), (-3, -2), (3, -2)])
    net = fcnn.Network([2, 4, 3], seed=0)
    net.fit(X, y, epochs=50, lr=0.5)
    ax = plots.decision_boundary(net, X, y, resolution=40).axes[0]
    assert legend_texts(ax) == ["class 0", "class 1", "class 2", "boundary"]


def test_confusion_matrix_writes_every_count(run):
    cm = np.array([[50, 2], [3, 45]])
    (ax, _) = plots.confusion_matrix(cm, ["A", "B"]).axes
    assert_labelled(ax)
    assert sorted(t.get_text() for t in ax.texts) == ["2", "3", "45", "50"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B"]
    with pytest.raises(ValueError, match="square"):
        plots.confusion_matrix(np.zeros((2, 3)), ["A", "B"])


def read_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert 5_000 < len(data) < 2_000_000, f"{path.name}: {len(data)} bytes"
    return data


def test_save_writes_a_png_atomically(run, tmp_path):
    net, history, _, _ = run
    fig = plots.parameter_trajectories(history, net)
    path = plots.save(fig, tmp_path / "p.png", dpi=80)
    read_png(path)
    assert [p.name for p in tmp_path.iterdir()] == ["p.png"]  # no temporary file left behind
    Image = pytest.importorskip("PIL.Image")
    with Image.open(path) as im:
        assert im.format == "PNG"
        w, h = fig.get_size_inches() * 80
        assert abs(im.size[0] - w) <= 2 and abs(im.size[1] - h) <= 2


def test_save_without_a_suffix_writes_png(run, tmp_path):
    _, _, X, y = run
    read_png(plots.save(plots.scatter(X, y), tmp_path / "data"))


def test_save_all_writes_the_standard_figures_of_a_run(run, tmp_path):
    net, history, X, y = run
    paths = plots.save_all(tmp_path / "run", history, net, X, y, classes=["A", "B"])
    names = ["data.png", "loss.png", "accuracy.png", "parameters.png", "decision_boundary.png"]
    assert [p.name for p in paths] == [*names, "boundary.gif"]
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted([*names, "boundary.gif"])
    for p in paths[:-1]:
        read_png(p)


def test_save_all_for_a_regression_on_3_inputs_writes_only_the_loss(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    net = fcnn.Network([3, 4, 1], output="identity", loss="mse", seed=0)
    history = net.fit(X, y, epochs=5, lr=0.05)
    names = [p.name for p in plots.save_all(tmp_path, history, net, X, y)]
    assert names == ["loss.png", "predictions.png"]


def test_figures_can_be_drawn_and_saved_from_threads_at_once(run, tmp_path):
    net, history, X, y = run

    def job(i):
        return [
            plots.save(plots.loss_curve(history), tmp_path / f"loss{i}.png"),
            plots.save(plots.decision_boundary(net, X, y, resolution=60), tmp_path / f"db{i}.png"),
        ]

    with ThreadPoolExecutor(4) as pool:
        paths = [p for job_paths in pool.map(job, range(4)) for p in job_paths]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
    for p in paths:
        read_png(p)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda X, y: plots.scatter(X, y * 10**9), "class labels must be 0..999"),
        (lambda X, y: plots.scatter(X, None), "y must be numeric class labels"),
        (
            lambda X, y: plots.scatter(np.where(np.arange(len(X))[:, None] == 3, np.nan, X), y),
            "row 3, column 0",
        ),
        (
            lambda X, y: plots.scatter(X, np.where(np.arange(len(y)) == 2, np.nan, y)),
            "y contains NaN",
        ),
        (lambda X, y: plots.scatter(X[:0], y[:0]), "n_samples >= 1"),
        (
            lambda X, y: plots.decision_boundary(fcnn.Network([2, 2, 2]), X, y * 2),
            "label 2 but the network has 2 classes",
        ),
        (
            lambda X, y: plots.decision_boundary(fcnn.Network([2, 2, 2]), X, y, resolution=2.5),
            "resolution must be an integer",
        ),
        (lambda X, y: plots.decision_boundary("net", X, y), "net must be an fcnn.Network"),
        (lambda X, y: plots.confusion_matrix(np.array([[1, -1], [0, 2]])), "finite counts >= 0"),
    ],
)
def test_bad_plot_inputs_raise_value_error_naming_them(call, match):
    X, y = fcnn.datasets.gaussians(seed=10)
    with pytest.raises(ValueError, match=match):
        call(X, y)


def test_class_names_with_dollar_signs_are_drawn_as_written(tmp_path):
    X, y = fcnn.datasets.gaussians(seed=10)
    fig = plots.scatter(X, y, classes=[r"$\foo$", "$10-$20"])
    fig.savefig(tmp_path / "f.png")  # mathtext would fail on \foo
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts == [r"\$\foo\$", r"\$10-\$20"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"select": 5}, "select must be a name"),
        ({"max_panels": "x"}, "max_panels must be a positive integer"),
        ({"max_panels": 0}, "max_panels must be a positive integer"),
    ],
)
def test_parameter_trajectory_options_are_checked(kwargs, match):
    X, y = fcnn.datasets.gaussians(seed=10)
    net = fcnn.Network([2, 2, 2], seed=0)
    h = net.fit(X, y, epochs=3, record_params=True)
    with pytest.raises(ValueError, match=match):
        plots.parameter_trajectories(h, net, **kwargs)


def test_many_classes_get_their_legend_beside_the_axes_or_none():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2))
    few, some, many = (plots.scatter(X, np.arange(600) % k).axes[0] for k in (3, 20, 150))
    assert len(few.get_legend().get_texts()) == 3
    assert len(some.get_legend().get_texts()) == 20  # beside the axes, in small type
    assert many.get_legend() is None  # 150 entries would cover the data


def test_parameter_trajectories_refuse_a_network_of_other_sizes_with_as_many_parameters():
    X, y = fcnn.datasets.gaussians(seed=10)
    h = fcnn.Network([2, 2, 2], seed=0).fit(X, y, epochs=3, record_params=True)
    other = fcnn.Network([5, 2], seed=0)  # 12 parameters too
    with pytest.raises(ValueError, match="recorded from a 2-2-2 network"):
        plots.parameter_trajectories(h, other)
