"""Showing the leaderboard: a rich table in the terminal, and Markdown, CSV or HTML exports.

Rows are grouped by task, then by (evaluation protocol, user simulator, action
classifier): scores produced under different protocols, simulators or classifiers are not
comparable, so each group is ranked on its own by the task's headline metric.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from act_bench.errors import ConfigError
from act_bench.leaderboard.store import Row
from act_bench.leaderboard.uncertainty import TIED_MARK, headline_text, tied_with_best
from act_bench.task import task_info

EXPORT_FORMATS = ("md", "csv", "html")


@dataclass(frozen=True, slots=True)
class Group:
    task: str
    protocol: str
    simulator: str
    action_classifier: str
    headline: str
    metrics: tuple[str, ...]
    rows: tuple[Row, ...]
    # The task's own App. D metrics: what the terminal table shows, so it stays readable;
    # the exports carry every metric (other DROP F1 modes, clarification metrics).
    primary_metrics: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return (
            f"{self.task} · protocol {self.protocol} · simulator {self.simulator} · "
            f"classifier {self.action_classifier}"
        )


def _metric_order(task: str, rows: Sequence[Row]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(headline, every metric in order, the task's own metrics)."""
    names = {name for row in rows for name in row.metrics}
    try:
        known = task_info(task)
        order = [name for name in known.metric_names if name in names]
        headline = known.headline_metric
    except ConfigError:  # a task not installed here: keep its stored metrics as they are
        order, headline = [], ""
    primary = tuple(order) or tuple(sorted(names))
    order += sorted(names - set(order))
    headline = headline if headline in names else (order[0] if order else "")
    return headline, tuple(order), primary


def _rank_key(headline: str):
    def key(row: Row) -> tuple[bool, float]:
        value = row.metrics.get(headline)
        return (value is None, -(value or 0.0))

    return key


def group_rows(rows: Sequence[Row]) -> list[Group]:
    """Task, then protocol, simulator and classifier; within a group, best headline first."""
    groups = []

    def scope(row: Row) -> tuple[str, str, str, str]:
        return (row.task, row.protocol, row.simulator, row.action_classifier)

    ordered = sorted(rows, key=lambda row: (row.task, row.source == "paper", scope(row)))
    for (task, protocol, simulator, classifier), members in groupby(ordered, key=scope):
        members = list(members)
        headline, metrics, primary = _metric_order(task, members)
        members.sort(key=_rank_key(headline))
        groups.append(
            Group(task, protocol, simulator, classifier, headline, metrics, tuple(members), primary)
        )
    return groups


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _describe(row: Row) -> list[str]:
    shots = "" if row.num_shots in (None, 0) else str(row.num_shots)
    return [
        row.name,
        row.model,
        row.approach or "",
        shots,
        row.split,
        _items(row),
        row.data_source or "",
        "" if row.n_backend_errors is None else str(row.n_backend_errors),
    ]


def _items(row: Row) -> str:
    """Items, and trials per item when a run had several (``20×3``)."""
    if row.n_items is None:
        return ""
    return f"{row.n_items}×{row.num_trials}" if (row.num_trials or 1) > 1 else str(row.n_items)


def _metric_cell(group: Group, row: Row, metric: str, tied: set[int]) -> str:
    """A metric's cell; the headline's carries its 95 % interval and the tie mark."""
    text = _cell(row.metrics.get(metric))
    return headline_text(group, row, text, tied) if metric == group.headline else text


TIES_NOTE = (
    f"[low, high]: 95 % bootstrap interval over items; {TIED_MARK}: the interval overlaps "
    "the best row's (not distinguishable from it)."
)


# "data": sample (the bundled sample) or data:<digest> (which files); "errors": items that
# ended in a backend error (only runs submitted with --allow-errors have any).
BASE_COLUMNS = ["name", "model", "approach", "shots/conv.", "split", "items", "data", "errors"]


