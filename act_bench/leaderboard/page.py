"""The leaderboard as one static HTML page, laid out the way people read a leaderboard.

Each group (task, protocol, simulator, classifier) is a card: rank, name and the headline
metric come first and stay in view (sticky) while the secondary metrics scroll sideways
inside the card, so the page fits the viewport however many metrics a task reports. Our
runs and the paper's published rows are separate, visibly different cards. Each card has a
small bar chart of its headline metric, and each row's provenance (model, approach,
shots, split, items, data, protocol, simulator, classifier, config hash) opens from an (i)
cell (and shows on hover). A row links to its run's report (``act-bench report``) when
the run directory is known.

Tables are sortable (click a header, or ``#sort=t<group>:<column>:asc|desc``); the rows of
one group are sorted, the chart keeps the ranking.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

from act_bench.leaderboard.store import Row
from act_bench.leaderboard.uncertainty import TIED_MARK, headline_text, tied_with_best
from act_bench.report.build import REPORT_FILE

STATIC = files("act_bench.leaderboard") / "static"


def _escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def provenance(row: Row) -> dict[str, str]:
    """What produced a row, as its (i) cell lists it."""
    shots = row.num_shots if row.num_shots not in (None, 0) else None
    fields = {
        "model": row.model,
        "approach": row.approach,
        "shots / conversations": shots if shots is not None else row.conversations,
        "split": row.split,
        "items": row.n_items,
        "data": row.data_source,
        "backend errors": row.n_backend_errors,
        "protocol": row.protocol,
        "simulator": row.simulator,
        "classifier": row.action_classifier,
        "prompt style": row.prompt_style,
        "config hash": row.config_hash[:16],
        "submitted": row.submitted_at,
        "reference": row.reference,
        "run directory": row.results_dir,
    }
    return {name: str(value) for name, value in fields.items() if value not in (None, "")}


def _provenance_cell(row: Row) -> str:
    fields = provenance(row)
    hover = "\n".join(f"{name}: {value}" for name, value in fields.items())
    items = "".join(f"<dt>{_escape(k)}</dt><dd>{_escape(v)}</dd>" for k, v in fields.items())
    return (
        f'<td class="info" title="{_escape(hover)}"><details><summary>i</summary>'
        f'<dl class="provenance">{items}</dl></details></td>'
    )


def _report_cell(row: Row) -> str:
    if not row.results_dir:
        return '<td class="link"></td>'
    report = Path(row.results_dir) / REPORT_FILE
    state = "" if report.is_file() else " missing"
    hint = (
        "open the run's report"
        if not state
        else f"no report yet: act-bench report {row.results_dir}"
    )
    return (
        f'<td class="link"><a class="report{state}" href="{_escape(report.as_uri())}" '
        f'title="{_escape(hint)}">report</a></td>'
    )


def bar_chart(group) -> str:
    """A small inline SVG of the group's headline metric, one bar per row in rank order,
    with each row's interval (where it has one) as an error bar."""
    from act_bench.report.figures import headline_bars, to_svg

    labels = [row.name for row in group.rows]
    values = [row.metrics.get(group.headline) for row in group.rows]
    intervals = [row.intervals.get(group.headline) for row in group.rows]
    if not any(value is not None for value in values):
        return ""
    return (
        f'<figure class="bars">{to_svg(headline_bars(labels, values, group.headline, intervals))}'
        f"<figcaption>{_escape(group.headline)}, in rank order</figcaption></figure>"
    )


def group_section(index: int, group) -> str:
    secondary = [m for m in group.metrics if m != group.headline]
    source = "paper" if all(row.source == "paper" for row in group.rows) else "ours"
    header = ["#", "name", f"{group.headline} ▼", "about", "report", *secondary]
    classes = ["rank", "name", "headline", "info", "link"] + ["num"] * len(secondary)
    head = "".join(
        f'<th data-col="{i}" class="{cls}">{_escape(name)}</th>'
        for i, (name, cls) in enumerate(zip(header, classes, strict=True))
    )
    body = []
    tied = tied_with_best(group)  # issue 16: interval and tie mark beside the headline
    for rank, row in enumerate(group.rows, start=1):
        value = row.metrics.get(group.headline)
        data_value = "" if value is None else value
        headline = _escape(headline_text(group, row, _cell(value), tied))
        body.append(
            f'<tr class="{_escape(row.source)}"><td>{rank}</td><td>{_escape(row.name)}</td>'
            f'<td class="num headline" data-value="{data_value}">{headline}</td>'
            f"{_provenance_cell(row)}{_report_cell(row)}"
            + "".join(
                f'<td class="num" data-value="{"" if v is None else v}">{_cell(v)}</td>'
                for v in (row.metrics.get(m) for m in secondary)
            )
            + "</tr>"
        )
    badge = "paper's published numbers" if source == "paper" else "our runs"
    note = (
        "Reported by Chen et al. (2025) under their own simulator and classifier; not re-run."
        if source == "paper"
        else f"{len(group.rows)} run(s), ranked by {group.headline}."
    )
    if any(row.intervals for row in group.rows):
        note += (
            f" [low, high]: 95 % bootstrap interval over items; {TIED_MARK}: the interval "
            "overlaps the best row's."
        )
    return (
        f'<section class="group {source}" id="g{index}"><h3><span class="badge {source}">'
        f'{badge}</span> {_escape(group.title)}</h3><p class="note">{_escape(note)}</p>'
        f'<div class="group-body"><div class="table-wrap"><table id="t{index}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        f"{bar_chart(group)}</div></section>"
    )


def leaderboard_page(groups: Sequence) -> str:
    """The whole page: one section per task, our groups before the paper's."""
    sections, task = [], None
    for index, group in enumerate(groups):
        if group.task != task:
            task = group.task
            sections.append(f'<h2 class="task" id="task-{_escape(task)}">{_escape(task)}</h2>')
        sections.append(group_section(index, group))
    tasks = list(dict.fromkeys(group.task for group in groups))
    nav = " · ".join(f'<a href="#task-{_escape(t)}">{_escape(t)}</a>' for t in tasks)
    style = (STATIC / "leaderboard.css").read_text(encoding="utf-8")
    script = (STATIC / "leaderboard.js").read_text(encoding="utf-8")
    empty = "" if groups else '<p class="note">The leaderboard is empty for this selection.</p>'
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>act-bench leaderboard</title><style>{style}</style></head>\n<body>"
        '<header><h1>act-bench leaderboard</h1><p class="note">Each card is ranked on its '
        "own by the task's headline metric: scores under different protocols, simulators or "
        "classifiers are not comparable. Hover or open (i) for a row's provenance.</p>"
        f"<nav>{nav}</nav></header>{empty}\n{''.join(sections)}\n<script>{script}</script>"
        "</body></html>\n"
    )
