"""A percentile bootstrap interval for a mean score, resampling whole groups.

Simulator-driven scores are noisy (STYLE.md, "Results and resumption"), so a report shows
the headline metric with an interval. Records that share a turn state (Abg-CoQA's
interpretations of one request) are not independent: the bootstrap resamples turn states
and averages all their records, a cluster bootstrap.

:func:`bootstrap_intervals` does the same for any statistic (Macro F1, a rate with its own
denominator) by recomputing it on each resample: ``eval`` uses it for ``metrics_ci``
(issue 16), resampling items and keeping all the trials of each drawn item.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Interval:
    """A two-sided interval at ``level`` around a point estimate (all x100 like metrics)."""

    estimate: float
    low: float
    high: float
    level: float
    resamples: int


def bootstrap_mean_interval(
    scores_by_group: Mapping[str, Sequence[float]],
    *,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Interval | None:
    """The mean of every score (x100) and its percentile interval over ``resamples``
    resamplings of the groups with replacement; None without scores."""
    groups = [np.asarray(scores, dtype=float) for scores in scores_by_group.values() if scores]
    if not groups:
        return None
    sums = np.array([g.sum() for g in groups])
    sizes = np.array([g.size for g in groups])
    estimate = sums.sum() / sizes.sum()
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(groups), size=(resamples, len(groups)))
    means = sums[picks].sum(axis=1) / sizes[picks].sum(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Interval(
        round(float(estimate) * 100, 4),
        round(float(low) * 100, 4),
        round(float(high) * 100, 4),
        level,
        resamples,
    )


def bootstrap_intervals(
    n_groups: int,
    statistic: Callable[[np.ndarray], Mapping[str, float | None]],
    *,
    level: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
) -> dict[str, tuple[float, float] | None]:
    """Percentile intervals of every value ``statistic`` returns, over ``resamples``
    draws of ``n_groups`` group indices with replacement (``statistic`` gets the drawn
    indices and computes its values on those groups). A value undefined in a resample
    (None: e.g. no clarification was drawn) is left out of that value's percentiles; a
    value undefined in every resample has interval None."""
    if n_groups < 1 or resamples < 1:
        return {}
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    names: list[str] = []
    for picks in rng.integers(0, n_groups, size=(resamples, n_groups)):
        for name, value in statistic(picks).items():
            if name not in draws:
                draws[name] = []
                names.append(name)
            if value is not None:
                draws[name].append(value)
    tail = (1 - level) / 2 * 100
    intervals: dict[str, tuple[float, float] | None] = {}
    for name in names:
        if draws[name]:
            low, high = np.percentile(draws[name], [tail, 100 - tail])
            intervals[name] = (round(float(low), 4), round(float(high), 4))
        else:
            intervals[name] = None
    return intervals
