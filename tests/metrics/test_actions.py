"""Action accuracy and Macro F1 (App. D), with expected values computed by hand."""

from __future__ import annotations

import pytest

from act_bench.metrics import action_accuracy, action_macro_f1
from act_bench.types import Action

C, A = Action.CLARIFY, Action.ANSWER


def test_accuracy_counts_unclassified_as_wrong() -> None:
    assert action_accuracy([C, A, A, A], [C, A, C, None]) == 0.5


def test_macro_f1_by_hand() -> None:
    # CLARIFY: TP 1, FP 1, FN 0 -> F1 2/3. ANSWER: TP 1, FP 0, FN 2 -> F1 1/2.
    assert action_macro_f1([C, A, A, A], [C, A, C, None]) == pytest.approx((2 / 3 + 1 / 2) / 2)


def test_unclassified_is_a_miss_but_no_false_alarm() -> None:
    # None: CLARIFY F1 0, ANSWER TP 1 only -> F1 1; macro 0.5.
    assert action_macro_f1([C, A], [None, A]) == pytest.approx(0.5)
    # Predicting ANSWER instead adds a false ANSWER: ANSWER F1 2/3; macro 1/3.
    assert action_macro_f1([C, A], [A, A]) == pytest.approx(1 / 3)


def test_both_actions_always_count() -> None:
    # No CLARIFY anywhere: its F1 is 0 (zero_division=0), so a perfect policy gets 0.5.
    assert action_macro_f1([A, A], [A, A]) == 0.5
    assert action_accuracy([A, A], [A, A]) == 1.0


def test_perfect_predictions() -> None:
    assert action_macro_f1([C, A, C], [C, A, C]) == 1.0


def test_length_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="2 gold actions but 1 predicted"):
        action_accuracy([C, A], [C])


def test_empty_input_raises() -> None:
    with pytest.raises(ValueError, match="no actions"):
        action_macro_f1([], [])


def test_macro_f1_agrees_with_sklearn_on_random_labels() -> None:
    """The closed form is sklearn's macro F1 with both labels and zero_division=0."""
    import random

    from sklearn.metrics import f1_score

    rng = random.Random(7)
    choices = [C, A, None]
    for size in (1, 2, 5, 17):
        for _ in range(40):
            gold = [rng.choice([C, A]) for _ in range(size)]
            predicted = [rng.choice(choices) for _ in range(size)]
            expected = f1_score(
                [g.value for g in gold],
                [p.value if p else "UNCLASSIFIED" for p in predicted],
                labels=["CLARIFY", "ANSWER"],
                average="macro",
                zero_division=0,
            )
            assert action_macro_f1(gold, predicted) == pytest.approx(expected)
