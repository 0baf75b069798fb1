"""Action-level metrics: how often the policy's implicit action is the gold one (§4.2; App. D).

Both compare the gold action a of each turn state with the action of the policy's
immediate response y. A response the classifier could not label (None) counts as wrong:
it is never a correct prediction of either action.
"""

from __future__ import annotations

from collections.abc import Sequence

from act_bench.types import Action

ACTION_LABELS = [Action.CLARIFY.value, Action.ANSWER.value]
_UNCLASSIFIED = "UNCLASSIFIED"


def _labels(
    gold: Sequence[Action], predicted: Sequence[Action | None]
) -> tuple[list[str], list[str]]:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold actions but {len(predicted)} predicted actions")
    if not gold:
        raise ValueError("no actions to score")
    return (
        [action.value for action in gold],
        [action.value if action is not None else _UNCLASSIFIED for action in predicted],
    )


def action_accuracy(gold: Sequence[Action], predicted: Sequence[Action | None]) -> float:
    """The fraction of turns whose predicted action is the gold action, in [0, 1]."""
    gold_labels, predicted_labels = _labels(gold, predicted)
    correct = sum(g == p for g, p in zip(gold_labels, predicted_labels, strict=True))
    return correct / len(gold_labels)


def action_macro_f1(gold: Sequence[Action], predicted: Sequence[Action | None]) -> float:
    """The unweighted mean of the F1 of CLARIFY and of ANSWER, in [0, 1] (App. D, "Macro F1").

    The paper reports it because PACIFIC and Abg-CoQA are highly imbalanced (§4.2). Both
    actions always count: an action with no gold and no predicted turn has F1 0
    (``zero_division=0``), so on a sample without any clarification need a perfect policy
    scores 0.5. An unclassified response is a missed turn of its gold action and a false
    alarm for neither.
    """
    gold_labels, predicted_labels = _labels(gold, predicted)
    return sum(_f1(gold_labels, predicted_labels, label) for label in ACTION_LABELS) / 2


def _f1(gold: Sequence[str], predicted: Sequence[str], label: str) -> float:
    """One label's F1, 2TP / (2TP + FP + FN), 0 when it has no gold and no predicted turn:
    sklearn's ``f1_score(labels=..., average=None, zero_division=0)`` entry for ``label``
    (the tests check the two agree), in closed form because the bootstrap behind
    ``metrics_ci`` recomputes Macro F1 thousands of times per run and sklearn's input
    validation costs about 10 ms a call."""
    true_positives = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
    false_positives = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
    false_negatives = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
    denominator = 2 * true_positives + false_positives + false_negatives
    return 2 * true_positives / denominator if denominator else 0.0
