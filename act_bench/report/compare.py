"""``act-bench report RUN_A RUN_B``: two runs of one task side by side on their shared items.

Metrics are recomputed on the shared items only (so the two columns count the same
items), and the episode table puts the items where the runs disagree first: a different
first action, or a different trajectory score.
"""

from __future__ import annotations

from dataclasses import dataclass

from act_bench.analysis import run_metrics
from act_bench.errors import ConfigError
from act_bench.metrics.clarification import SimilarityFunction
from act_bench.report import figures
from act_bench.report.layout import (
    action_badge,
    escape,
    filter_form,
    metrics_table,
    page,
    provenance,
    trajectory_view,
)
from act_bench.report.run import RunView, episode_frame, record_key, slice_label
from act_bench.task import get_task
from act_bench.types import EpisodeRecord


@dataclass(frozen=True, slots=True)
class SharedItem:
    """One item both runs evaluated."""

    a: EpisodeRecord
    b: EpisodeRecord

    @property
    def disagree(self) -> bool:
        return (
            self.a.predicted_action is not self.b.predicted_action
            or abs(self.a.trajectory_score - self.b.trajectory_score) > 1e-9
        )


def shared_items(a: RunView, b: RunView) -> list[SharedItem]:
    """Items of both runs, disagreements first (largest score difference first), then the
    rest in run A's order."""
    # the same refusals as `act-bench compare` (task, split, protocol, data, prompts);
    # imported here because act_bench.compare itself reads runs through this package
    from act_bench.compare import comparable

    comparable(a, b)
    by_key = {record.key: record for record in b.records}  # (episode, trial)
    items = [SharedItem(r, by_key[r.key]) for r in a.records if r.key in by_key]
    if not items:
        raise ConfigError(
            f"{a.path} and {b.path} share no items", hint="compare runs of the same split"
        )
    return sorted(
        items,
        key=lambda item: (
            not item.disagree,
            -abs(item.a.trajectory_score - item.b.trajectory_score),
        ),
    )


def _row(number: int, item: SharedItem) -> str:
    row_id = f"ep-{number}"
    predicted = [
        r.predicted_action.value if r.predicted_action else "unlabelled" for r in (item.a, item.b)
    ]
    attributes = {
        "id": row_id,
        "data-id": record_key(item.a),
        "data-gold": item.a.gold_action.value,
        "data-predicted-a": predicted[0],
        "data-predicted-b": predicted[1],
        "data-agreement": "disagree" if item.disagree else "agree",
        "data-slice": slice_label(item.a),
        "data-score": f"{item.a.trajectory_score:.6g}",  # the score filter reads run A's
    }
    attrs = " ".join(f'{k}="{escape(v)}"' for k, v in attributes.items())
    css = "episode disagree" if item.disagree else "episode"
    return (
        f'<tr class="{css}" {attrs}>'
        '<td><button type="button" class="expand" aria-expanded="false">▸</button></td>'
        f'<td class="id">{escape(record_key(item.a))}</td>'
        f"<td>{action_badge(item.a.gold_action.value)}</td>"
        f"<td>{action_badge(predicted[0])}</td>"
        f'<td class="num">{item.a.trajectory_score:.3f}</td>'
        f"<td>{action_badge(predicted[1])}</td>"
        f'<td class="num">{item.b.trajectory_score:.3f}</td>'
        f"<td>{escape(slice_label(item.a))}</td></tr>"
        f'<tr class="trajectory" data-for="{row_id}" hidden><td colspan="8" '
        f'class="trajectory-cell"><div class="pair"><div><h4>A</h4>{trajectory_view(item.a)}'
        f"</div><div><h4>B</h4>{trajectory_view(item.b)}</div></div></td></tr>"
    )


def comparison_report(
    a: RunView, b: RunView, *, similarity: SimilarityFunction | None = None
) -> str:
    """The side-by-side page of two runs, as an HTML document (``similarity``: the question
    quality's embedding similarity, by default the bundled all-MiniLM-L6-v2)."""
    items = shared_items(a, b)
    task = get_task(a.results.task)
    records_a = [item.a for item in items]
    records_b = [item.b for item in items]
    metric_sets = {
        "A": run_metrics(task, records_a, similarity=similarity),
        "B": run_metrics(task, records_b, similarity=similarity),
    }
    confusion = "".join(
        f'<figure id="fig-confusion-{side}" class="plot">'
        f"{figures.to_svg(figures.confusion_matrix(episode_frame(records)))}"
        f"<figcaption>{side}: {escape(run.label)}</figcaption></figure>"
        for side, run, records in (("A", a, records_a), ("B", b, records_b))
    )
    slices = sorted({v for r in records_a for v in slice_label(r).split("; ") if v})
    actions = ("CLARIFY", "ANSWER", "unlabelled")
    form = filter_form(
        {
            "agreement": ("runs", ("disagree", "agree")),
            "gold": ("gold action", ("CLARIFY", "ANSWER")),
            "predicted-a": ("A predicted", actions),
            "predicted-b": ("B predicted", actions),
            "slice": ("slice", slices),
        }
    )
    head = "".join(
        f"<th>{name}</th>"
        for name in ("", "id", "gold", "A predicted", "A score", "B predicted", "B score")
    )
    n_disagree = sum(item.disagree for item in items)
    body = (
        "<header><h1>act-bench run comparison</h1>"
        f'<p class="sub">A: {escape(a.label)}<br>B: {escape(b.label)}</p></header>'
        f'<section id="provenance-section"><h2>Provenance</h2><div class="pair">'
        f"<div><h3>A</h3>{provenance(a)}</div><div><h3>B</h3>{provenance(b)}</div></div>"
        "</section>"
        f'<section id="metrics"><h2>Metrics on the {len(items)} shared items</h2>'
        f'<p class="note">The runs disagree on {n_disagree} of them (first action or '
        f"trajectory score).</p>{metrics_table(metric_sets)}</section>"
        f'<section id="figures"><h2>Figures</h2><div class="figures">{confusion}</div></section>'
        f'<section id="episodes"><h2>Shared episodes, disagreements first</h2>{form}'
        f'<table class="episodes"><thead><tr>{head}<th>slices</th></tr></thead><tbody>'
        f"{''.join(_row(n, item) for n, item in enumerate(items))}</tbody></table></section>"
    )
    return page(f"act-bench comparison · {a.label} vs {b.label}", body)
