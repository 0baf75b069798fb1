"""The pieces every report page is made of: the page shell with its inlined style and
script, the provenance list, metric tables (pandas), the episode filters and the
trajectory view. Everything is inline, so a page is one file that works offline."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from importlib.resources import files

import pandas as pd

from act_bench.metrics.clarification import METRIC_DEFINITIONS
from act_bench.report.run import RunView
from act_bench.types import EpisodeRecord, Speaker

STATIC = files("act_bench.report") / "static"
NONE = "–"


def escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def page(title: str, body: str) -> str:
    """A whole HTML document: ``body`` plus the report's inlined CSS and script."""
    style = (STATIC / "report.css").read_text(encoding="utf-8")
    script = (STATIC / "report.js").read_text(encoding="utf-8")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{style}</style></head>\n"
        f"<body>\n{body}\n<script>{script}</script>\n</body></html>\n"
    )


def number(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return NONE
    return str(value) if isinstance(value, int) else f"{value:.{digits}f}"


def provenance(run: RunView) -> str:
    """Model, task, split, protocol, simulator, classifier, data source and the run's ids."""
    results = run.results
    fields = {
        "model": results.model,
        "task": results.task,
        "split": results.split,
        "protocol": results.protocol,
        "simulator": results.simulator,
        "action classifier": results.action_classifier,
        "data source": results.data_label or NONE,
        "items": _finished(run),
        "status": results.status,
        "created": results.created,
        "act-bench": results.act_bench_version,
        "config hash": results.config_hash[:16],
        "run directory": str(run.path),
    }
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in fields.items())
    return f'<dl class="provenance">{items}</dl>'


def _finished(run: RunView) -> str:
    """Finished samples lines of all the run has: one per (item, trial)."""
    trials = run.results.trials.num_trials if run.results.trials is not None else 1
    expected = run.results.n_items * trials
    text = f"{len(run.records)} finished of {expected}"
    return text if trials == 1 else f"{text} ({run.results.n_items} items x {trials} trials)"


def metric_cards(run: RunView, names: Sequence[str]) -> str:
    """The headline metric with its bootstrap interval, then a few others as cards."""
    metrics = run.results.metrics or {}
    headline = run.results.headline_metric
    cards = []
    if headline:
        interval = run.headline_interval()
        detail = (
            f"95% CI {interval[0]:.1f} – {interval[1]:.1f} ({interval[2]})"
            if interval
            else "no interval"
        )
        cards.append(
            f'<div class="card headline" id="headline"><div class="name">{escape(headline)} '
            f'(headline)</div><div class="value">{number(metrics.get(headline))}</div>'
            f'<div class="interval">{escape(detail)}</div></div>'
        )
    for name in names:
        if name in metrics and name != headline:
            cards.append(
                f'<div class="card"><div class="name">{escape(name)}</div>'
                f'<div class="value">{number(metrics[name])}</div></div>'
            )
    return f'<div class="cards">{"".join(cards)}</div>'


def frame_table(frame: pd.DataFrame, css_class: str) -> str:
    """A DataFrame as an HTML table (escaped; numbers right-aligned, missing as a dash)."""
    return frame.to_html(
        index=False,
        border=0,
        classes=css_class,
        na_rep=NONE,
        float_format=lambda v: f"{v:.1f}",
        escape=True,
    )


APP_D_DEFINITIONS = {
    "action_accuracy": "first response's action equals the gold action (App. D, x100)",
    "action_macro_f1": "mean F1 of CLARIFY and ANSWER over first responses (App. D, x100)",
    "execution_match": "the trajectory's final SQL returns the gold result (App. D, x100)",
}
APP_D_PREFIXES = {
    "turn_": "the immediate response y against the gold response r (App. D, x100)",
    "trajectory_": "the trajectory outcome g' against the goal g (App. D, x100)",
    "post_clarify_": "the outcome score over trajectories that clarified (App. D, x100)",
}


def definition(name: str) -> str:
    """What a metric measures, for the metrics table (README "Metrics" has the details)."""
    if name in METRIC_DEFINITIONS:
        return METRIC_DEFINITIONS[name]
    if name in APP_D_DEFINITIONS:
        return APP_D_DEFINITIONS[name]
    for prefix, text in APP_D_PREFIXES.items():
        if name.startswith(prefix):
            return text
    return "see README, Metrics"


