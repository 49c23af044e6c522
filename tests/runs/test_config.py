"""Tests for fcnn.config: resolution order, validation messages, the TOML round trip."""

from __future__ import annotations

import sys

import pytest

from fcnn.cli.flags import FLAGS
from fcnn.runs import config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_seed_000s_experiment():
    cfg = config.resolve()
    assert cfg["data"]["dataset"] == "gaussians" and cfg["data"]["file"] == ""
    assert cfg["network"]["layers"] == [2, 2, 2]
    assert (cfg["network"]["activation"], cfg["network"]["output"]) == ("tanh", "softmax")
    assert cfg["network"]["loss"] == "mse+ce"
    assert cfg["training"]["optimizer"] == "gd" and cfg["training"]["batch_size"] == 0
    assert cfg["training"]["seed"] == 10


def test_resolve_order_is_defaults_then_file_then_flags(tmp_path):
    path = _write(tmp_path / "c.toml", "[training]\nlr = 0.1\nepochs = 50\n")
    cfg = config.resolve(path, {"training": {"epochs": 7}})
    assert cfg["training"]["lr"] == 0.1  # from the file
    assert cfg["training"]["epochs"] == 7  # the flag wins over the file
    assert cfg["training"]["optimizer"] == "gd"  # the default fills the rest


def test_resolve_does_not_mutate_defaults():
    config.resolve(overrides={"network": {"layers": [2, 5, 2]}})
    assert config.DEFAULTS["network"]["layers"] == [2, 2, 2]


def test_merge_is_deep_and_copies():
    base = {"a": {"x": 1, "y": [1]}, "b": 2}
    out = config.merge(base, {"a": {"x": 3}})
    assert out == {"a": {"x": 3, "y": [1]}, "b": 2}
    out["a"]["y"].append(2)
    assert base["a"]["y"] == [1]


def test_dataset_flag_replaces_the_files_data_and_its_options(tmp_path):
    path = _write(
        tmp_path / "c.toml",
        '[data]\ndataset = "spirals"\nfile = "x.csv"\n[data.options]\nn_classes = 4\n',
    )
    cfg = config.resolve(path, {"data": {"dataset": "moons"}})
    assert cfg["data"]["dataset"] == "moons"
    assert cfg["data"]["file"] == ""
    assert cfg["data"]["options"] == {}


def test_dataset_flag_also_drops_the_files_target_column(tmp_path):
    # the target names a column of the file the flag replaces; a --target flag with
    # --dataset is still refused
    path = _write(tmp_path / "c.toml", '[data]\nfile = "iris.csv"\ntarget = "species"\n')
    cfg = config.resolve(path, {"data": {"dataset": "moons"}})
    assert (cfg["data"]["file"], cfg["data"]["target"]) == ("", "")
    with pytest.raises(ValueError, match="data.target = 'species' names a column"):
        config.resolve(path, {"data": {"dataset": "moons", "target": "species"}})


def test_same_dataset_flag_keeps_the_files_options(tmp_path):
    path = _write(tmp_path / "c.toml", '[data]\ndataset = "spirals"\n[data.options]\nnoise = 0.1\n')
    cfg = config.resolve(path, {"data": {"dataset": "spirals"}})
    assert cfg["data"]["options"] == {"noise": 0.1}


def test_int_is_accepted_for_a_float_key():
    cfg = config.resolve(overrides={"training": {"lr": 1}})
    assert cfg["training"]["lr"] == 1.0 and isinstance(cfg["training"]["lr"], float)