def rich_tables(groups: Sequence[Group]) -> list[Table]:
    tables = []
    for group in groups:
        # Every stored text is escaped: a name like "run [/x]" is shown as written, not
        # parsed as rich markup (which crashes on a stray closing tag or hides "[tag]").
        table = Table(title=escape(group.title), title_justify="left")
        table.add_column("#", justify="right")
        for column in BASE_COLUMNS:
            table.add_column(column)
        for metric in group.primary_metrics:
            marker = " ▼" if metric == group.headline else ""
            table.add_column(f"{escape(metric)}{marker}", justify="right")
        tied = tied_with_best(group)
        for rank, row in enumerate(group.rows, start=1):
            style = "dim" if row.source == "paper" else None
            table.add_row(
                str(rank),
                *(escape(text) for text in _describe(row)),
                *(escape(_metric_cell(group, row, m, tied)) for m in group.primary_metrics),
                style=style,
            )
        if any(row.intervals for row in group.rows):
            table.caption = escape(TIES_NOTE)
        tables.append(table)
    return tables


def print_groups(groups: Sequence[Group], console: Console) -> None:
    if not groups:
        console.print("the leaderboard is empty for this selection")
    for table in rich_tables(groups):
        console.print(table)


def markdown_text(text: str) -> str:
    """Stored text made inert in Markdown: HTML escaped (renderers pass raw HTML through),
    line breaks folded (a newline ends a table row), and the characters that would start a
    link, emphasis, code span or table cell backslash-escaped."""
    text = html.escape(" ".join(text.split()), quote=False)
    return "".join(f"\\{c}" if c in MARKDOWN_SPECIAL else c for c in text)


MARKDOWN_SPECIAL = frozenset("\\`*_[]|~")


def to_markdown(groups: Sequence[Group]) -> str:
    parts = ["# act-bench leaderboard", ""]
    for group in groups:
        header = ["#", *BASE_COLUMNS, *group.metrics]
        parts += [
            f"## {markdown_text(group.title)}",
            "",
            f"Ranked by {markdown_text(group.headline)}.",
            "",
        ]
        if any(row.intervals for row in group.rows):
            parts += [markdown_text(TIES_NOTE), ""]
        parts.append("| " + " | ".join(markdown_text(c) for c in header) + " |")
        parts.append("|" + "---|" * len(header))
        tied = tied_with_best(group)
        for rank, row in enumerate(group.rows, start=1):
            values = [_metric_cell(group, row, m, tied) for m in group.metrics]
            cells = [str(rank), *_describe(row), *values]
            parts.append("| " + " | ".join(markdown_text(c) for c in cells) + " |")
        parts.append("")
    return "\n".join(parts)


# A spreadsheet evaluates a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula, prefixed with ``'`` so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows: Sequence[Row]) -> str:
    """One line per row: every provenance field, then every metric (built on pandas)."""
    fields = [
        "id",
        "source",
        "task",
        "split",
        "name",
        "model",
        "approach",
        "protocol",
        "simulator",
        "action_classifier",
        "prompt_style",
        "num_shots",
        "n_items",
        "config_hash",
        "submitted_at",
        "reference",
        "data_source",
        "n_backend_errors",
        "num_trials",
    ]
    metric_names = sorted({name for row in rows for name in row.metrics})
    interval_names = sorted({name for row in rows for name in row.intervals})
    bounds = [f"{name}_ci_{end}" for name in interval_names for end in ("low", "high")]
    columns = fields + metric_names + bounds
    values = [
        [row.to_json()[f] for f in fields]
        + [row.metrics.get(m) for m in metric_names]
        + [(row.intervals.get(m) or (None, None))[end] for m in interval_names for end in (0, 1)]
        for row in rows
    ]
    # object dtype: an integer column with a missing value stays "12", not "12.0"
    frame = pd.DataFrame(
        [[csv_cell(v) for v in line] for line in values],
        columns=[csv_cell(c) for c in columns],
        dtype=object,
    )
    return frame.to_csv(index=False, lineterminator="\r\n")


def to_html(groups: Sequence[Group]) -> str:
    """One static page: a card per group, rank, name and headline first (see
    :mod:`act_bench.leaderboard.page`)."""
    from act_bench.leaderboard.page import leaderboard_page

    return leaderboard_page(groups)


def export(rows: Sequence[Row], fmt: str) -> str:
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; known: {', '.join(EXPORT_FORMATS)}")
    if fmt == "csv":
        return to_csv(rows)
    groups = group_rows(rows)
    return to_markdown(groups) if fmt == "md" else to_html(groups)
