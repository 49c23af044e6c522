"""Every figure of a run says what is so (issue 15, "Figures that mislead"): no offset text on
any axis, no legend box over a plotted point, per-sample losses, the saved-model line only
when the model is that epoch's, log x above 2,000 epochs, the columns' names on the axes,
held-out rows marked, smooth multi-class boundaries, regression figures."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.contour import ContourSet

from fcnn import History, Network, cli, plots
from fcnn.runs import config, data
from fcnn.runs.measures import held_out

ROOT = Path(__file__).resolve().parents[1]


def _csv(path: Path, header: str, rows: np.ndarray) -> Path:
    np.savetxt(path, rows, delimiter=",", header=header, comments="", fmt="%.6f")
    return path


def _train(out: Path, *argv: str) -> Path:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["train", *argv, "--out", str(out), "--no-progress"]) == 0
    return out


@pytest.fixture(scope="module")
def figure_runs(tmp_path_factory) -> dict[str, Path]:
    """The runs the issue names: the default one, seed000, seed002, a regression (one input and
    two), a 16-16 moons run, and one over more than 2,000 epochs."""
    tmp = tmp_path_factory.mktemp("figures")
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, 150)
    sine = _csv(tmp / "sine.csv", "x,y", np.c_[x, np.sin(x) + 0.1 * rng.normal(size=150)])
    X2 = rng.uniform(-2, 2, (150, 2))
    named = _csv(tmp / "people.csv", "weight,height,score", np.c_[X2, X2[:, 0] ** 2 - X2[:, 1]])
    labelled = _csv(tmp / "labelled.csv", "weight,height,kind", np.c_[X2, X2[:, 0] > X2[:, 1]])
    regression = ["--output", "identity", "--loss", "mse", "--val-split", "0.2"]
    return {
        "default": _train(tmp / "default"),
        "seed000": _train(tmp / "seed000", "--config", str(ROOT / "examples/seed000.toml")),
        "seed002": _train(
            tmp / "seed002", "--config", str(ROOT / "examples/seed002.toml"), "--epochs", "100"
        ),
        "regression": _train(
            tmp / "regression", "--data", str(sine), "--layers", "1,8,1", *regression
        ),
        "regression2": _train(
            tmp / "regression2", "--data", str(named), "--layers", "2,8,1", *regression
        ),
        "named": _train(tmp / "named", "--data", str(labelled), "--val-split", "0.2"),
        "moons": _train(
            tmp / "moons", "--dataset", "moons", "--layers", "2,16,16,2", "--val-split", "0.2"
        ),
        "long": _train(tmp / "long", "--epochs", "2500", "--val-split", "0.2"),
    }


def _figures(run: Path):
    """Every figure of ``run`` drawn again as the run drew it (fcnn.plots.save_all's jobs)."""
    cfg, ds = data.prepare(config.resolve(run / "config.toml"))
    net = __import__("fcnn").load(run / "model.safetensors")
    history = _history(run, cfg, ds, net)
    rows = held_out(len(ds.X), cfg["data"]["val_split"], cfg["training"]["seed"])
    names = {"feature_names": ds.feature_names}
    figs = {"loss": plots.loss_curve(history)}
    if history.accuracy:
        figs["accuracy"] = plots.accuracy_curve(history)
    if history.params:
        figs["parameters"] = plots.parameter_trajectories(history, net)
    if net.is_classifier and net.n_inputs == 2:
        figs["data"] = plots.scatter(ds.X, ds.y, ds.classes, held_out=rows, **names)
        figs["boundary"] = plots.decision_boundary(net, ds.X, ds.y, ds.classes, **names)
    if not net.is_classifier:
        figs["predictions"] = plots.predicted_vs_true(net, ds.X, ds.y, held_out=rows)
        if net.n_inputs == 1:
            figs["fit"] = plots.fit_curve(net, ds.X, ds.y, held_out=rows)
    for fig in figs.values():
        FigureCanvasAgg(fig).draw()
    return figs


_HISTORIES: dict[Path, History] = {}


def _history(run: Path, cfg, ds, net) -> History:
    """The run's history, trained again (the same config gives the same numbers)."""
    if run not in _HISTORIES:
        from fcnn.runs.start import build_trainer as _trainer

        trainer = _trainer(cfg, ds, [], progress=False)
        _HISTORIES[run] = trainer.run()
    return _HISTORIES[run]


RUNS = ["default", "seed000", "seed002", "regression", "regression2", "named", "moons", "long"]


@pytest.mark.slow
@pytest.mark.parametrize("name", RUNS)
def test_no_axis_of_any_figure_has_offset_text(figure_runs, name):
    for fig_name, fig in _figures(figure_runs[name]).items():
        for ax in fig.axes:
            for axis in (ax.xaxis, ax.yaxis):
                text = axis.get_offset_text().get_text()
                assert text == "", f"{name}/{fig_name}: {ax.get_title()!r} shows {text!r}"


def _points_in_display(ax) -> np.ndarray:
    pts = [ax.transData.transform(np.column_stack(line.get_data())) for line in ax.get_lines()]
    pts += [c.get_offset_transform().transform(c.get_offsets()) for c in ax.collections]
    pts = [p for p in pts if len(p)]
    return np.concatenate(pts) if pts else np.zeros((0, 2))


@pytest.mark.slow
@pytest.mark.parametrize("name", RUNS)
def test_no_legend_box_lies_over_a_plotted_point(figure_runs, name):
    for fig_name, fig in _figures(figure_runs[name]).items():
        renderer = fig.canvas.get_renderer()
        legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
        for legend in legends:
            box = legend.get_window_extent(renderer)
            for ax in fig.axes:
                inside = [box.contains(x, y) for x, y in _points_in_display(ax)]
                assert not any(inside), f"{name}/{fig_name}: legend over {sum(inside)} points"


@pytest.mark.slow
def test_loss_figure_draws_per_sample_losses_and_says_so(figure_runs):
    fig = _figures(figure_runs["seed002"])["loss"]
    ax = fig.axes[0]
    assert "per sample" in ax.get_ylabel()
    history = _HISTORIES[figure_runs["seed002"]]
    lines = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    assert np.allclose(lines["training"], history.loss_per_sample)
    assert np.allclose(lines["validation"], history.val_loss_per_sample)


@pytest.mark.slow
def test_parts_get_their_own_panel_so_a_part_equal_to_the_total_stays_visible(figure_runs):
    fig = _figures(figure_runs["default"])["loss"]
    total, parts = fig.axes[0], fig.axes[1]
    assert {line.get_label() for line in total.get_lines()} == {"training"}
    assert {"mse (training)", "ce (training)"} <= {line.get_label() for line in parts.get_lines()}


def test_saved_model_line_only_when_the_model_is_that_epochs():
    h = History(epoch=[1, 2, 3], loss=[3.0, 1.0, 2.0], loss_per_sample=[3.0, 1.0, 2.0])
    h.best_epoch = 2
    assert not [x for x in plots.loss_curve(h).axes[0].get_lines() if "saved" in x.get_label()]
    h.restored_best = True
    labels = [x.get_label() for x in plots.loss_curve(h).axes[0].get_lines()]
    assert "saved model (epoch 2)" in labels


def test_curves_over_more_than_2000_epochs_have_a_log_x_axis():
    n = 2001
    values = list(np.linspace(2, 1, n))
    h = History(epoch=list(range(1, n + 1)), loss=values, loss_per_sample=values)
    h.accuracy = list(np.linspace(0.5, 1, n))
    assert plots.loss_curve(h).axes[0].get_xscale() == "log"
    assert plots.accuracy_curve(h).axes[0].get_xscale() == "log"
    short = History(epoch=[1, 2], loss=[2.0, 1.0], loss_per_sample=[2.0, 1.0])
    assert plots.loss_curve(short).axes[0].get_xscale() == "linear"


@pytest.mark.slow
def test_data_and_boundary_axes_use_the_csvs_column_names(figure_runs):
    figs = _figures(figure_runs["named"])
    for key in ("data", "boundary"):
        ax = figs[key].axes[0]
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("weight", "height")


@pytest.mark.slow
def test_data_figure_marks_the_held_out_rows(figure_runs):
    ax = _figures(figure_runs["named"])["data"].axes[0]
    assert "held out" in ax.get_legend_handles_labels()[1]
    hollow = sum(len(c.get_offsets()) for c in ax.collections if not c.get_facecolors().size)
    assert hollow == 30  # 0.2 of 150 rows


def test_multi_class_boundary_is_as_smooth_as_the_two_class_one():
    """The boundary lines are interpolated contours: no segment runs exactly along a grid
    line for the length of a cell, as the edges of an argmax image (a staircase) do."""
    from fcnn.data.datasets import spirals

    X, y = spirals(n_samples=150, seed=0)
    net = Network([2, 12, 3], activation="tanh", seed=1)
    net.fit(X, y, epochs=200, lr=0.5)
    fig = plots.decision_boundary(net, X, y, resolution=60)
    lines = [c for c in fig.axes[0].collections if isinstance(c, ContourSet) and not c.filled]
    segments = np.concatenate([np.diff(p.vertices, axis=0) for c in lines for p in c.get_paths()])
    segments = segments[np.abs(segments).sum(axis=1) > 0]
    axis_aligned = (np.abs(segments) < 1e-12).any(axis=1).mean()
    assert axis_aligned < 0.2


@pytest.mark.slow
def test_regression_runs_draw_predicted_against_true_and_the_fit(figure_runs):
    names = {p.name for p in figure_runs["regression"].iterdir()}
    assert {"predictions.png", "fit.png", "loss.png"} <= names
    names2 = {p.name for p in figure_runs["regression2"].iterdir()}
    assert "predictions.png" in names2 and "fit.png" not in names2


def test_parameter_trajectories_over_more_than_2000_iterations_have_a_log_x_axis():
    from fcnn.data.datasets import gaussians

    X, y = gaussians(n_samples=40, seed=0)
    net = Network([2, 2, 2], seed=0)
    history = net.fit(X, y, epochs=2001, lr=0.1, record_params=True)
    fig = plots.parameter_trajectories(history, net)
    assert all(ax.get_xscale() == "symlog" for ax in fig.axes)
    assert fig.axes[-1].get_xlabel() == "iteration (log scale)"
    assert fig.axes[0].get_xlim() == (0, 2001)
