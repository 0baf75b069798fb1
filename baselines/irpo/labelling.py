"""IRPO's labels: which of the policy's sampled responses are correct (§4.3; Pang et al.).

A sample is correct iff its action, as the action classifier A judges it (App. G), is the
turn's gold action and, at an ANSWER turn, its content clears ε: H(y, g), the task's
``score_outcome`` against the goal (the best over a turn's goals), or with
``against="response"`` the task's ``score_turn`` against the gold response r, compared with
ε as the evaluation protocol compares (act-bench H > ε, act-paper H >= ε:
:meth:`~act_bench.protocols.EvaluationProtocol.clears_tolerance`).

At a CLARIFY turn asking is what is right. Scoring a question's content against the goal
would call every question wrong (on AmbigSQL a question executes as no SQL and scores 0;
on PACIFIC the gold question itself misses the answer), while the paper's IRPO reaches
91-97 % action accuracy on AmbigSQL (Tables 3, A9), so its labels rewarded asking. The
action is the label there; ``clarify_similarity_floor`` optionally also asks the question
to be at least that similar to the gold one (cosine similarity of all-MiniLM-L6-v2
embeddings, :mod:`act_bench.metrics.similarity`), so that an off-topic question is wrong.

Each sample is labelled on its final utterance: what the prompting style's parser (the
``cot`` style of §5.1 writes a reasoning line first) and the protocol's cut leave of it, as
the episode loop keeps a response.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from act_bench.protocols import ACT_BENCH, EvaluationProtocol
from act_bench.task import Task
from act_bench.types import Action, TurnState

LABEL_TARGETS = ("goal", "response")
Similarity = Callable[[Sequence[tuple[str, str]]], list[float]]


@dataclass(frozen=True, slots=True)
class LabelRule:
    """How samples are labelled: H's target, ε, the protocol, the CLARIFY floor."""

    against: str = "goal"
    threshold: float = 0.5
    protocol: EvaluationProtocol = ACT_BENCH
    clarify_similarity_floor: float | None = None


@dataclass(frozen=True, slots=True)
class LabeledSample:
    """One sampled response y: its final utterance, its action, the score that decided its
    label (H at an ANSWER turn; at a CLARIFY turn the similarity to the gold question under a
    floor, else 1 for asking), the label, and what the policy wrote when it differs."""

    turn_state_id: str
    index: int
    text: str
    score: float
    correct: bool
    action: Action | None = None
    raw: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "turn_state_id": self.turn_state_id,
            "index": self.index,
            "text": self.text,
            "action": self.action.value if self.action else None,
            "score": self.score,
            "correct": self.correct,
            "raw": self.raw,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LabeledSample:
        action = data.get("action")
        return cls(
            turn_state_id=str(data["turn_state_id"]),
            index=int(data["index"]),
            text=str(data["text"]),
            score=float(data["score"]),
            correct=bool(data["correct"]),
            action=Action(action) if action else None,
            raw=data.get("raw"),
        )


def label_samples(
    task: Task,
    items: Sequence[tuple[TurnState, str, Action]],
    rule: LabelRule,
    similarity: Similarity | None = None,
) -> list[tuple[float, bool]]:
    """(score, correct) of each (turn state, final utterance, action), see the module doc.

    ``similarity`` scores (text, gold question) pairs under a CLARIFY floor (default: the
    embedding similarity of :mod:`act_bench.metrics.similarity`), all in one call."""
    questions = [
        (text, state.gold_response)
        for state, text, action in items
        if state.gold_action is Action.CLARIFY and action is Action.CLARIFY
    ]
    similarities = iter(_similarities(questions, rule, similarity))
    labels = []
    for state, text, action in items:
        if state.gold_action is Action.ANSWER:
            score = _content_score(task, state, text, action, rule)
            labels.append((score, action is Action.ANSWER and _clears(score, rule)))
        elif action is not Action.CLARIFY:
            labels.append((0.0, False))
        elif rule.clarify_similarity_floor is None:
            labels.append((1.0, True))
        else:
            score = next(similarities)
            labels.append((score, score >= rule.clarify_similarity_floor))
    return labels


def label_sample(
    task: Task,
    turn_state: TurnState,
    text: str,
    *,
    action: Action,
    rule: LabelRule = LabelRule(),
    similarity: Similarity | None = None,
) -> tuple[float, bool]:
    """The label of one sample (:func:`label_samples`)."""
    return label_samples(task, [(turn_state, text, action)], rule, similarity)[0]


def _content_score(
    task: Task, state: TurnState, text: str, action: Action, rule: LabelRule
) -> float:
    """H of an answer; a sample that asks has not answered, and scores 0 where the protocol
    credits no unanswered outcome (as evaluation scores a trajectory without an answer)."""
    protocol = rule.protocol
    mode = protocol.metric_mode(task)
    if rule.against == "response":
        return task.score_turn(text, state, mode)
    if action is Action.CLARIFY and not protocol.credits_unanswered:
        return 0.0
    return max(task.score_outcome(text, goal, mode) for goal in state.goals)


def _clears(score: float, rule: LabelRule) -> bool:
    return rule.protocol.clears_tolerance(score, rule.threshold)


def _similarities(
    pairs: list[tuple[str, str]], rule: LabelRule, similarity: Similarity | None
) -> list[float]:
    if rule.clarify_similarity_floor is None or not pairs:
        return []
    if similarity is None:
        from act_bench.metrics.similarity import get_embedder

        similarity = get_embedder().similarities
    return list(similarity(pairs))
