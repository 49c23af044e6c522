"""The sweep file: what it may say, the errors that name the key, and trials that are the same
every time the file is read (what a resumed sweep relies on)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fcnn.sweep import parse, trials
from fcnn.sweep.trials import points, training_seeds

BASE = {"data": {"dataset": "gaussians"}, "training": {"epochs": 5}}


def spec_of(sweep: dict, **base):
    return parse({**BASE, **base, "sweep": sweep})


def test_grid_gives_every_combination_with_the_last_key_fastest():
    spec = spec_of({"grid": {"training.lr": [0.1, 0.2], "network.activation": ["tanh", "relu"]}})
    got = [(t.point["training.lr"], t.point["network.activation"]) for t in trials(spec)]
    assert got == [(0.1, "tanh"), (0.1, "relu"), (0.2, "tanh"), (0.2, "relu")]
    assert [t.name for t in trials(spec)] == [f"trial-{i:04d}" for i in range(4)]
    assert trials(spec)[3].config["network"]["activation"] == "relu"


def test_unquoted_dotted_keys_nest_in_toml_and_are_read_as_the_same_key():
    spec = spec_of({"grid": {"training": {"lr": [0.1, 0.2]}}})
    assert spec.keys == ["training.lr"]


def test_seeds_repeat_each_point_with_the_same_training_seeds_and_a_fixed_data_seed():
    spec = spec_of({"grid": {"training.lr": [0.1, 0.2]}, "seeds": 3})
    ts = trials(spec)
    assert len(ts) == 6
    assert [t.seed for t in ts[:3]] == [t.seed for t in ts[3:]]
    assert len({t.seed for t in ts[:3]}) == 3
    expected = np.random.SeedSequence(0).spawn(2)[1].generate_state(3, dtype=np.uint32)
    assert [t.seed for t in ts[:3]] == [int(s) for s in expected]
    assert {str(t.config["data"]) for t in ts} == {str(ts[0].config["data"])}


def test_a_list_of_seeds_is_used_as_given_and_one_seed_keeps_the_configs_own():
    assert training_seeds(spec_of({"grid": {"training.lr": [0.1]}, "seeds": [4, 7]})) == [4, 7]
    spec = spec_of({"grid": {"training.lr": [0.1]}}, training={"seed": 42})
    assert [t.seed for t in trials(spec)] == [42]


def test_random_points_are_drawn_from_the_sweep_seed_alone_and_lie_in_their_ranges():
    sweep = {
        "random": {
            "n_trials": 50,
            "training.lr": {"log_uniform": [1e-4, 1e-1]},
            "training.l2": {"uniform": [0.0, 0.5]},
            "training.batch_size": {"int": [8, 12]},
            "network.activation": {"choice": ["tanh", "relu"]},
        },
        "seed": 7,
    }
    first, again = points(spec_of(sweep)), points(spec_of(sweep))
    assert first == again
    assert points(spec_of({**sweep, "seed": 8})) != first
    lrs = np.array([p["training.lr"] for p in first])
    assert ((lrs >= 1e-4) & (lrs <= 1e-1)).all()
    # log-uniform: about as many points in each decade
    assert all(8 <= ((lrs >= lo) & (lrs < lo * 10)).sum() <= 28 for lo in (1e-4, 1e-3, 1e-2))
    assert {p["training.batch_size"] for p in first} == {8, 9, 10, 11, 12}
    assert all(type(p["training.batch_size"]) is int for p in first)
    assert {p["network.activation"] for p in first} == {"tanh", "relu"}
    assert all(0.0 <= p["training.l2"] <= 0.5 for p in first)


def test_a_loss_part_is_a_metric_where_the_loss_has_that_part():
    spec = spec_of({"grid": {"training.lr": [0.1]}, "metric": "ce"})  # the default mse+ce
    assert (spec.metric, spec.mode) == ("ce", "min")
    assert spec_of({"grid": {"training.l2": [0.0, 0.1]}, "metric": "l2"}).metric == "l2"
    with pytest.raises(ValueError, match="a part of the loss 'mse\\+ce'"):
        spec_of({"grid": {"training.lr": [0.1]}, "metric": "mse"}, network={"loss": "mse"})


def test_metric_and_mode_default_from_the_validation_split():
    assert (spec_of({"grid": {"training.lr": [0.1]}}).metric, "min") == ("loss", "min")
    spec = spec_of({"grid": {"training.lr": [0.1]}}, data={"val_split": 0.2})
    assert (spec.metric, spec.mode) == ("val_loss", "min")
    assert spec_of({"grid": {"training.lr": [0.1]}, "metric": "accuracy"}).mode == "max"


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        ({"grid": {"training.lrr": [0.1]}}, "'training.lrr' is not a run config key; did you mean"),
        ({"grid": {"training.lr": 0.1}}, 'sweep.grid."training.lr" = 0.1; give a non-empty list'),
        ({"grid": {"training.lr": []}}, 'sweep.grid."training.lr" = []'),
        ({"grid": {"training.lr": [0.1, -1.0]}}, "the value -1.0 does not work: training.lr"),
        ({"grid": {"training.epochs": [2.5]}}, 'sweep.grid."training.epochs": the value 2.5'),
        ({"grid": {"data.options.nois": [0.1]}}, "data.options has 'nois'"),
        ({"random": {"n_trials": 3, "training.lr": {"log_normal": [1, 2]}}}, "not a distribution"),
        ({"random": {"n_trials": 3, "training.lr": {"log_uniform": [0, 1]}}}, "0 < low"),
        ({"random": {"n_trials": 3, "training.lr": {"uniform": [2, 1]}}}, "low > high"),
        ({"random": {"n_trials": 3, "training.epochs": {"int": [1.0, 5]}}}, "two integers"),
        ({"random": {"n_trials": 3, "network.init": {"choice": []}}}, "non-empty list"),
        ({"random": {"n_trials": 3, "network.init": {"choice": ["he", "bad"]}}}, "'bad'"),
        ({"random": {"n_trials": 0, "training.lr": {"uniform": [0.1, 1]}}}, "n_trials = 0"),
        ({"random": {"training.lr": {"uniform": [0.1, 1]}}}, "n_trials = None"),
        ({"grid": {"training.lr": [0.1]}, "random": {"n_trials": 1}}, "has both"),
        ({"metric": "loss"}, "has neither"),
        ({"grid": {"training.lr": [0.1]}, "metric": "acuracy"}, "did you mean 'accuracy'"),
        ({"grid": {"training.lr": [0.1]}, "metric": "val_accuracy"}, "needs validation data"),
        ({"grid": {"training.lr": [0.1]}, "mode": "maximum"}, "sweep.mode = 'maximum'"),
        (
            {"grid": {"training.lr": [0.1]}, "metric": "val_l2"},
            "sweep.metric = 'val_l2' is unknown",
        ),
        ({"grid": {"training.lr": [0.1]}, "metric": "l2"}, "but training.l2 = 0"),
        ({"grid": {"training.lr": [0.1]}, "seeds": 0}, "sweep.seeds = 0"),
        ({"grid": {"training.seed": [1, 2]}, "seeds": 2}, "training.seed is swept"),
        ({"grid": {"training.lr": [0.1]}, "seed": -1}, "sweep.seed = -1"),
        ({"grid": {"training.lr": [0.1]}, "checkpoint_secs": 1}, "unknown key 'checkpoint_secs'"),
        ({"grid": {"training.lr": [0.1]}, "checkpoint_seconds": -1}, "checkpoint_seconds = -1"),
        # each once ran for minutes, listing ten million trial configs, before anything
        (
            {
                "grid": {f"training.{k}": list(range(1, 101)) for k in ("epochs", "patience")}
                | {"training.batch_size": list(range(1, 11))},
                "seeds": 2,
            },
            "100,000 points x 2 seeds = 200,000 trials",
        ),
        (
            {"random": {"n_trials": 10**9, "training.lr": {"uniform": [0.1, 1]}}},
            "1,000,000,000 points x 1 seed = 1,000,000,000 trials, more than the 100,000",
        ),
    ],
)
def test_a_bad_sweep_table_is_refused_naming_the_key(sweep, message):
    with pytest.raises(ValueError) as err:
        spec_of(sweep)
    assert message in str(err.value)


def test_a_file_without_a_sweep_table_or_with_a_bad_run_config_is_refused_by_name():
    with pytest.raises(ValueError, match=r"no \[sweep\] table"):
        parse(BASE)
    with pytest.raises(ValueError, match="training.lr"):
        parse({"training": {"lr": -1}, "sweep": {"grid": {"training.l2": [0.0]}}})


def test_a_random_log_uniform_key_spans_its_range_in_log_space():
    spec = spec_of({"random": {"n_trials": 400, "training.lr": {"log_uniform": [1e-6, 1.0]}}})
    logs = np.log10([p["training.lr"] for p in points(spec)])
    assert math.isclose(np.median(logs), -3, abs_tol=0.5)
