"""A percentile bootstrap interval for a mean score, resampling whole groups.

Simulator-driven scores are noisy (STYLE.md, "Results and resumption"), so a report shows
the headline metric with an interval. Records that share a turn state (Abg-CoQA's
interpretations of one request) are not independent: the bootstrap resamples turn states
and averages all their records, a cluster bootstrap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
