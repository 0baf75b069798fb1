"""The PACIFIC task: registration, scoring with DROP F1, metrics and missing files."""

from __future__ import annotations

import pytest
from act_bench_tasks.pacific import PacificTask, task

from act_bench.errors import ConfigError, DataError
from act_bench.task import Task, get_task
from act_bench.types import (
    Action,
    EpisodeRecord,
    Goal,
    Speaker,
    StopReason,
    Trajectory,
    TrajectoryTurn,
)


@pytest.fixture(scope="module")
def sample():
    """The bundled sample's turn states, keyed ``(conversation number, order)``."""
    return {
        (number, state.metadata["order"]): state
        for number, conversation in enumerate(task.load("validation", None))
        for state in conversation.turn_states
    }


def test_registered_through_the_entry_point():
    found = get_task("pacific")
    assert isinstance(found, PacificTask) and isinstance(found, Task)
    assert found.headline_metric == "trajectory_drop_f1"
    assert found.splits == ("train", "validation", "test")


@pytest.mark.parametrize(
    ("key", "response", "expected"),
    [
        ((0, 3), "['27,899']", 1.0),  # span in thousands, ACT format
        ((0, 3), "27,899 thousand", 1.0),  # scale stated in words
        ((0, 3), "27899000", 1.0),  # the value itself
        ((0, 3), "25,783", 0.0),  # the other year
        ((0, 4), "7,315 - 6,880 = 435", 1.0),  # arithmetic: the number after "="
        ((0, 4), "435.5", 0.0),  # arithmetic is exact match
        ((0, 5), "6.32%", 1.0),  # percent scale
        ((0, 2), "Which year are you asking about?", 1.0),  # clarifying turn vs its question
        ((0, 2), "Which year do you mean?", 0.55),  # token F1 of two questions
        ((0, 2), "['27,899']", 0.0),  # answering where the data clarifies
        ((2, 4), "['$ 96,210']", 0.67),  # one of two spans
        ((2, 4), "['$ 96,210', '$ 31,508']", 1.0),
        ((2, 1), "2", 1.0),  # count: its text is one span
        ((2, 1), "3", 0.0),
        ((1, 5), "because more customers chose self-service onboarding", 0.62),
    ],
)
def test_score_turn(sample, key, response, expected):
    assert task.score_turn(response, sample[key]) == pytest.approx(expected)


def test_score_turn_uses_the_answer_not_the_derivation(sample):
    state = sample[(0, 4)]
    assert state.gold_response == "7,315 - 6,880 = 435"
    assert task.score_turn("435", state) == 1.0


@pytest.mark.parametrize(
    ("key", "outcome", "expected"),
    [
        ((0, 2), "['27,899']", 1.0),  # the clarifying turn's goal is the 2023 total
        ((0, 2), "['25,783']", 0.0),
        ((0, 2), "Which year?", 0.0),  # a trajectory that never answers
        ((2, 2), "96,210 - 88,473 = 7737", 1.0),
        ((2, 2), "$7.737 million", 1.0),  # goal in thousands
        ((2, 2), "7736", 0.0),
    ],
)
def test_score_outcome(sample, key, outcome, expected):
    assert task.score_outcome(outcome, sample[key].goals[0]) == pytest.approx(expected)


def test_score_outcome_on_a_handmade_goal():
    goal = Goal(
        answer=["$ 1.5", "$ 2.5"],
        request="What were revenue and costs?",
        metadata={"scale": "million", "answer_type": "multi-span"},
    )
    assert task.score_outcome("['$ 2.5', '$ 1.5']", goal) == 1.0
    assert task.score_outcome("['$ 1.5']", goal) == pytest.approx(0.67)


def record(state, response: str, action: Action, outcome: str) -> EpisodeRecord:
    turns = [TrajectoryTurn(Speaker.POLICY, response, action)]
    if outcome != response:
        turns += [TrajectoryTurn(Speaker.USER, "2023."), TrajectoryTurn(Speaker.POLICY, outcome)]
    trajectory = Trajectory(tuple(turns), StopReason.ANSWERED)
    return EpisodeRecord(
        id=state.id,
        turn_state_id=state.id,
        conversation_id=state.conversation_id,
        goal_index=0,
        gold_action=state.gold_action,
        predicted_action=action,
        gold_response=state.gold_response,
        goal=state.goals[0],
        trajectory=trajectory,
        turn_score=task.score_turn(response, state),
        trajectory_score=task.score_outcome(outcome, state.goals[0]),
    )


def test_metrics(sample):
    records = [
        record(sample[(0, 2)], "Which year?", Action.CLARIFY, "['27,899']"),
        record(sample[(0, 3)], "['27,899']", Action.ANSWER, "['27,899']"),
        record(sample[(0, 4)], "Which figures?", Action.CLARIFY, "435.5"),
    ]
    metrics = task.metrics(records)
    assert set(metrics) == {
        "action_accuracy",
        "action_macro_f1",
        "turn_drop_f1",
        "trajectory_drop_f1",
        "post_clarify_drop_f1",
    }
    assert metrics["action_accuracy"] == pytest.approx(200 / 3, abs=1e-3)
    assert metrics["trajectory_drop_f1"] == pytest.approx(200 / 3, abs=1e-3)
    assert metrics["post_clarify_drop_f1"] == pytest.approx(50.0)


def test_missing_split_file_hints_the_download(tmp_path):
    (tmp_path / "pacific").mkdir()
    with pytest.raises(DataError) as caught:
        task.load("train", tmp_path)
    error = caught.value
    assert error.file == str(tmp_path / "pacific" / "train.json")
    assert "official training split" in str(error)
    assert error.hint == f"act-bench data download pacific --data-dir {tmp_path}"


def test_sample_has_only_the_validation_split():
    with pytest.raises(DataError, match="only the validation split") as caught:
        task.load("test", None)
    assert "act-bench data download pacific" in caught.value.hint


def test_unknown_split_suggests_the_closest():
    with pytest.raises(ConfigError, match="unknown split") as caught:
        task.load("valid", None)
    assert caught.value.hint == "did you mean 'validation'?"


def test_data_files():
    assert task.data_files("validation", None).name == "validation.json"
    assert task.data_files("test", None).parent.name == "sample"
    assert str(task.data_files("train", "root")) == "root/pacific/train.json"


def test_in_context_examples_come_from_fewshot():
    from act_bench_tasks.pacific import fewshot

    assert list(task.classifier_examples()) == list(fewshot.classifier_examples())
    assert task.simulator_examples() == fewshot.simulator_examples()
