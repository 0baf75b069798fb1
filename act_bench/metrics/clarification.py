"""Clarification metrics beyond App. D: does the policy over- or under-ask, does its question
target what was missing, and does asking pay off (issue 18; README "Clarification metrics").

All are computed per episode record, as App. D's action metrics are: an Abg-CoQA request
with three interpretations counts three times. CLARIFY is the positive class. A response
the classifier could not label is neither a clarification nor an answer: it is a missed
clarification for recall, never a false alarm, and never an "answered" for the
under-clarification rate.

:class:`ClarificationCounts` holds every numerator and denominator, so a rate can be
checked against its definition and the counts reported beside it; rates are x100 like
App. D's metrics, None where the denominator is 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from statistics import fmean

from act_bench.metrics.aggregate import metric_counts
from act_bench.types import Action, EpisodeRecord

SimilarityFunction = Callable[[Sequence[tuple[str, str]]], list[float]]

# Each metric's definition, as the report and the README give it.
METRIC_DEFINITIONS = {
    "over_clarification_rate": "predicted CLARIFY among gold-ANSWER items (x100)",
    "under_clarification_rate": "predicted ANSWER among gold-CLARIFY items (x100)",
    "clarify_precision": "gold CLARIFY among predicted-CLARIFY items (x100)",
    "clarify_recall": "predicted CLARIFY among gold-CLARIFY items (x100)",
    "clarify_f1": "2TP / (2TP + FP + FN), CLARIFY the positive class (x100)",
    "mean_clarification_rounds": "clarifying questions asked per trajectory (a count, not x100)",
    "never_answered_rate": "trajectories that never answered: turn cap or backend error (x100)",
    "question_similarity": "embedding similarity of the policy's question to the gold one, "
    "where both clarify (x100, floored at 0)",
    "ambiguous_score_asked": "mean trajectory score on gold-CLARIFY items where the policy "
    "asked at least once (x100)",
    "ambiguous_score_direct": "mean trajectory score on gold-CLARIFY items where the policy "
    "answered without asking (x100)",
    "interpretation_coverage": "per ambiguous request with several interpretations, the share "
    "whose trajectory score exceeds the task's epsilon, averaged (x100)",
}
CLARIFICATION_METRICS = tuple(METRIC_DEFINITIONS)


def clarification_rounds(record: EpisodeRecord) -> int:
    """The clarifying questions the policy asked: every policy turn before its outcome, and
    when the trajectory never answered (turn cap, backend error), each turn labelled CLARIFY."""
    trajectory = record.trajectory
    policy = trajectory.policy_turns
    if trajectory.answered:
        return len(policy) - 1
    return sum(turn.action is Action.CLARIFY for turn in policy)


@dataclass(frozen=True, slots=True)
class ClarificationCounts:
    """Numerators and denominators of the clarification rates, over episode records.

    - ``n_gold_answer`` / ``n_gold_clarify``: records whose gold action is ANSWER / CLARIFY.
    - ``n_over_clarified``: gold ANSWER, predicted CLARIFY (false positives).
    - ``n_under_clarified``: gold CLARIFY, predicted ANSWER.
    - ``n_true_clarify``: gold CLARIFY, predicted CLARIFY (true positives).
    - ``n_predicted_clarify``: predicted CLARIFY.
    - ``n_gold_clarify_asked`` / ``n_gold_clarify_direct``: gold CLARIFY records whose
      trajectory asked at least one question / answered without asking.
    - ``n_question_pairs``: (turn state, trial)s with gold and predicted CLARIFY (question
      quality).
    - ``n_multi_interpretation``: (gold CLARIFY turn state, trial)s with several goals
      (coverage).
    - ``n_no_answer``: trajectories that never answered (``metric_counts``' definition).
    """

    n_items: int
    n_gold_answer: int
    n_gold_clarify: int
    n_predicted_clarify: int
    n_over_clarified: int
    n_under_clarified: int
    n_true_clarify: int
    n_gold_clarify_asked: int
    n_gold_clarify_direct: int
    n_question_pairs: int
    n_multi_interpretation: int
    n_no_answer: int
    total_clarification_rounds: int

    def to_json(self) -> dict[str, int]:
        return asdict(self)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 4)


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None


def clarification_counts(records: Sequence[EpisodeRecord]) -> ClarificationCounts:
    gold_clarify = [r for r in records if r.gold_action is Action.CLARIFY]
    gold_answer = [r for r in records if r.gold_action is Action.ANSWER]
    return ClarificationCounts(
        n_items=len(records),
        n_gold_answer=len(gold_answer),
        n_gold_clarify=len(gold_clarify),
        n_predicted_clarify=sum(r.predicted_action is Action.CLARIFY for r in records),
        n_over_clarified=sum(r.predicted_action is Action.CLARIFY for r in gold_answer),
        n_under_clarified=sum(r.predicted_action is Action.ANSWER for r in gold_clarify),
        n_true_clarify=sum(r.predicted_action is Action.CLARIFY for r in gold_clarify),
        n_gold_clarify_asked=sum(r.trajectory.clarified for r in gold_clarify),
        n_gold_clarify_direct=sum(not r.trajectory.clarified for r in gold_clarify),
        n_question_pairs=len(_question_pairs(records)),
        n_multi_interpretation=len(_interpretation_groups(records)),
        n_no_answer=metric_counts(records)["n_no_answer"],
        total_clarification_rounds=sum(clarification_rounds(r) for r in records),
    )


def _question_pairs(records: Sequence[EpisodeRecord]) -> list[tuple[str, str]]:
    """(policy's question, gold question), once per turn state and trial whose gold and
    predicted action are CLARIFY: interpretations of one request share the immediate
    response y, while each trial asks its own question."""
    pairs: dict[tuple[str, int], tuple[str, str]] = {}
    for record in records:
        both_clarify = (
            record.gold_action is Action.CLARIFY and record.predicted_action is Action.CLARIFY
        )
        if both_clarify and record.gold_response.strip():
            pairs.setdefault(
                (record.turn_state_id, record.trial),
                (record.trajectory.first_response, record.gold_response),
            )
    return list(pairs.values())


def _interpretation_groups(records: Sequence[EpisodeRecord]) -> list[list[EpisodeRecord]]:
    """The records of each gold-CLARIFY turn state evaluated under several goals, per
    trial (the trials of a one-goal request are repetitions, not interpretations)."""
    groups: dict[tuple[str, int], list[EpisodeRecord]] = defaultdict(list)
    for record in records:
        if record.gold_action is Action.CLARIFY:
            groups[(record.turn_state_id, record.trial)].append(record)
    return [group for group in groups.values() if len(group) > 1]


def _default_similarity(pairs: Sequence[tuple[str, str]]) -> list[float]:
    from act_bench.metrics.similarity import get_embedder

    return get_embedder().similarities(pairs)


def clarification_metrics(
    records: Sequence[EpisodeRecord],
    *,
    tolerance: float,
    similarity: SimilarityFunction | None = None,
) -> dict[str, float | None]:
    """The metrics of :data:`CLARIFICATION_METRICS` (x100 but the mean rounds), None where
    nothing stands behind one.

    - ``over_clarification_rate``: predicted CLARIFY among gold ANSWER records.
    - ``under_clarification_rate``: predicted ANSWER among gold CLARIFY records.
    - ``clarify_precision`` / ``clarify_recall`` / ``clarify_f1``: CLARIFY the positive class.
    - ``mean_clarification_rounds``: :func:`clarification_rounds` averaged over records.
    - ``never_answered_rate``: trajectories that never answered, among all records.
    - ``question_similarity``: mean embedding similarity (floored at 0) of the policy's
      clarifying question y to the gold clarifying question r, over turn states where both
      clarify; ``similarity`` maps (a, b) pairs to cosines (default: all-MiniLM-L6-v2).
    - ``ambiguous_score_asked`` / ``ambiguous_score_direct``: mean trajectory score on gold
      CLARIFY records when the policy asked at least once / answered without asking.
    - ``interpretation_coverage``: over gold-CLARIFY turn states with several goals (Abg-
      CoQA's interpretations), the mean share of goals whose trajectory score exceeds
      ``tolerance`` (the task's ε).
    """
    counts = clarification_counts(records)
    precision = _ratio(counts.n_true_clarify, counts.n_predicted_clarify)
    recall = _ratio(counts.n_true_clarify, counts.n_gold_clarify)
    false_positives = counts.n_predicted_clarify - counts.n_true_clarify
    false_negatives = counts.n_gold_clarify - counts.n_true_clarify
    # 2TP / (2TP + FP + FN): the harmonic mean of precision and recall where both exist,
    # and 0 (not undefined) when the policy never clarified on a sample that needed it.
    true_positives = counts.n_true_clarify
    f1 = _ratio(2 * true_positives, 2 * true_positives + false_positives + false_negatives)
    gold_clarify = [r for r in records if r.gold_action is Action.CLARIFY]
    rounds = _ratio(counts.total_clarification_rounds, counts.n_items)
    return {
        "over_clarification_rate": _percent(_ratio(counts.n_over_clarified, counts.n_gold_answer)),
        "under_clarification_rate": _percent(
            _ratio(counts.n_under_clarified, counts.n_gold_clarify)
        ),
        "clarify_precision": _percent(precision),
        "clarify_recall": _percent(recall),
        "clarify_f1": _percent(f1),
        "mean_clarification_rounds": None if rounds is None else round(rounds, 4),
        "never_answered_rate": _percent(_ratio(counts.n_no_answer, counts.n_items)),
        "question_similarity": _percent(_question_similarity(records, similarity)),
        "ambiguous_score_asked": _percent(
            _mean([r.trajectory_score for r in gold_clarify if r.trajectory.clarified])
        ),
        "ambiguous_score_direct": _percent(
            _mean([r.trajectory_score for r in gold_clarify if not r.trajectory.clarified])
        ),
        "interpretation_coverage": _percent(_interpretation_coverage(records, tolerance)),
    }


def _question_similarity(
    records: Sequence[EpisodeRecord], similarity: SimilarityFunction | None
) -> float | None:
    pairs = _question_pairs(records)
    if not pairs:
        return None
    scores = (similarity or _default_similarity)(pairs)
    return fmean(max(0.0, score) for score in scores)


def _interpretation_coverage(records: Sequence[EpisodeRecord], tolerance: float) -> float | None:
    groups = _interpretation_groups(records)
    return _mean(
        [sum(r.trajectory_score > tolerance for r in group) / len(group) for group in groups]
    )
