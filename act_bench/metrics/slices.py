"""Metrics per slice of a run: each slice name a task declares (``Task.slice_values``)
splits the records by value, and every metric is computed again on each part.

The result is ``results.json``'s ``slices``: ``{slice_name: {value: {"n_items": n,
metric: value, ...}}}``. A record without a value for a slice (a line written before the
task declared it) is left out of that slice only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from act_bench.types import EpisodeRecord

MetricsFunction = Callable[[Sequence[EpisodeRecord]], Mapping[str, float | None]]
SliceTable = dict[str, dict[str, dict[str, float | int | None]]]


def _value_order(value: str) -> tuple[int, float | str]:
    """Numeric values in numeric order ("2" before "10", "5+" after "4"), then the rest."""
    number = value.rstrip("+")
    try:
        return (0, float(number))
    except ValueError:
        return (1, value)


def group_by_slice(records: Sequence[EpisodeRecord]) -> dict[str, dict[str, list[EpisodeRecord]]]:
    """``{slice_name: {value: records}}``, slice names sorted and values in natural order."""
    groups: dict[str, dict[str, list[EpisodeRecord]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        for name, value in record.slices.items():
            groups[name][value].append(record)
    return {
        name: {value: groups[name][value] for value in sorted(groups[name], key=_value_order)}
        for name in sorted(groups)
    }


def slice_metrics(records: Sequence[EpisodeRecord], metrics_of: MetricsFunction) -> SliceTable:
    """Every metric of ``metrics_of`` on each slice value, with its number of records."""
    return {
        name: {value: {"n_items": len(part), **metrics_of(part)} for value, part in values.items()}
        for name, values in group_by_slice(records).items()
    }
