"""How sure a leaderboard row's score is: its 95 % interval, and whether it is tied with
the best row of its group (issue 16).

A run evaluated with act-bench >= issue 16 carries a bootstrap interval over items for
every metric (results.json ``metrics_ci``). Ranking by the point estimate alone suggests
an order that the data may not support, so ``show`` and the exports print each headline
score with its interval and mark the rows whose interval overlaps the best row's: those
are not distinguishable from the best at this sample size. The best row is the group's
first with a headline score; a best row without an interval (the paper's, an older run)
counts as the point of its score. Rows without an interval are never marked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from act_bench.leaderboard.store import Row

TIED_MARK = "≈"


class RankedGroup(Protocol):
    headline: str
    rows: tuple[Row, ...]


def interval_text(row: Row, metric: str) -> str:
    """``[low, high]`` of the row's interval for ``metric``, or "" without one."""
    pair = row.intervals.get(metric)
    return "" if pair is None else f"[{pair[0]:.1f}, {pair[1]:.1f}]"


def tied_with_best(group: RankedGroup) -> set[int]:
    """Ids of the rows (the best excluded) whose headline interval overlaps the best's."""
    best = next((row for row in group.rows if row.metrics.get(group.headline) is not None), None)
    if best is None:
        return set()
    best_value = best.metrics[group.headline]
    assert best_value is not None
    low, high = best.intervals.get(group.headline, (best_value, best_value))
    return {
        row.id
        for row in _others(group.rows, best)
        if (pair := row.intervals.get(group.headline)) is not None
        and pair[0] <= high
        and low <= pair[1]
    }


def _others(rows: Sequence[Row], best: Row) -> list[Row]:
    return [row for row in rows if row.id != best.id]


def headline_text(group: RankedGroup, row: Row, value_text: str, tied: set[int]) -> str:
    """The headline cell: the score, its interval, and the tie mark."""
    parts = [value_text, interval_text(row, group.headline)]
    if row.id in tied:
        parts.append(TIED_MARK)
    return " ".join(part for part in parts if part)
