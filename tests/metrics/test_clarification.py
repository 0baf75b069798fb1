"""Clarification metrics on hand-made records: every rate's numerator and denominator."""

from __future__ import annotations

import pytest

from act_bench.metrics.clarification import (
    CLARIFICATION_METRICS,
    clarification_counts,
    clarification_metrics,
    clarification_rounds,
)
from act_bench.types import (
    Action,
    EpisodeRecord,
    Goal,
    Speaker,
    StopReason,
    Trajectory,
    TrajectoryTurn,
)

C, A = Action.CLARIFY, Action.ANSWER
GOLD_QUESTION = "Which year do you mean?"


def trajectory(questions: int, stop: StopReason = StopReason.ANSWERED) -> Trajectory:
    """``questions`` rounds of question and reply, then an answer unless the run stopped."""
    turns: list[TrajectoryTurn] = []
    for number in range(questions):
        turns.append(TrajectoryTurn(Speaker.POLICY, f"Question {number}?", C))
        if number < questions - 1 or stop is StopReason.ANSWERED:
            turns.append(TrajectoryTurn(Speaker.USER, "2019"))
    if stop is StopReason.ANSWERED:
        turns.append(TrajectoryTurn(Speaker.POLICY, "42", A))
    return Trajectory(turns=tuple(turns), stop_reason=stop)


def record(
    turn_state_id: str,
    gold: Action,
    predicted: Action | None,
    *,
    questions: int = 0,
    stop: StopReason = StopReason.ANSWERED,
    score: float = 0.0,
    goal_index: int = 0,
) -> EpisodeRecord:
    if predicted is A and questions:
        raise ValueError("a direct answer asks no question")
    return EpisodeRecord(
        id=f"{turn_state_id}#g{goal_index}",
        turn_state_id=turn_state_id,
        conversation_id="c",
        goal_index=goal_index,
        gold_action=gold,
        predicted_action=predicted,
        gold_response=GOLD_QUESTION if gold is C else "42",
        goal=Goal(answer="42", request="r"),
        trajectory=trajectory(questions, stop),
        turn_score=0.0,
        trajectory_score=score,
    )


# 4 gold ANSWER: 1 over-clarified (asked one question), 3 answered directly.
# 5 gold CLARIFY: 3 asked (one never answered, at the turn cap after 3 questions),
#                 1 answered directly, 1 unclassified first response (answered anyway).
RECORDS = [
    record("a1", A, C, questions=1, score=1.0),
    record("a2", A, A, score=1.0),
    record("a3", A, A, score=0.0),
    record("a4", A, A, score=1.0),
    record("c1", C, C, questions=1, score=1.0),
    record("c2", C, C, questions=2, score=0.5),
    record("c3", C, C, questions=3, stop=StopReason.TURN_CAP, score=0.0),
    record("c4", C, A, score=0.2),
    record("c5", C, None, score=0.4),
]


def fixed_similarity(pairs):
    """0.8 for every pair, negative for one, to check the floor at 0."""
    return [-0.5 if a == "never" else 0.8 for a, _ in pairs]


def metrics(records=RECORDS, tolerance=0.5):
    return clarification_metrics(records, tolerance=tolerance, similarity=fixed_similarity)


def test_counts_hold_every_numerator_and_denominator():
    counts = clarification_counts(RECORDS)
    assert counts.n_items == 9
    assert (counts.n_gold_answer, counts.n_gold_clarify) == (4, 5)
    assert counts.n_predicted_clarify == 4  # a1, c1, c2, c3
    assert counts.n_over_clarified == 1  # a1
    assert counts.n_under_clarified == 1  # c4: c5 is unclassified, not an answer
    assert counts.n_true_clarify == 3  # c1, c2, c3
    assert (counts.n_gold_clarify_asked, counts.n_gold_clarify_direct) == (3, 2)
    assert counts.n_question_pairs == 3
    assert counts.n_no_answer == 1  # c3
    assert counts.total_clarification_rounds == 1 + 1 + 2 + 3


def test_rates_are_their_definitions():
    values = metrics()
    assert values["over_clarification_rate"] == 25.0  # 1 / 4 gold ANSWER
    assert values["under_clarification_rate"] == 20.0  # 1 / 5 gold CLARIFY
    assert values["clarify_precision"] == 75.0  # 3 / 4 predicted CLARIFY
    assert values["clarify_recall"] == 60.0  # 3 / 5 gold CLARIFY
    assert values["clarify_f1"] == pytest.approx(100 * 2 * 3 / (2 * 3 + 1 + 2))
    assert values["mean_clarification_rounds"] == pytest.approx(7 / 9, abs=1e-4)
    assert values["never_answered_rate"] == pytest.approx(100 / 9, abs=1e-4)
    assert values["question_similarity"] == 80.0
    assert values["ambiguous_score_asked"] == pytest.approx(100 * (1.0 + 0.5 + 0.0) / 3)
    assert values["ambiguous_score_direct"] == pytest.approx(100 * (0.2 + 0.4) / 2)
    assert values["interpretation_coverage"] is None  # no request with several goals
    assert list(values) == list(CLARIFICATION_METRICS)


