"""The report's figures, drawn with matplotlib and inlined as SVG.

Why matplotlib rather than Vega-Lite: the page must work offline, so Vega-Lite would mean
inlining its runtime (vega, vega-lite and vega-embed, about 1 MB of JavaScript) in every
report and vendoring it in the package; matplotlib draws each figure once, at build time,
as a few kilobytes of static SVG that any browser shows without running a script, and it
is tested like any Python code. The figures are static, which is all a run report needs;
the interactive part (filtering the episodes) is a small script of our own.

Every figure is built on an ``matplotlib.figure.Figure`` (not pyplot), so no global state
or GUI backend is involved, and text is kept as SVG text (``svg.fonttype: none``) so the
figures stay small and readable by a text search (the tests use that).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from act_bench.report.run import UNLABELLED

ACTIONS = ("CLARIFY", "ANSWER")
COLORS = {"CLARIFY": "#d9822b", "ANSWER": "#2b6cb0", "over": "#c53030", "under": "#6b46c1"}
SIZE = (4.6, 3.1)

# Applied around each figure's drawing and saving only (``rc_context`` as a decorator), so
# importing this module leaves the process's matplotlib settings as they were.
STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "act-bench",  # stable element ids: the same run gives the same page
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@matplotlib.rc_context(STYLE)
def to_svg(figure: Figure) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog, no creation date)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figure() -> tuple[Figure, object]:
    figure = Figure(figsize=SIZE, layout="constrained")
    return figure, figure.add_subplot()


@matplotlib.rc_context(STYLE)
def confusion_matrix(frame: pd.DataFrame) -> Figure:
    """Gold action (rows) against predicted action (columns), with counts and row shares."""
    predicted = [*ACTIONS, *([UNLABELLED] if (frame.predicted_action == UNLABELLED).any() else [])]
    table = pd.crosstab(frame.gold_action, frame.predicted_action).reindex(
        index=list(ACTIONS), columns=predicted, fill_value=0
    )
    shares = table.div(table.sum(axis=1).replace(0, 1), axis=0)
    figure, axes = _figure()
    axes.imshow(shares.to_numpy(), cmap="Blues", vmin=0, vmax=1)
    for row, gold in enumerate(table.index):
        for column, label in enumerate(table.columns):
            count, share = table.loc[gold, label], shares.loc[gold, label]
            color = "white" if share > 0.6 else "#222"
            axes.text(column, row, f"{count}\n{share:.0%}", ha="center", va="center", color=color)
    axes.set_xticks(range(len(predicted)), [f"predicted {p}" for p in predicted])
    axes.set_yticks(range(len(ACTIONS)), [f"gold {g}" for g in ACTIONS])
    axes.set_title("Action confusion (first response)")
    return figure


@matplotlib.rc_context(STYLE)
def score_distribution(frame: pd.DataFrame, metric: str) -> Figure:
    """Histogram of trajectory scores, stacked by gold action."""
    figure, axes = _figure()
    bins = [i / 10 for i in range(11)]
    groups = [frame.trajectory_score[frame.gold_action == action] for action in ACTIONS]
    axes.hist(
        groups,
        bins=bins,
        stacked=True,
        label=[f"gold {a}" for a in ACTIONS],
        color=[COLORS[a] for a in ACTIONS],
    )
    axes.set_xlabel(f"trajectory score ({metric}), per episode")
    axes.set_ylabel("episodes")
    axes.set_title("Score distribution")
    axes.legend(frameon=False)
    return figure


@matplotlib.rc_context(STYLE)
def score_by_rounds(frame: pd.DataFrame) -> Figure:
    """Mean trajectory score (x100) by number of clarification rounds, with counts."""
    summary = frame.groupby("rounds").trajectory_score.agg(["mean", "size"])
    figure, axes = _figure()
    positions = range(len(summary))
    bars = axes.bar(positions, summary["mean"] * 100, color="#2f855a")
    axes.bar_label(bars, labels=[f"n={n}" for n in summary["size"]], padding=2)
    axes.set_xticks(positions, [str(r) for r in summary.index])
    axes.set_xlabel("clarification rounds")
    axes.set_ylabel("mean trajectory score (x100)")
    axes.set_ylim(0, 110)
    axes.set_title("Score by clarification rounds")
    return figure


@matplotlib.rc_context(STYLE)
def slice_bars(name: str, cells: Mapping[str, Mapping[str, float | int | None]], metric: str):
    """``metric`` for each value of one slice, with its item count."""
    values = list(cells)
    heights = [cells[v].get(metric) or 0.0 for v in values]
    figure, axes = _figure()
    bars = axes.bar(range(len(values)), heights, color="#3182ce")
    axes.bar_label(bars, labels=[f"n={cells[v]['n_items']}" for v in values], padding=2)
    axes.set_xticks(range(len(values)), values, rotation=20 if len(values) > 4 else 0)
    axes.set_ylabel(f"{metric} (x100)")
    axes.set_ylim(0, 110)
    axes.set_title(f"{metric} by {name}")
    return figure


@matplotlib.rc_context(STYLE)
def clarification_rates(
    metrics: Mapping[str, float | None],
    slices: Mapping[str, Mapping[str, Mapping[str, float | int | None]]],
) -> Figure:
    """Over- and under-clarification rates, overall and for each value of the first slice
    (a missing bar: no item of that gold action there)."""
    groups = {"all": metrics}
    if slices:
        first = next(iter(slices))
        groups.update({f"{first}={v}": cell for v, cell in slices[first].items()})
    labels = list(groups)
    figure, axes = _figure()
    width = 0.38
    for offset, (key, label) in enumerate(
        (("over_clarification_rate", "over"), ("under_clarification_rate", "under"))
    ):
        xs = [i + (offset - 0.5) * width for i in range(len(labels))]
        heights = [groups[g].get(key) for g in labels]
        bars = axes.bar(
            [x for x, h in zip(xs, heights, strict=True) if h is not None],
            [h for h in heights if h is not None],
            width,
            label=f"{label}-clarification",
            color=COLORS[label],
        )
        axes.bar_label(bars, fmt="%.0f", padding=1)
    axes.set_xticks(
        range(len(labels)),
        [_short(label) for label in labels],
        rotation=20 if len(labels) > 4 else 0,
    )
    axes.set_ylabel("rate (x100)")
    axes.set_ylim(0, 135)  # room above the 100 % bars for the legend
    axes.set_title("Over- and under-clarification")
    axes.legend(frameon=False, loc="upper center", ncols=2)
    return figure


def _short(label: str) -> str:
    return re.sub(r"^[^=]+=", "", label)


@matplotlib.rc_context(STYLE)
def headline_bars(
    labels: list[str],
    values: list[float | None],
    metric: str,
    intervals: list[tuple[float, float] | None] | None = None,
) -> Figure:
    """A leaderboard group's headline metric, one horizontal bar per row in rank order,
    with each row's interval (where it has one) as an error bar."""
    height = 0.6 + 0.26 * len(labels)
    figure = Figure(figsize=(3.4, height), layout="constrained")
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    bars = axes.barh(positions, [v or 0.0 for v in values], color="#3182ce", height=0.7)
    for position, value, pair in zip(positions, values, intervals or [], strict=False):
        if value is not None and pair is not None:
            axes.errorbar(
                value,
                position,
                xerr=[[value - pair[0]], [pair[1] - value]],
                color="#1a202c",
                capsize=2,
                linewidth=0.8,
            )
    axes.bar_label(bars, labels=["–" if v is None else f"{v:.1f}" for v in values], padding=2)
    axes.set_yticks(positions, [_clip(label) for label in labels])
    axes.invert_yaxis()
    axes.set_xlim(0, 110)
    axes.set_xlabel(f"{metric} (x100)")
    return figure


def _clip(label: str, width: int = 22) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
