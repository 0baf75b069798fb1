"""standard_metrics and metric_counts over small hand-built episode records."""

from __future__ import annotations

from act_bench.metrics import metric_counts, standard_metrics
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


def trajectory(clarified: bool, stop_reason: StopReason = StopReason.ANSWERED) -> Trajectory:
    """One direct answer, or a question, the user's reply and an answer."""
    if not clarified:
        turns = (TrajectoryTurn(Speaker.POLICY, "['2019']", A),)
    else:
        turns = (
            TrajectoryTurn(Speaker.POLICY, "Which year?", C),
            TrajectoryTurn(Speaker.USER, "2019"),
            TrajectoryTurn(Speaker.POLICY, "['2019']", A),
        )
    return Trajectory(turns=turns, stop_reason=stop_reason)


def record(
    turn_state_id: str,
    *,
    gold: Action = A,
    predicted: Action | None = A,
    turn: float = 0.0,
    outcome: float = 0.0,
    clarified: bool = False,
    stop_reason: StopReason = StopReason.ANSWERED,
    goal_index: int = 0,
) -> EpisodeRecord:
    return EpisodeRecord(
        id=f"{turn_state_id}#g{goal_index}",
        turn_state_id=turn_state_id,
        conversation_id="conversation",
        goal_index=goal_index,
        gold_action=gold,
        predicted_action=predicted,
        gold_response="['2019']",
        goal=Goal(answer=["2019"], request="What were sales in 2019?"),
        trajectory=trajectory(clarified, stop_reason),
        turn_score=turn,
        trajectory_score=outcome,
    )


RECORDS = [
    record("t1", gold=C, predicted=C, turn=1.0, outcome=1.0, clarified=True),
    record("t2", gold=A, predicted=A, turn=0.5, outcome=1.0),
    record("t3", gold=A, predicted=C, turn=0.0, outcome=0.0, clarified=True),
    record("t4", gold=A, predicted=None, turn=0.0, outcome=0.5),
]


def test_standard_metrics_by_hand() -> None:
    assert standard_metrics(RECORDS, "drop_f1") == {
        "action_accuracy": 50.0,  # t1, t2 right of 4
        # CLARIFY F1 2/3, ANSWER F1 1/2 -> 7/12.
        "action_macro_f1": 58.3333,
        "turn_drop_f1": 37.5,  # 1.5 / 4
        "trajectory_drop_f1": 62.5,  # 2.5 / 4
        "post_clarify_drop_f1": 50.0,  # t1 and t3 clarified: (1 + 0) / 2
    }


def test_values_are_rounded_to_four_decimals() -> None:
    records = [record("t1", turn=1.0), record("t2"), record("t3")]
    assert standard_metrics(records, "drop_f1")["turn_drop_f1"] == 33.3333


def test_turn_score_per_unique_prompt() -> None:
    # t1 has three interpretations (mean 0.5), t2 one (0.0): (0.5 + 0) / 2 = 25.0,
    # where the plain mean over records is 1.5 / 4 = 37.5.
    records = [
        record("t1", turn=1.0, goal_index=0),
        record("t1", turn=0.0, goal_index=1),
        record("t1", turn=0.5, goal_index=2),
        record("t2", turn=0.0),
    ]
    assert (
        standard_metrics(records, "similarity", turn_per_unique_prompt=True)["turn_similarity"]
        == 25.0
    )
    assert standard_metrics(records, "similarity")["turn_similarity"] == 37.5


def test_post_clarify_can_be_left_out() -> None:
    metrics = standard_metrics(RECORDS, "similarity", post_clarify=False)
    assert list(metrics) == [
        "action_accuracy",
        "action_macro_f1",
        "turn_similarity",
        "trajectory_similarity",
    ]


def test_post_clarify_is_none_without_clarified_trajectories() -> None:
    metrics = standard_metrics([record("t1", outcome=1.0)], "drop_f1")
    assert metrics["post_clarify_drop_f1"] is None
    assert metrics["trajectory_drop_f1"] == 100.0


def test_empty_records_give_none_everywhere() -> None:
    assert standard_metrics([], "execution_match") == {
        "action_accuracy": None,
        "action_macro_f1": None,
        "turn_execution_match": None,
        "trajectory_execution_match": None,
        "post_clarify_execution_match": None,
    }


def test_metric_counts() -> None:
    records = [
        *RECORDS,
        record("t4", goal_index=1, stop_reason=StopReason.BACKEND_ERROR),
        record("t5", gold=C, predicted=C, clarified=True, stop_reason=StopReason.TURN_CAP),
    ]
    assert metric_counts(records) == {
        "n_items": 6,
        "n_turn_states": 5,
        "n_clarified": 3,
        "n_gold_clarify": 2,
        "n_predicted_clarify": 3,
        "n_backend_errors": 1,
        "n_turn_cap": 1,
        "n_no_answer": 2,  # the backend error and the turn cap
    }


def test_metric_counts_of_nothing() -> None:
    assert metric_counts([]) == dict.fromkeys(
        [
            "n_items",
            "n_turn_states",
            "n_clarified",
            "n_gold_clarify",
            "n_predicted_clarify",
            "n_backend_errors",
            "n_turn_cap",
            "n_no_answer",
        ],
        0,
    )
