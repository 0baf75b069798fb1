"""``act-bench report RUN_DIR``: one self-contained HTML page about a run.

Provenance and headline metrics, the figures (action confusion, score distribution, score
by clarification rounds, per-slice bars, over/under-clarification), every metric and
slice as a table, and an episode browser: one row per episode, filterable by gold action,
predicted action, stop reason, slice and score, each row expanding to its trajectory.
"""

from __future__ import annotations

from act_bench.metrics.clarification import CLARIFICATION_METRICS, clarification_rounds
from act_bench.report import figures
from act_bench.report.layout import (
    action_badge,
    escape,
    filter_form,
    metric_cards,
    metrics_table,
    number,
    page,
    provenance,
    slices_tables,
    trajectory_view,
)
from act_bench.report.run import RunView, episode_frame, record_key, slice_label
from act_bench.types import StopReason

CARD_METRICS = (
    "action_accuracy",
    "action_macro_f1",
    "clarify_f1",
    "over_clarification_rate",
    "under_clarification_rate",
    "mean_clarification_rounds",
)
SLICE_COLUMNS = ("action_accuracy", "over_clarification_rate", "under_clarification_rate")


def _figure(figure_id: str, svg: str, caption: str) -> str:
    return (
        f'<figure id="{figure_id}" class="plot">{svg}<figcaption>{escape(caption)}'
        "</figcaption></figure>"
    )


def figures_section(run: RunView) -> str:
    frame = episode_frame(run.records)
    headline = run.results.headline_metric or "score"
    slices = run.results.slices or {}
    parts = [
        _figure(
            "fig-confusion",
            figures.to_svg(figures.confusion_matrix(frame)),
            "Gold action against the action of the policy's first response "
            "(count and share of the gold row).",
        ),
        _figure(
            "fig-scores",
            figures.to_svg(figures.score_distribution(frame, headline)),
            "Trajectory scores H(g', g) of every episode, stacked by gold action.",
        ),
        _figure(
            "fig-rounds",
            figures.to_svg(figures.score_by_rounds(frame)),
            "Mean trajectory score by the number of clarifying questions asked.",
        ),
        _figure(
            "fig-clarification",
            figures.to_svg(figures.clarification_rates(run.results.metrics or {}, slices)),
            "Over-clarification: clarified on a gold-ANSWER item; under-clarification: "
            "answered a gold-CLARIFY item directly.",
        ),
    ]
    for name, cells in slices.items():
        parts.append(
            _figure(
                f"fig-slice-{escape(name)}",
                figures.to_svg(figures.slice_bars(name, cells, headline)),
                f"{headline} per {name} value, with the number of episodes.",
            )
        )
    return f'<div class="figures">{"".join(parts)}</div>'


def episode_rows(run: RunView) -> str:
    rows = []
    for number_, record in enumerate(run.records):
        predicted = record.predicted_action.value if record.predicted_action else "unlabelled"
        row_id = f"ep-{number_}"
        attributes = {
            "id": row_id,
            "data-id": record_key(record),
            "data-gold": record.gold_action.value,
            "data-predicted": predicted,
            "data-stop": record.trajectory.stop_reason.value,
            "data-slice": slice_label(record),
            "data-score": f"{record.trajectory_score:.6g}",
        }
        attrs = " ".join(f'{k}="{escape(v)}"' for k, v in attributes.items())
        rows.append(
            f'<tr class="episode" {attrs}>'
            '<td><button type="button" class="expand" aria-expanded="false">▸</button></td>'
            f'<td class="id">{escape(record_key(record))}</td>'
            f"<td>{action_badge(record.gold_action.value)}</td>"
            f"<td>{action_badge(record.predicted_action and record.predicted_action.value)}</td>"
            f"<td>{escape(record.trajectory.stop_reason.value)}</td>"
            f'<td class="num">{clarification_rounds(record)}</td>'
            f"<td>{escape(slice_label(record))}</td>"
            f'<td class="num">{record.trajectory_score:.3f}</td></tr>'
            f'<tr class="trajectory" data-for="{row_id}" hidden><td colspan="8" '
            f'class="trajectory-cell">{trajectory_view(record)}</td></tr>'
        )
    return "".join(rows)


def episodes_section(run: RunView) -> str:
    slices = sorted({value for r in run.records for value in slice_label(r).split("; ") if value})
    form = filter_form(
        {
            "gold": ("gold action", ("CLARIFY", "ANSWER")),
            "predicted": ("predicted action", ("CLARIFY", "ANSWER", "unlabelled")),
            "stop": ("stop reason", [reason.value for reason in StopReason]),
            "slice": ("slice", slices),
        }
    )
    head = "".join(
        f"<th>{name}</th>" for name in ("", "id", "gold", "predicted", "stop reason", "rounds")
    )
    head += "<th>slices</th><th class='num'>trajectory score</th>"
    return (
        f'{form}<table class="episodes" data-shown="{len(run.records)}"><thead><tr>{head}'
        f"</tr></thead><tbody>{episode_rows(run)}</tbody></table>"
    )


def run_report(run: RunView) -> str:
    """The report page of one run, as an HTML document."""
    results = run.results
    metrics = dict(results.metrics or {})
    names = list(metrics)
    clarification = [name for name in names if name in CLARIFICATION_METRICS]
    task_metrics = {name: metrics[name] for name in names if name not in clarification}
    status = (
        ""
        if results.status == "complete"
        else f'<p class="note">This run is {escape(results.status)}: metrics may be missing '
        "or cover part of the items.</p>"
    )
    body = (
        f'<header><h1>act-bench run report</h1><p class="sub">{escape(run.label)}</p>'
        f"{status}</header>"
        f'<section id="summary"><h2>Headline</h2>{metric_cards(run, CARD_METRICS)}</section>'
        f'<section id="provenance-section"><h2>Provenance</h2>{provenance(run)}</section>'
        f'<section id="figures"><h2>Figures</h2>{figures_section(run)}</section>'
        f'<section id="metrics"><h2>Metrics</h2><h3>App. D (the task\'s own)</h3>'
        f"{metrics_table({'value': task_metrics})}<h3>Clarification</h3>"
        f"{metrics_table({'value': {n: metrics[n] for n in clarification}})}</section>"
        f'<section id="slices"><h2>Slices</h2>'
        f"{slices_tables(results.slices or {}, _slice_columns(results.headline_metric))}"
        "</section>"
        f'<section id="episodes"><h2>Episodes ({number(len(run.records))})</h2>'
        f"{episodes_section(run)}</section>"
    )
    return page(f"act-bench report · {run.label}", body)


def _slice_columns(headline: str | None) -> tuple[str, ...]:
    return ((headline,) if headline else ()) + SLICE_COLUMNS