def test_activation_may_be_one_name_per_hidden_layer():
    cfg = config.resolve(
        overrides={"network": {"layers": [2, 4, 4, 2], "activation": ["tanh", "relu"]}}
    )
    assert cfg["network"]["activation"] == ["tanh", "relu"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"training": {"lr": -1.0}}, "training.lr = -1.0 is out of range; it must be a number > 0"),
        ({"training": {"lr": float("nan")}}, "expected a finite number"),
        ({"training": {"epochs": 0}}, "training.epochs = 0 is out of range"),
        ({"training": {"epochs": 2.5}}, "training.epochs = 2.5 has the wrong type"),
        ({"training": {"epochs": True}}, "expected an integer"),
        ({"training": {"batch_size": -1}}, "training.batch_size"),
        ({"data": {"val_split": 1.0}}, "a fraction in [0, 1)"),
        ({"training": {"lrr": 0.1}}, "unknown key 'lrr' in [training]; did you mean 'lr'?"),
        ({"trainin": {}}, "unknown section 'trainin' in the config; did you mean 'training'?"),
        ({"network": {"activation": "tahn"}}, "did you mean 'tanh'?"),
        ({"network": {"output": "softmaxx"}}, "network.output = 'softmaxx' is unknown"),
        ({"network": {"loss": "hinge"}}, "network.loss = 'hinge' is unknown"),
        ({"network": {"dtype": "float16"}}, "network.dtype = 'float16' is unknown"),
        ({"training": {"optimizer": "newton"}}, "training.optimizer = 'newton' is unknown"),
        ({"data": {"dataset": "mnist"}}, "data.dataset = 'mnist' is unknown"),
        ({"network": {"layers": [2]}}, "give at least two positive integer widths"),
        ({"network": {"layers": [2, 0, 2]}}, "give at least two positive integer widths"),
        ({"network": {"layers": [2, "auto", 2]}}, "the first and last may be 'auto'"),
        ({"network": {"layers": [2, 3, 3, 2], "activation": ["tanh"]}}, "1 names for 2 hidden"),
        ({"network": {"loss": "cross_entropy", "output": "identity"}}, "probability output"),
        ({"data": {"options": {"nosie": 0.1}}}, "dataset 'gaussians' does not take"),
        ({"data": {"options": 3}}, "data.options must be a table"),
        ({"network": 3}, "[network] must be a table"),
    ],
)
def test_validate_names_the_key_and_the_fix(overrides, message):
    with pytest.raises(ValueError) as err:
        config.resolve(overrides=overrides)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_auto_layers_are_allowed_at_the_ends_and_filled_from_the_data():
    cfg = config.resolve(overrides={"network": {"layers": ["auto", 8, "auto"]}})
    assert cfg["network"]["layers"] == ["auto", 8, "auto"]  # validation keeps "auto" at the ends
    filled = config.fill_layers(cfg, n_features=4, n_outputs=3)
    assert filled["network"]["layers"] == [4, 8, 3]
    assert cfg["network"]["layers"] == ["auto", 8, "auto"]


def test_dataset_options_are_not_checked_when_a_file_is_given():
    cfg = config.resolve(overrides={"data": {"file": "x.csv", "options": {"anything": 1}}})
    assert cfg["data"]["options"] == {"anything": 1}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"dataset": "moons", "options": {"noise": "a"}}, "data.options.noise must be a finite"),
        ({"dataset": "spirals", "options": {"turns": "x"}}, "data.options.turns must be a finite"),
        ({"options": {"seed": "x"}}, "data.options.seed must be an integer >= 0"),
        ({"options": {"seed": -3}}, "data.options.seed must be an integer >= 0"),
        ({"options": {"covs": "x"}}, "data.options.covs must be numbers"),
        ({"options": {"means": [[1, 2], [3]]}}, "data.options.means must be a (k, d) array"),
        ({"options": {"n_samples": 2**63 - 1}}, "data.options.n_samples must be an integer"),
    ],
)
def test_wrong_dataset_option_values_name_the_option_key(data, message):
    with pytest.raises(ValueError) as err:
        config.resolve(overrides={"data": data})
    assert str(err.value).startswith(message)


def test_config_file_with_a_utf8_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "c.toml"
    path.write_bytes("\ufeff[training]\nepochs = 7\n".encode())
    assert config.resolve(path)["training"]["epochs"] == 7


def test_a_folder_given_as_config_says_it_is_a_folder(tmp_path):
    with pytest.raises(ValueError, match="is a folder, not a config file"):
        config.load_toml(tmp_path)


def test_load_toml_errors_name_the_file(tmp_path):
    with pytest.raises(ValueError, match="no such config file"):
        config.load_toml(tmp_path / "missing.toml")
    bad = _write(tmp_path / "bad.toml", "[training\nlr = 1\n")
    with pytest.raises(ValueError, match="bad.toml is not valid TOML"):
        config.load_toml(bad)


def test_dump_round_trips_through_toml():
    cfg = config.resolve(
        overrides={
            "network": {"layers": [2, 16, 3], "activation": "relu", "loss": "cross_entropy"},
            "data": {"dataset": "spirals", "options": {"n_samples": 90, "noise": 0.2}},
            "training": {"lr": 1e-6, "early_stopping": True},
        }
    )
    text = config.dump(cfg)
    assert text.startswith("#")
    assert config.validate(tomllib.loads(text)) == cfg


def test_dump_writes_nested_dataset_options():
    cfg = config.resolve(
        overrides={"data": {"options": {"means": [[0.0, 0.0], [2.0, 2.0]], "covs": 0.5}}}
    )
    assert tomllib.loads(config.dump(cfg))["data"]["options"]["means"] == [[0, 0], [2, 2]]


def test_network_kwargs_build_the_configured_network():
    from fcnn import Network

    cfg = config.resolve(overrides={"network": {"layers": [2, 5, 3], "init": "normal"}})
    net = Network(**config.network_kwargs(cfg))
    assert net.sizes == (2, 5, 3) and net.init == "normal" and net.seed == 10
    assert net.loss_name == "mse+ce"


def test_every_key_has_a_flag_and_every_flag_a_key():
    keys = {f"{s}.{k}" for s, section in config.DEFAULTS.items() for k in section}
    assert set(FLAGS) <= keys
    assert keys - set(FLAGS) == {"data.options", "training.record_params"}
