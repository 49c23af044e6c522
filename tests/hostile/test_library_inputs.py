"""Issue 14, item 11: bad library calls get a message naming the problem and the fix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fcnn


def test_a_bool_layer_width_is_refused():
    with pytest.raises(ValueError, match="positive integer layer widths"):
        fcnn.Network([2, True, 2])
    with pytest.raises(ValueError, match="positive integer layer widths"):
        fcnn.Network([2, np.True_, 2])


@pytest.mark.parametrize("activation", [None, {"a": 1}, ["tanh", 3], 7])
def test_an_activation_that_is_no_name_is_refused_by_name(activation):
    with pytest.raises(ValueError, match="activation must be a name such as 'tanh'"):
        fcnn.Network([2, 3, 2], activation=activation)


def test_uint64_labels_above_2_63_are_named_as_they_are():
    net = fcnn.Network([2, 3, 2], seed=0)
    y = np.array([2**63 + 5, 1], dtype=np.uint64)
    with pytest.raises(ValueError, match=f"label {2**63 + 5} is out of range"):
        net.loss(np.zeros((2, 2)), y)


def test_float_labels_of_1e20_are_named_without_overflow():
    net = fcnn.Network([2, 3, 2], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from a cast that overflows
        with pytest.raises(ValueError, match="label 1e\\+20 is out of range"):
            net.loss(np.zeros((2, 2)), np.array([1e20, 0.0]))


def test_pandas_nullable_int64_frames_are_numbers():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"a": pd.array([1, 2, 3], dtype="Int64"), "b": pd.array([4, 5, 6], "Int64")})
    y = pd.Series(pd.array([0, 1, 0], dtype="Int64"))
    net = fcnn.Network([2, 3, 2], seed=0)
    assert net.forward(X).shape == (3, 2)
    assert np.isfinite(net.loss(X, y))
    X.loc[1, "a"] = pd.NA
    with pytest.raises(ValueError, match="NaN"):
        net.forward(X)