def metrics_table(metric_sets: Mapping[str, Mapping[str, float | None]]) -> str:
    """Every metric as a row, one column per run, then what the metric means."""
    names = list(dict.fromkeys(name for metrics in metric_sets.values() for name in metrics))
    frame = pd.DataFrame(
        {
            "metric": names,
            **{
                label: [metrics.get(name) for name in names]
                for label, metrics in metric_sets.items()
            },
            "definition": [definition(name) for name in names],
        }
    )
    return frame_table(frame, "metrics")


def slices_tables(
    slices: Mapping[str, Mapping[str, Mapping[str, float | int | None]]], columns: Sequence[str]
) -> str:
    """One table per slice: each value's item count and the chosen metrics."""
    if not slices:
        return '<p class="note">This run has no slices (recorded before tasks declared them).</p>'
    parts = []
    for name, cells in slices.items():
        frame = pd.DataFrame(
            [
                {name: value, "items": cell["n_items"], **{c: cell.get(c) for c in columns}}
                for value, cell in cells.items()
            ]
        )
        parts.append(f"<h3>{escape(name)}</h3>{frame_table(frame, 'slices')}")
    return "".join(parts)


def filter_form(selects: Mapping[str, tuple[str, Iterable[str]]], *, scores: bool = True) -> str:
    """Selects named as the rows' data attributes, an optional score range, and a reset."""
    controls = []
    for name, (label, options) in selects.items():
        choices = "".join(f'<option value="{escape(o)}">{escape(o)}</option>' for o in options)
        controls.append(
            f'<label>{escape(label)}<select name="{escape(name)}">'
            f'<option value="">any</option>{choices}</select></label>'
        )
    if scores:
        for name, label in (("min", "score ≥"), ("max", "score ≤")):
            controls.append(
                f'<label>{label}<input type="number" name="{name}" step="0.05" min="0" '
                f'max="1"></label>'
            )
    controls.append('<button type="button" class="reset">reset</button>')
    return (
        f'<form class="filters">{"".join(controls)}</form>'
        '<p>Showing <span id="shown-count"></span> episodes. Click a row to see its '
        "trajectory; filters can be set in the URL too "
        "(<code>#predicted=CLARIFY&amp;expand=first</code>).</p>"
    )


def action_badge(action: str | None) -> str:
    label = action or "unlabelled"
    return f'<span class="action {escape(label)}">{escape(label)}</span>'


def trajectory_view(record: EpisodeRecord) -> str:
    """Who said what, each turn's action, the user's replies, the outcome and its scores."""
    trajectory = record.trajectory
    goal = record.goal
    meta = {
        "user's intent (goal request)": goal.request,
        "gold response r": record.gold_response,
        "goal answer g": goal.answer if isinstance(goal.answer, str) else repr(goal.answer),
        "recorded clarification": goal.clarification or NONE,
        "outcome g'": (trajectory.outcome or NONE)
        if trajectory.answered
        else "none: never answered",
        "stop reason": trajectory.stop_reason.value,
        "turn score": f"{record.turn_score:.3f}",
        "trajectory score": f"{record.trajectory_score:.3f}",
    }
    if trajectory.error:
        meta["error"] = trajectory.error
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in meta.items())
    turns = []
    for turn in trajectory.turns:
        policy = turn.speaker is Speaker.POLICY
        badge = action_badge(turn.action.value if turn.action else None) if policy else ""
        cost = (
            f'<span class="cost">{turn.prompt_tokens}+{turn.completion_tokens} tokens · '
            f"{turn.latency_s:.2f} s</span>"
            if policy
            else ""
        )
        raw = (
            f"<details><summary>raw model text</summary>"
            f'<div class="text">{escape(turn.raw_text)}</div></details>'
            if turn.raw_text is not None and turn.raw_text != turn.text
            else ""
        )
        speaker = "policy" if policy else "user simulator"
        turns.append(
            f'<li class="turn {turn.speaker.value}"><span class="who">{speaker}</span>{badge} '
            f'{cost}<div class="text">{escape(turn.text)}</div>{raw}</li>'
        )
    return (
        f'<dl class="meta">{items}</dl><ol class="turns">{"".join(turns)}</ol>'
        if turns
        else f'<dl class="meta">{items}</dl><p class="note">No turns.</p>'
    )
