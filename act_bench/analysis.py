"""What a run's results add to a task's own metrics (issue 18): the clarification metrics
of :mod:`act_bench.metrics.clarification`, their counts, and every metric per slice.

Shared by ``eval`` (written to results.json) and ``report`` (recomputed on the items two
runs share), so both compute them one way.
"""

from __future__ import annotations

from collections.abc import Sequence

from act_bench.metrics import metric_counts
from act_bench.metrics.clarification import (
    SimilarityFunction,
    clarification_counts,
    clarification_metrics,
)
from act_bench.metrics.slices import SliceTable, slice_metrics
from act_bench.task import Task
from act_bench.types import EpisodeRecord


def run_metrics(
    task: Task, records: Sequence[EpisodeRecord], *, similarity: SimilarityFunction | None = None
) -> dict[str, float | None]:
    """The task's App. D metrics followed by the clarification metrics."""
    return {
        **task.metrics(records),
        **clarification_metrics(
            records, tolerance=task.defaults.act_tolerance, similarity=similarity
        ),
    }


def run_counts(records: Sequence[EpisodeRecord]) -> dict[str, int]:
    """``metric_counts`` plus the numerators and denominators of the clarification rates."""
    return {**metric_counts(records), **clarification_counts(records).to_json()}


def run_slices(
    task: Task, records: Sequence[EpisodeRecord], *, similarity: SimilarityFunction | None = None
) -> SliceTable:
    """Every metric of :func:`run_metrics` per slice value, with its item count."""
    return slice_metrics(records, lambda part: run_metrics(task, part, similarity=similarity))
