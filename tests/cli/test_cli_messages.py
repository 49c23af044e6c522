"""What the ``fcnn`` command says is true and helpful: name suggestions whatever the case,
out-of-range column indices, config.toml arrays on one line (issue 15, "Messages")."""

from __future__ import annotations

import pytest
from cli_helpers import FAST, run, write_csv

from fcnn.runs import config


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--activation", "ReLU", "relu"),
        ("--optimizer", "Adam", "adam"),
        ("--loss", "MSE", "mse"),
        ("--output", "Softmax", "softmax"),
        ("--init", "Xavier", "xavier"),
        ("--schedule", "Constant", "constant"),
        ("--dataset", "Moons", "moons"),
        ("--reduction", "SUM", "sum"),
        ("--dtype", "Float32", "float32"),
    ],
)
def test_every_named_option_suggests_the_name_whatever_its_case(capsys, flag, value, expected):
    code, _, err = run(capsys, "train", flag, value, *FAST)
    assert code == 2
    assert f"did you mean {expected!r}" in err
    assert "lower case" in err


def test_a_misspelt_name_gets_the_closest_one():
    with pytest.raises(ValueError, match="did you mean 'relu'"):
        config.resolve(None, {"network": {"activation": "rellu"}})


def test_target_index_past_the_columns_is_out_of_range(tmp_path, capsys):
    data = write_csv(tmp_path / "t.csv", ["a", "b", "c"], [[1, 2, 0], [3, 4, 1], [5, 6, 0]])
    code, _, err = run(capsys, "train", "--data", data, "--target", "7", *FAST)
    assert code == 2
    assert "index 7 is out of range" in err
    assert "3 columns" in err


def test_config_toml_writes_short_arrays_on_one_line():
    cfg = config.resolve(
        None, {"network": {"layers": [2, 16, 16, 3], "activation": ["tanh", "relu"]}}
    )
    text = config.dump(cfg)
    assert "layers = [2, 16, 16, 3]\n" in text
    assert 'activation = ["tanh", "relu"]\n' in text
    assert config.validate(config.tomllib.loads(text)) == cfg


def test_gradcheck_of_a_float32_network_says_it_checks_a_float64_copy(capsys):
    code, stdout, _ = run(capsys, "gradcheck", "--dtype", "float32")
    assert code == 0
    assert "float64 copy of this float32 network" in stdout
