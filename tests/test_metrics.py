"""Tests for fcnn.metrics: each value is worked out by hand in the comments, and checked against
scikit-learn's metrics where scikit-learn is installed."""

from __future__ import annotations

import numpy as np
import pytest

from fcnn import metrics


def test_accuracy_counts_the_hits_over_the_samples():
    # hits at positions 0, 2 and 3 of 4
    assert metrics.accuracy([0, 1, 2, 1], [0, 2, 2, 1]) == 0.75
    assert metrics.accuracy(["a", "b"], ["a", "b"]) == 1.0


def test_confusion_matrix_puts_true_classes_in_rows_and_predictions_in_columns():
    y = [0, 0, 1, 1, 2]
    pred = [0, 1, 1, 1, 0]
    # class 0: one right, one taken for 1; class 1: both right; class 2: taken for 0
    expected = [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    counts = metrics.confusion_matrix(np.array(y), np.array(pred), 3)
    assert counts.shape == (3, 3) and counts.tolist() == expected
    assert np.trace(counts) == 3  # the hits


def test_confusion_matrix_has_a_row_and_column_for_classes_that_never_occur():
    counts = metrics.confusion_matrix(np.array([1, 1]), np.array([1, 0]), 4)
    assert counts.tolist() == [[0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]


def test_mse_is_the_mean_of_the_squared_errors():
    # errors 0, -1, 2: (0 + 1 + 4) / 3
    assert metrics.mse([1.0, 2.0, 3.0], [1.0, 1.0, 5.0]) == pytest.approx(5 / 3)
    # two outputs: errors 1, 0, 0, 3 over 4 entries: (1 + 9) / 4
    Y = np.array([[0.0, 1.0], [2.0, 3.0]])
    P = np.array([[1.0, 1.0], [2.0, 6.0]])
    assert metrics.mse(Y, P) == pytest.approx(2.5)


def test_r2_is_one_minus_the_residual_over_the_total_sum_of_squares():
    # mean 2: SS_tot = 1 + 0 + 1 = 2; SS_res = 0 + 1 + 4 = 5; 1 - 5/2
    assert metrics.r2([1.0, 2.0, 3.0], [1.0, 1.0, 5.0]) == pytest.approx(-1.5)
    assert metrics.r2([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 1.0


def test_r2_of_several_outputs_averages_the_per_output_scores():
    # output 0 is fitted exactly: 1. Output 1: targets 0, 0, 3 (mean 1, SS_tot = 1 + 1 + 4 =
    # 6), predictions 0, 1, 3 (SS_res = 1): 1 - 1/6. Average: (1 + 5/6) / 2 = 11/12.
    Y = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 3.0]])
    P = np.array([[1.0, 0.0], [2.0, 1.0], [3.0, 3.0]])
    assert metrics.r2(Y, P) == pytest.approx(11 / 12)


def test_r2_of_a_constant_target_divides_by_one():
    # SS_tot = 0: the score is 1 - SS_res, so 1 for an exact fit and 1 - 1 = 0 for SS_res = 1
    assert metrics.r2([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]) == 1.0
    assert metrics.r2([2.0, 2.0, 2.0], [2.0, 2.0, 3.0]) == 0.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: metrics.accuracy([0, 1], [0, 1, 1]), r"shapes \(2,\) and \(3,\)"),
        (lambda: metrics.accuracy([], []), "non-empty"),
        (lambda: metrics.accuracy([[0, 1]], [[0, 1]]), r"\(n_samples,\)"),
        (lambda: metrics.mse(np.zeros((2, 2)), np.zeros(2)), r"shapes \(2, 2\) and \(2,\)"),
        (lambda: metrics.r2(np.zeros((2, 2, 2)), np.zeros((2, 2, 2))), "n_outputs"),
        (lambda: metrics.confusion_matrix([0, 3], [0, 1], 3), r"y holds class indices 0\.\.3"),
        (lambda: metrics.confusion_matrix([0, 1], [-1, 1], 2), r"pred holds class indices"),
        (lambda: metrics.confusion_matrix([0.0, 1.0], [0, 1], 2), "integer class indices"),
    ],
)
def test_metrics_refuse_inputs_that_do_not_fit(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.fixture
def sample():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 4, size=200)
    pred = np.where(rng.random(200) < 0.7, y, rng.integers(0, 4, size=200))
    Y = rng.normal(size=(200, 3))
    P = Y + rng.normal(scale=0.5, size=(200, 3))
    return y, pred, Y, P


def test_metrics_agree_with_scikit_learn(sample):
    skm = pytest.importorskip("sklearn.metrics")
    y, pred, Y, P = sample
    assert metrics.accuracy(y, pred) == pytest.approx(skm.accuracy_score(y, pred))
    np.testing.assert_array_equal(
        metrics.confusion_matrix(y, pred, 5), skm.confusion_matrix(y, pred, labels=range(5))
    )
    assert metrics.mse(Y, P) == pytest.approx(skm.mean_squared_error(Y, P))
    assert metrics.r2(Y, P) == pytest.approx(skm.r2_score(Y, P))
    assert metrics.r2(Y[:, 0], P[:, 0]) == pytest.approx(skm.r2_score(Y[:, 0], P[:, 0]))
