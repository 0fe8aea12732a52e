"""Means over references with a bootstrap 95 % interval: of one run, or paired between two runs.

The references are the unit of resampling. A paired difference resamples references, each carrying
both runs' values, which is the bootstrap of the per-reference differences: what two models share
(an easy screenshot is easy for both) cancels, so the interval is much narrower than the two runs'
own intervals side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import bootstrap

from widget2code.evaluation.errors import EvaluationInputError


class UnpairedRunsError(EvaluationInputError):
    """Two runs compared reference by reference do not hold the same references."""


@dataclass(frozen=True)
class Interval:
    value: float | None  # the mean; None with no values
    low: float | None  # the bootstrap interval; None with fewer than two values
    high: float | None
    n: int  # values (references) behind it

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def mean_interval(values: Sequence[float], confidence: float = 0.95, n_resamples: int = 2000,
                  seed: int = 0) -> Interval:
    """The mean of `values` with its percentile bootstrap interval (seeded: the same values give the same
    interval)."""
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        return Interval(None, None, None, 0)
    value = float(array.mean())
    if array.size < 2:
        return Interval(value, None, None, 1)
    if np.ptp(array) == 0:  # every value equal: the interval is that value (bootstrap would give NaN)
        return Interval(value, value, value, int(array.size))
    interval = bootstrap((array,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                         method="percentile", rng=np.random.default_rng(seed)).confidence_interval
    return Interval(value, float(interval.low), float(interval.high), int(array.size))


def paired_difference(baseline: Mapping[str, float], other: Mapping[str, float], what: str = "values",
                      confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0) -> Interval:
    """The mean over references of `other[id] - baseline[id]`, with a bootstrap interval that resamples
    references in pairs. Both mappings must hold the same reference ids (`what` names the values in the
    error)."""
    only_baseline = sorted(set(baseline) - set(other))
    only_other = sorted(set(other) - set(baseline))
    if only_baseline or only_other:
        raise UnpairedRunsError(
            f"cannot pair {what}: the runs hold different references (only in the baseline: "
            f"{_ids(only_baseline)}; only in the other run: {_ids(only_other)})")
    ids = sorted(baseline)
    return mean_interval([other[i] - baseline[i] for i in ids], confidence, n_resamples, seed)


def _ids(ids: Sequence[str]) -> str:
    return (", ".join(ids[:8]) + (f", ... ({len(ids)} in all)" if len(ids) > 8 else "")) if ids else "none"
