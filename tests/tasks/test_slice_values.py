"""Each task's declared slices on its bundled sample (issue 18)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from act_bench.evaluation import EvalConfig, run_evaluation
from act_bench.metrics.clarification import CLARIFICATION_METRICS
from act_bench.task import get_task, turn_states


def slice_counts(task_name: str, slice_name: str) -> Counter:
    task = get_task(task_name)
    states = turn_states(task.load("validation", None))
    return Counter(task.slice_values(state)[slice_name] for state in states)


def test_ambigsql_by_ambiguity_type_with_the_clear_twins():
    assert slice_counts("ambigsql", "ambiguity_type") == {
        "clear": 6,
        "information": 2,
        "population": 2,
        "presentation": 2,
    }


def test_abg_coqa_by_number_of_interpretations():
    task = get_task("abg-coqa")
    states = turn_states(task.load("validation", None))
    for state in states:
        value = task.slice_values(state)["interpretations"]
        expected = "clear" if state.gold_action.value == "ANSWER" else str(len(state.goals))
        assert value == expected
    assert slice_counts("abg-coqa", "interpretations") == {"clear": 6, "2": 2, "3": 1}


def test_pacific_by_turn_position_and_answer_type():
    assert slice_counts("pacific", "turn_position") == {str(n): 3 for n in range(1, 6)}
    assert slice_counts("pacific", "answer_type") == {
        "span": 5,
        "arithmetic": 4,
        "question": 3,
        "multi-span": 2,
        "count": 1,
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "slices"),
    [
        ("ambigsql", {"ambiguity_type"}),
        ("abg-coqa", {"interpretations"}),
        ("pacific", {"turn_position", "answer_type"}),
    ],
)
def test_eval_writes_clarification_metrics_and_slices(task, slices, tmp_path, monkeypatch):
    """A scripted-policy run of each task's bundled sample: results.json has the new
    metrics, their counts, and every slice with counts that add up to the run's items."""
    from helpers import register_scripted_backend

    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)  # the bundled sample, even in CI

    register_scripted_backend()
    out = tmp_path / task
    config = EvalConfig(task=task, model="scripted", output_dir=str(out))
    run_evaluation(config, show_progress=False)
    results = json.loads((out / "results.json").read_text())
    assert set(CLARIFICATION_METRICS) <= set(results["metrics"])
    counts = results["counts"]
    assert counts["n_over_clarified"] <= counts["n_gold_answer"]
    assert counts["n_true_clarify"] + counts["n_under_clarified"] <= counts["n_gold_clarify"]
    assert counts["n_gold_answer"] + counts["n_gold_clarify"] == counts["n_items"]
    assert set(results["slices"]) == slices
    for cells in results["slices"].values():
        assert sum(cell["n_items"] for cell in cells.values()) == counts["n_items"]
        assert all(set(CLARIFICATION_METRICS) <= set(cell) for cell in cells.values())
    lines = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert all(set(line["slices"]) == slices for line in lines)
