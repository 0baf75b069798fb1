"""Bootstrap intervals over resampled groups: nominal coverage on a case of known variance."""

from __future__ import annotations

import numpy as np

from act_bench.metrics.bootstrap import bootstrap_intervals


def test_interval_covers_the_true_mean_at_about_the_nominal_rate() -> None:
    """Normal scores, true mean 0.5, sd 0.2, 40 items: a 95 % interval should cover 0.5
    in about 95 % of 300 repetitions (the percentile bootstrap runs a little narrow at
    n = 40, so the band is [0.89, 0.985])."""
    rng = np.random.default_rng(123)
    covered = 0
    repetitions = 300
    widths = []
    for repetition in range(repetitions):
        scores = rng.normal(0.5, 0.2, size=40)

        def statistic(picks: np.ndarray, scores=scores) -> dict[str, float]:
            return {"mean": float(scores[picks].mean())}

        low, high = bootstrap_intervals(40, statistic, resamples=400, seed=repetition)["mean"]
        covered += low <= 0.5 <= high
        widths.append(high - low)
    assert 0.89 <= covered / repetitions <= 0.985
    # expected width 2 * 1.96 * 0.2 / sqrt(40) = 0.124
    assert abs(np.mean(widths) - 0.124) < 0.01


def test_interval_is_seeded_and_skips_undefined_values() -> None:
    values = np.array([0.0, 0.31, 0.77, 0.0, 0.93, 0.12, 0.5])

    def statistic(picks: np.ndarray) -> dict[str, float | None]:
        drawn = values[picks]
        return {"mean": float(drawn.mean()), "first_zero": None if drawn.all() else 1.0}

    first = bootstrap_intervals(7, statistic, resamples=200, seed=3)
    assert first == bootstrap_intervals(7, statistic, resamples=200, seed=3)
    assert first != bootstrap_intervals(7, statistic, resamples=200, seed=4)
    assert first["first_zero"] == (1.0, 1.0)
    assert bootstrap_intervals(2, lambda picks: {"never": None}, resamples=10)["never"] is None
