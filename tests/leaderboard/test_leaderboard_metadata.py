"""The leaderboard learns a task's metric names and headline from its declared metadata
(Task.metric_names, headline_metric), never by running the task's code."""

from __future__ import annotations

import pytest

from act_bench.errors import DataError
from act_bench.leaderboard import read_submission
from act_bench.leaderboard.render import group_rows
from act_bench.leaderboard.store import Row
from act_bench.task import TASKS, get_task, task_names


class DeclaredOnly:
    """A task whose metadata is all the leaderboard may use: running it fails."""

    def __init__(self, base):
        self._base = base

    def __getattr__(self, name):
        return getattr(self._base, name)

    def metrics(self, records):
        raise AssertionError("the leaderboard ran the task's metrics()")


@pytest.fixture
def pacific_with_reordered_metrics(monkeypatch):
    """PACIFIC, re-declared with its turn metric first and ranked by action accuracy."""
    task_names()
    base = get_task("pacific")
    task = DeclaredOnly(base)
    monkeypatch.setattr(
        DeclaredOnly,
        "metric_names",
        ("turn_drop_f1", *(n for n in base.metric_names if n != "turn_drop_f1")),
        raising=False,
    )
    monkeypatch.setattr(DeclaredOnly, "headline_metric", "action_accuracy", raising=False)
    monkeypatch.setitem(TASKS._entries, "pacific", task)
    return task


def row(name: str, metrics: dict[str, float | None]) -> Row:
    return Row(
        id=1,
        name=name,
        source="ours",
        task="pacific",
        split="validation",
        model="m",
        approach=None,
        simulator="gold",
        action_classifier="heuristic",
        prompt_style="standard",
        num_shots=0,
        conversations=None,
        n_items=3,
        config_hash="0" * 64,
        submitted_at="2026-01-01T00:00:00",
        reference=None,
        data_source="sample",
        n_backend_errors=0,
        protocol="act-bench",
        metrics=metrics,
    )


def test_groups_order_and_rank_by_the_declared_metrics(pacific_with_reordered_metrics) -> None:
    values = {"action_accuracy": 10.0, "turn_drop_f1": 90.0, "extra_metric": 1.0}
    better = {**values, "action_accuracy": 80.0, "turn_drop_f1": 20.0}
    [group] = group_rows([row("a", values), row("b", better)])
    assert group.headline == "action_accuracy"
    assert group.metrics == ("turn_drop_f1", "action_accuracy", "extra_metric")
    assert group.primary_metrics == ("turn_drop_f1", "action_accuracy")
    assert [r.name for r in group.rows] == ["b", "a"]


def test_a_submission_needs_every_declared_metric(
    pacific_with_reordered_metrics, finished_runs, monkeypatch
) -> None:
    assert read_submission(finished_runs[0]).task == "pacific"
    monkeypatch.setattr(
        DeclaredOnly, "metric_names", ("action_accuracy", "a_new_metric"), raising=False
    )
    with pytest.raises(DataError, match="metrics missing for task pacific: a_new_metric"):
        read_submission(finished_runs[0])
