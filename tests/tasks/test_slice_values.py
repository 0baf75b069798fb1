"""Each task's declared slices on its bundled sample (issue 18)."""

from __future__ import annotations

from collections import Counter

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
