"""pass^k and pass@k over repeated trials, as tau-bench defines them.

tau-bench (Yao et al., 2024, §4) runs every task n times and, with c of the n trials
successful, scores a task's pass^k = C(c, k) / C(n, k), the chance that k trials drawn
without replacement all succeed, and pass@k = 1 - C(n - c, k) / C(n, k), the chance that
at least one does; both are averaged over tasks. Here a task is an episode and a trial
succeeds when its trajectory score H(g', g) exceeds the task's tolerance ε (Alg. 2 line
13, ``TaskDefaults.act_tolerance``).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb
from statistics import fmean


def pass_hat_k(successes: Sequence[tuple[int, int]], k: int) -> float | None:
    """Mean over tasks of C(c, k) / C(n, k) for (n trials, c successes) pairs with n >= k;
    None when no task has k trials."""
    eligible = [(n, c) for n, c in successes if n >= k]
    if not eligible:
        return None
    return fmean(comb(c, k) / comb(n, k) for n, c in eligible)


def pass_at_k(successes: Sequence[tuple[int, int]], k: int) -> float | None:
    """Mean over tasks of 1 - C(n - c, k) / C(n, k) (at least one of k trials succeeds)."""
    eligible = [(n, c) for n, c in successes if n >= k]
    if not eligible:
        return None
    return fmean(1 - comb(n - c, k) / comb(n, k) for n, c in eligible)
