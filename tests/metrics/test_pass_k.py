"""pass^k and pass@k on hand-made trials (tau-bench's definitions)."""

from __future__ import annotations

import pytest

from act_bench.metrics.pass_k import pass_at_k, pass_hat_k


def test_pass_hat_and_pass_at_by_hand() -> None:
    # task 1: 3 of 4 trials pass; task 2: 1 of 4; task 3: 4 of 4
    trials = [(4, 3), (4, 1), (4, 4)]
    # pass^1 is the mean success rate; pass^2 = C(c,2)/C(4,2): 3/6, 0/6, 6/6
    assert pass_hat_k(trials, 1) == pytest.approx((3 / 4 + 1 / 4 + 1) / 3)
    assert pass_hat_k(trials, 2) == pytest.approx((3 / 6 + 0 + 1) / 3)
    assert pass_hat_k(trials, 4) == pytest.approx((0 + 0 + 1) / 3)
    # pass@2 = 1 - C(4-c,2)/C(4,2): 1 - 0/6, 1 - 3/6, 1 - 0
    assert pass_at_k(trials, 2) == pytest.approx((1 + 0.5 + 1) / 3)
    assert pass_at_k(trials, 4) == pytest.approx(1.0)


def test_pass_k_orders_and_edges() -> None:
    trials = [(3, 1), (3, 2), (3, 0)]
    hats = [pass_hat_k(trials, k) for k in (1, 2, 3)]
    ats = [pass_at_k(trials, k) for k in (1, 2, 3)]
    assert hats[0] == ats[0]  # one trial: both are the success rate
    assert hats == sorted(hats, reverse=True) and ats == sorted(ats)
    assert pass_hat_k(trials, 4) is None and pass_at_k([], 1) is None
    # a task with fewer trials than k is left out, not counted as a failure
    assert pass_hat_k([(1, 1), (2, 0)], 2) == 0.0
