"""Bootstrap intervals over references, on cases whose answer is derived by hand."""

from __future__ import annotations

import pytest

from widget2code.evaluation.errors import EvaluationInputError
from widget2code.evaluation.stats import Interval, UnpairedRunsError, mean_interval, paired_difference


def test_a_constant_difference_has_a_zero_width_interval_at_that_value() -> None:
    baseline = {"0001": 0.25, "0002": 0.5, "0003": 0.75, "0004": 0.0}
    other = {key: value + 0.125 for key, value in baseline.items()}  # exact in binary: every difference is 0.125
    assert paired_difference(baseline, other) == Interval(0.125, 0.125, 0.125, 4)
    # Differences equal up to rounding give an interval of the same width, up to rounding.
    noisy = paired_difference({"a": 0.2, "b": 0.5, "c": 0.7}, {"a": 0.3, "b": 0.6, "c": 0.8})
    assert noisy.value == pytest.approx(0.1) and noisy.low == pytest.approx(0.1) and noisy.high == pytest.approx(0.1)


def test_identical_runs_differ_by_zero_exactly() -> None:
    run = {f"{i:04d}": i / 10 for i in range(1, 8)}
    assert paired_difference(run, dict(run)) == Interval(0.0, 0.0, 0.0, 7)


def test_references_are_paired_by_id_not_by_order() -> None:
    baseline = {"0001": 0.1, "0002": 0.9, "0003": 0.5}
    other = {"0003": 0.5, "0001": 0.2, "0002": 0.9}  # only 0001 changed, by +0.1
    result = paired_difference(baseline, other)
    assert result.value == pytest.approx(0.1 / 3) and result.n == 3
    assert result.low == pytest.approx(0.0) and result.high == pytest.approx(0.1)


def test_two_references_give_the_range_of_their_differences() -> None:
    # Differences 0 and 1: resampled means are 0, 0.5, 1 with chances 1/4, 1/2, 1/4, so the 2.5th
    # percentile is 0 and the 97.5th is 1.
    assert paired_difference({"a": 0.0, "b": 0.0}, {"a": 0.0, "b": 1.0}) == Interval(0.5, 0.0, 1.0, 2)


def test_pairing_sees_a_small_gain_that_the_runs_own_intervals_hide() -> None:
    # References of very different difficulty; the other run is better on each by 0.015 or 0.025.
    baseline = {f"{i:04d}": 0.3 + 0.6 * ((i * 7) % 20) / 19 for i in range(20)}
    other = {key: value + (0.015 if i % 2 else 0.025) for i, (key, value) in enumerate(baseline.items())}
    paired = paired_difference(baseline, other)
    assert paired.value == pytest.approx(0.02)
    assert 0.015 <= paired.low < 0.02 < paired.high <= 0.025  # every resampled mean lies between them
    apart = mean_interval(list(baseline.values())), mean_interval(list(other.values()))
    assert apart[1].low < apart[0].high  # side by side, the two runs' intervals overlap widely


def test_runs_over_different_references_are_a_typed_error_naming_the_ids() -> None:
    with pytest.raises(UnpairedRunsError, match=r"sampled reward.*only in the baseline: 0003; only in the other "
                                                r"run: 0009, 0010") as caught:
        paired_difference({"0001": 0.5, "0002": 0.5, "0003": 0.5},
                          {"0001": 0.5, "0002": 0.5, "0009": 0.1, "0010": 0.2}, what="sampled reward")
    assert isinstance(caught.value, EvaluationInputError)  # the CLI reports it as one line, exit 2


def test_few_values_and_seeds() -> None:
    assert mean_interval([]) == Interval(None, None, None, 0)
    assert mean_interval([0.4]) == Interval(0.4, None, None, 1)
    values = [0.1, 0.4, 0.35, 0.8, 0.62]
    assert mean_interval(values, seed=3) == mean_interval(values, seed=3)
    wide, narrow = mean_interval(values, confidence=0.99), mean_interval(values, confidence=0.5)
    assert wide.low < narrow.low < narrow.high < wide.high
