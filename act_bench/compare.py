"""``act-bench compare RUN_A RUN_B``: is the difference between two runs real? (issue 16)

A paired comparison on the items both runs evaluated. Items are turn states (all goals and
all trials of one travel together, as in ``metrics_ci``); every metric is computed on the
shared items of each run the way ``eval`` computes it (per trial, then averaged over
trials), and for each metric the report gives A, B, the difference B - A with a 95 %
paired bootstrap interval (the same resampled items for both runs) and a two-sided
p-value from a paired permutation test (``scipy.stats.permutation_test``, swapping the two
runs' results within each item).

Runs of different tasks, splits, protocols or data, or whose simulator or classifier was
prompted differently (``prompts`` in results.json), measure different things: they are
refused rather than compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import permutation_test

from act_bench.analysis import run_metrics
from act_bench.errors import ConfigError
from act_bench.metrics import other_mode_metrics
from act_bench.metrics.bootstrap import bootstrap_intervals
from act_bench.report.run import RunView
from act_bench.task import get_task
from act_bench.trials import (
    BOOTSTRAP_RESAMPLES,
    CONFIDENCE_LEVEL,
    MetricsOf,
    Unit,
    memoized_similarity,
    metrics_on_units,
    resampling_units,
)


@dataclass(frozen=True, slots=True)
class MetricComparison:
    """One metric of two runs on their shared items; ``difference`` is B - A."""

    name: str
    a: float | None
    b: float | None
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.name,
            "a": self.a,
            "b": self.b,
            "difference": self.difference,
            "ci": None if self.low is None else [self.low, self.high],
            "p_value": self.p_value,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """The paired comparison of two runs (module docstring)."""

    run_a: str
    run_b: str
    task: str
    split: str
    protocol: str
    n_shared: int
    n_only_a: int
    n_only_b: int
    resamples: int
    seed: int
    metrics: tuple[MetricComparison, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "run_a": self.run_a,
            "run_b": self.run_b,
            "task": self.task,
            "split": self.split,
            "protocol": self.protocol,
            "shared_items": self.n_shared,
            "only_in_a": self.n_only_a,
            "only_in_b": self.n_only_b,
            "unit": "turn state",
            "method": "paired bootstrap interval of B - A; paired permutation test p-value",
            "level": CONFIDENCE_LEVEL,
            "resamples": self.resamples,
            "seed": self.seed,
            "metrics": [metric.to_json() for metric in self.metrics],
        }


def comparable(a: RunView, b: RunView) -> None:
    """Refuse two runs that do not measure the same thing, naming what differs."""
    ra, rb = a.results, b.results
    fields = {
        "task": (ra.task, rb.task),
        "split": (ra.split, rb.split),
        "protocol": (ra.protocol, rb.protocol),
        "data source": (ra.data_label, rb.data_label),
    }
    for role in sorted(ra.prompts.keys() & rb.prompts.keys()):
        fields[f"{role} prompt"] = (ra.prompts[role][:12], rb.prompts[role][:12])
    for what, (left, right) in fields.items():
        if left != right:
            raise ConfigError(
                f"cannot compare {a.path} and {b.path}: their {what} differs ({left} vs {right})",
                hint="compare runs of one task, split, protocol, data and simulator prompt",
            )


def compare_runs(
    a: RunView,
    b: RunView,
    *,
    metrics: Sequence[str] | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
    metrics_of: MetricsOf | None = None,
) -> Comparison:
    """Compare ``b`` against ``a`` on their shared items (module docstring).

    ``metrics`` limits the report to those names (default: every metric of the task);
    ``metrics_of`` replaces the task's metrics (tests).
    """
    comparable(a, b)
    units_a, units_b = resampling_units(a.records), resampling_units(b.records)
    shared = [key for key in units_a if key in units_b]
    if not shared:
        raise ConfigError(f"{a.path} and {b.path} share no items", hint="compare runs of one split")
    if metrics_of is None:
        task = get_task(a.results.task)
        similarity = memoized_similarity()

        def metrics_of(records):  # noqa: F811 -- the task's metrics, as eval computes them
            return {
                **run_metrics(task, records, similarity=similarity),
                **other_mode_metrics(records, task.metrics),
            }

    names = _names(metrics_of, [units_a[k] for k in shared], metrics)
    statistic = _PairedStatistic(
        [units_a[k] for k in shared], [units_b[k] for k in shared], names, metrics_of
    )
    everything = np.arange(len(shared))
    value_a, value_b = statistic.side(everything, 0), statistic.side(everything, 1)
    intervals = bootstrap_intervals(
        len(shared), statistic.differences, resamples=resamples, seed=seed
    )
    p_values = statistic.p_values(resamples, seed)
    rows = []
    for name in names:
        a_value, b_value = value_a.get(name), value_b.get(name)
        difference = None if a_value is None or b_value is None else round(b_value - a_value, 4)
        interval = intervals.get(name)
        rows.append(
            MetricComparison(
                name,
                a_value,
                b_value,
                difference,
                None if interval is None else interval[0],
                None if interval is None else interval[1],
                p_values.get(name),
            )
        )
    return Comparison(
        run_a=str(a.path),
        run_b=str(b.path),
        task=a.results.task,
        split=a.results.split,
        protocol=a.results.protocol,
        n_shared=len(shared),
        n_only_a=len(units_a) - len(shared),
        n_only_b=len(units_b) - len(shared),
        resamples=resamples,
        seed=seed,
        metrics=tuple(rows),
    )


def _names(metrics_of: MetricsOf, units: Sequence[Unit], wanted: Sequence[str] | None) -> list[str]:
    known = list(metrics_on_units(units, range(len(units)), metrics_of))
    if not wanted:
        return known
    unknown = [name for name in wanted if name not in known]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], known, n=1)
        raise ConfigError(
            f"unknown metric {unknown[0]!r}; known: {', '.join(known)}",
            hint=f"did you mean {close[0]!r}?" if close else None,
        )
    return list(wanted)


class _PairedStatistic:
    """Metrics of the two runs on the same drawn items, and their differences."""

    def __init__(
        self, units_a: list[Unit], units_b: list[Unit], names: list[str], metrics_of: MetricsOf
    ) -> None:
        self.sides = (units_a, units_b)
        self.names = names
        self.metrics_of = metrics_of

    def side(self, picks: np.ndarray, which: int) -> dict[str, float | None]:
        values = metrics_on_units(self.sides[which], picks, self.metrics_of)
        return {name: values.get(name) for name in self.names}

    def differences(self, picks: np.ndarray) -> dict[str, float | None]:
        a, b = self.side(picks, 0), self.side(picks, 1)
        return {
            name: None if a[name] is None or b[name] is None else b[name] - a[name]
            for name in self.names
        }

    def p_values(self, resamples: int, seed: int) -> dict[str, float | None]:
        """Two-sided p-values of a paired permutation test: under the null hypothesis the
        two runs' results on an item are exchangeable, so each permutation swaps them on a
        random subset of the items. Handles 0..n-1 stand for A's units, n..2n-1 for B's.

        scipy's test takes one scalar statistic, so it runs once per metric with the same
        seed, hence the same permutations: the metrics of a permutation are computed once
        and looked up by the other metrics' runs."""
        n = len(self.sides[0])
        units = [*self.sides[0], *self.sides[1]]
        seen: dict[bytes, dict[str, float | None]] = {}

        def differences(x: np.ndarray, y: np.ndarray) -> dict[str, float | None]:
            key = x.astype(int).tobytes()
            if key not in seen:
                a = metrics_on_units(units, x.astype(int), self.metrics_of)
                b = metrics_on_units(units, y.astype(int), self.metrics_of)
                seen[key] = {
                    k: None if a.get(k) is None or b.get(k) is None else b[k] - a[k]
                    for k in self.names
                }
            return seen[key]

        p_values: dict[str, float | None] = {}
        for name in self.names:
            if differences(np.arange(n), np.arange(n, 2 * n))[name] is None:
                p_values[name] = None
                continue
            result = permutation_test(
                (np.arange(n), np.arange(n, 2 * n)),
                lambda x, y, name=name: _number(differences(x, y)[name]),
                permutation_type="samples",
                vectorized=False,
                n_resamples=resamples,
                alternative="two-sided",
                random_state=seed,
            )
            p_values[name] = round(float(result.pvalue), 4)
        return p_values


def _number(value: float | None) -> float:
    return np.nan if value is None else value
