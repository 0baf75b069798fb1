"""Repeated trials of every episode and the uncertainty of a run's metrics (issue 16).

Scores that depend on sampling, a user simulator and an action classifier are noisy
(STYLE.md, "Results and resumption"; tau2-bench users see swings of several points), so
``--num-trials K`` runs every episode K times, each trial with its own seed derived from
``--seed`` (trial 0 uses ``--seed`` itself, so a one-trial run is the run it always was).
The trials are extra episodes around the episode loop, never inside it.

What a run reports from them:

- ``metrics``: each metric computed on each trial's records, then averaged over trials;
- ``metrics_std``: the standard deviation of those per-trial values (K >= 2);
- ``metrics_ci``: a 95 % percentile bootstrap interval over *items*: the turn states are
  resampled with replacement (all goals and all trials of a drawn turn state come along,
  so lines of one item are never treated as independent), the metric is recomputed on each
  resample and averaged over trials as above; seeded with ``--seed``, the number of
  resamples recorded beside it;
- ``pass_k``: tau-bench's pass^k and pass@k for k = 1..K (:mod:`act_bench.metrics.pass_k`),
  an episode's trial passing when its trajectory score exceeds the task's ε.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from statistics import fmean, stdev
from typing import Any

import numpy as np

from act_bench.metrics.bootstrap import bootstrap_intervals
from act_bench.metrics.pass_k import pass_at_k, pass_hat_k
from act_bench.types import EpisodeRecord, StopReason

BOOTSTRAP_RESAMPLES = 1000
CONFIDENCE_LEVEL = 0.95

MetricsOf = Callable[[Sequence[EpisodeRecord]], dict[str, float | None]]


def trial_seed(seed: int, trial: int) -> int:
    """The seed of trial ``trial`` of a run seeded ``seed``: ``seed`` for trial 0, else a
    31-bit number drawn from both by sha256 (so nearby seeds give unrelated trials)."""
    if trial == 0:
        return seed
    digest = hashlib.sha256(f"act-bench trial {seed} {trial}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True, slots=True)
class TrialStatistics:
    """What :func:`trial_statistics` adds to results.json (see the module docstring)."""

    metrics: dict[str, float | None]
    metrics_std: dict[str, float | None]
    metrics_ci: dict[str, tuple[float, float] | None]
    pass_k: dict[str, Any]
    bootstrap: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "metrics": self.metrics,
            "metrics_std": self.metrics_std,
            "metrics_ci": {k: None if v is None else list(v) for k, v in self.metrics_ci.items()},
            "pass_k": self.pass_k,
            "bootstrap": self.bootstrap,
        }


def trial_statistics(
    records: Sequence[EpisodeRecord],
    metrics_of: MetricsOf,
    *,
    num_trials: int,
    tolerance: float,
    seed: int,
    resamples: int = BOOTSTRAP_RESAMPLES,
    level: float = CONFIDENCE_LEVEL,
) -> TrialStatistics:
    """Mean over trials, std across trials, bootstrap interval over items, pass^k / pass@k."""
    trials = _by_trial(records)
    per_trial = [metrics_of(trial_records) for trial_records in trials.values()]
    names = list(per_trial[0]) if per_trial else list(metrics_of([]))
    metrics = {name: _mean_over_trials([m.get(name) for m in per_trial]) for name in names}
    spread = {name: _std([m.get(name) for m in per_trial]) for name in names}
    units = list(resampling_units(records).values())
    intervals = bootstrap_intervals(
        len(units),
        lambda picks: metrics_on_units(units, picks, metrics_of),
        level=level,
        resamples=resamples,
        seed=seed,
    )
    return TrialStatistics(
        metrics=metrics,
        metrics_std=spread,
        metrics_ci={name: intervals.get(name) for name in names},
        pass_k=pass_k_summary(records, num_trials=num_trials, tolerance=tolerance),
        bootstrap={
            "resamples": resamples,
            "level": level,
            "seed": seed,
            "unit": "turn state",
            "n_units": len(units),
        },
    )


def pass_k_summary(
    records: Sequence[EpisodeRecord], *, num_trials: int, tolerance: float
) -> dict[str, Any]:
    """pass^k and pass@k (x100) for k = 1..num_trials over the episodes' finished trials
    (a trial that ended in a backend error is not the model's and is left out)."""
    outcomes: dict[str, list[bool]] = defaultdict(list)
    for record in records:
        if record.trajectory.stop_reason is not StopReason.BACKEND_ERROR:
            outcomes[record.id].append(record.trajectory_score > tolerance)
    successes = [(len(passed), sum(passed)) for passed in outcomes.values()]
    ks = range(1, num_trials + 1)
    return {
        "tolerance": tolerance,
        "n_items": len(successes),
        "pass_hat": {str(k): _percent(pass_hat_k(successes, k)) for k in ks},
        "pass_at": {str(k): _percent(pass_at_k(successes, k)) for k in ks},
    }


def _by_trial(records: Sequence[EpisodeRecord]) -> dict[int, list[EpisodeRecord]]:
    trials: dict[int, list[EpisodeRecord]] = defaultdict(list)
    for record in records:
        trials[record.trial].append(record)
    return dict(sorted(trials.items()))


Unit = dict[int, list[EpisodeRecord]]  # one turn state's records, by trial


def resampling_units(records: Sequence[EpisodeRecord]) -> dict[str, Unit]:
    """The units a bootstrap resamples, one per turn state (in first-seen order): its
    records by trial, so that all goals and trials of an item travel together."""
    units: dict[str, Unit] = {}
    for record in records:
        units.setdefault(record.turn_state_id, defaultdict(list))[record.trial].append(record)
    return units


def metrics_on_units(
    units: Sequence[Unit], picks: np.ndarray | Sequence[int], metrics_of: MetricsOf
) -> dict[str, float | None]:
    """The metrics on the units ``picks`` names, averaged over trials. A unit drawn twice
    enters as two items (its copies get distinct ids), so per-prompt means and groupings
    count it twice."""
    copies: dict[int, int] = defaultdict(int)
    trials: dict[int, list[EpisodeRecord]] = defaultdict(list)
    for unit_index in np.asarray(picks).tolist():
        copy = copies[unit_index]
        copies[unit_index] += 1
        for trial, unit_records in units[unit_index].items():
            trials[trial].extend(_copy(record, copy) for record in unit_records)
    per_trial = [metrics_of(trials[trial]) for trial in sorted(trials)]
    names = per_trial[0] if per_trial else {}
    return {name: _mean_over_trials([m.get(name) for m in per_trial]) for name in names}


def _copy(record: EpisodeRecord, copy: int) -> EpisodeRecord:
    if copy == 0:
        return record
    return replace(record, id=f"{record.id}~{copy}", turn_state_id=f"{record.turn_state_id}~{copy}")


def _mean_over_trials(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(fmean(present), 4) if present else None


def _std(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(stdev(present), 4) if len(present) >= 2 else None


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 4)


def memoized_similarity(
    similarity: Callable[[Sequence[tuple[str, str]]], list[float]] | None = None,
) -> Callable[[Sequence[tuple[str, str]]], list[float]]:
    """A similarity function that embeds each (a, b) pair once, so that recomputing the
    question-similarity metric on a thousand resamples costs one embedding pass."""
    known: dict[tuple[str, str], float] = {}

    def default(pairs: Sequence[tuple[str, str]]) -> list[float]:
        from act_bench.metrics.similarity import get_embedder

        return get_embedder().similarities(pairs)

    compute = similarity or default

    def cached(pairs: Sequence[tuple[str, str]]) -> list[float]:
        missing = list(dict.fromkeys(pair for pair in pairs if pair not in known))
        if missing:
            known.update(zip(missing, compute(missing), strict=True))
        return [known[pair] for pair in pairs]

    return cached