def test_rounds_of_each_trajectory():
    by_id = {r.turn_state_id: clarification_rounds(r) for r in RECORDS}
    assert by_id == {
        "a1": 1,
        "a2": 0,
        "a3": 0,
        "a4": 0,
        "c1": 1,
        "c2": 2,
        "c3": 3,
        "c4": 0,
        "c5": 0,
    }


def test_undefined_rates_are_none_and_f1_zero_when_never_asking():
    only_clarify_needed = [record("c1", C, A, score=1.0), record("c2", C, A)]
    values = metrics(only_clarify_needed)
    assert values["over_clarification_rate"] is None  # no gold ANSWER
    assert values["under_clarification_rate"] == 100.0
    assert values["clarify_precision"] is None  # never predicted CLARIFY
    assert values["clarify_recall"] == 0.0
    assert values["clarify_f1"] == 0.0
    assert values["question_similarity"] is None
    assert values["ambiguous_score_asked"] is None
    assert values["ambiguous_score_direct"] == 50.0


def test_question_quality_once_per_turn_state_and_floored():
    asked = [
        record("c1", C, C, questions=1, goal_index=0),
        record("c1", C, C, questions=1, goal_index=1),
    ]
    seen = []

    def similarity(pairs):
        seen.extend(pairs)
        return [-0.3 for _ in pairs]

    values = clarification_metrics(asked, tolerance=0.5, similarity=similarity)
    assert seen == [("Question 0?", GOLD_QUESTION)]  # interpretations share y: one pair
    assert values["question_similarity"] == 0.0


def test_interpretation_coverage_uses_epsilon_strictly():
    # t1: 3 interpretations, scores 0.9, 0.5 (not > 0.5), 0.6 -> 2/3; t2: 2 of which 0 -> 0/2;
    # the clear item is not an ambiguous request and does not count.
    records = [
        record("t1", C, C, questions=1, score=0.9, goal_index=0),
        record("t1", C, C, questions=1, score=0.5, goal_index=1),
        record("t1", C, C, questions=1, score=0.6, goal_index=2),
        record("t2", C, A, score=0.1, goal_index=0),
        record("t2", C, A, score=0.0, goal_index=1),
        record("t3", A, A, score=1.0),
    ]
    values = metrics(records, tolerance=0.5)
    assert clarification_counts(records).n_multi_interpretation == 2
    assert values["interpretation_coverage"] == pytest.approx(100 * (2 / 3 + 0) / 2, abs=1e-4)


def test_no_records_gives_no_numbers():
    values = metrics([])
    assert all(value is None for value in values.values())


def test_trials_of_a_one_goal_request_are_not_interpretations():
    # results.json's counts and slices pool every trial's records: two trials of one goal
    # are repetitions (coverage undefined), and each trial's question is its own pair.
    from dataclasses import replace

    trials = [
        replace(record("c1", C, C, questions=1, score=1.0), trial=0),
        replace(record("c1", C, C, questions=1, score=0.0), trial=1),
    ]
    counts = clarification_counts(trials)
    assert counts.n_multi_interpretation == 0
    assert counts.n_question_pairs == 2
    assert metrics(trials)["interpretation_coverage"] is None


def test_asking_once_then_hitting_the_cap_counts_as_asking_not_as_a_direct_answer():
    """A gold-CLARIFY item whose policy asked once and then stopped at the turn cap (or on a
    backend error) is 'asked', never 'direct', in the does-asking-pay-off split."""
    capped = record("t1", C, C, questions=1, stop=StopReason.TURN_CAP)
    errored = record("t2", C, C, questions=1, stop=StopReason.BACKEND_ERROR)
    direct = record("t3", C, A, score=1.0)
    assert capped.trajectory.clarified and errored.trajectory.clarified
    assert not direct.trajectory.clarified
    counts = clarification_counts([capped, errored, direct])
    assert counts.n_gold_clarify_asked == 2
    assert counts.n_gold_clarify_direct == 1
    values = metrics([capped, errored, direct])
    assert values["ambiguous_score_direct"] == 100.0
    assert values["ambiguous_score_asked"] == 0.0
