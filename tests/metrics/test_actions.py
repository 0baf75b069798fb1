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
