"""A run directory read for a report: its validated results.json, its episode records, and
one pandas row per episode (the table that every figure and the episode browser draw on)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from act_bench.errors import DataError
from act_bench.metrics.bootstrap import bootstrap_mean_interval
from act_bench.metrics.clarification import clarification_rounds
from act_bench.results import RESULTS_FILE, SAMPLES_FILE, load_results, read_samples
from act_bench.results_schema import RunResults
from act_bench.types import EpisodeRecord

UNLABELLED = "unlabelled"  # a response the classifier could not label


@dataclass(frozen=True, slots=True)
class RunView:
    """One run as a report shows it."""

    path: Path
    results: RunResults
    records: tuple[EpisodeRecord, ...]

    @property
    def label(self) -> str:
        """How the run is named on a page: its model, task and directory name."""
        return f"{self.results.model} · {self.results.task} ({self.path.name})"

    def headline_interval(self) -> tuple[float, float, str] | None:
        """The headline metric's 95 % interval and where it comes from: the run's own
        ``metrics_ci`` when it has one, else a bootstrap over turn states computed here
        (runs from before intervals were recorded). None without records."""
        headline = self.results.headline_metric
        recorded = (self.results.metrics_ci or {}).get(headline) if headline else None
        if recorded is not None:
            low, high = recorded
            return low, high, "recorded in results.json (bootstrap over turn states)"
        if not self.records:
            return None
        by_turn_state: dict[str, list[float]] = defaultdict(list)
        for record in self.records:
            by_turn_state[record.turn_state_id].append(record.trajectory_score)
        interval = bootstrap_mean_interval(by_turn_state)
        if interval is None:
            return None
        return (
            interval.low,
            interval.high,
            f"bootstrap over turn states computed by the report, {interval.resamples} resamples",
        )


def record_key(record: EpisodeRecord) -> str:
    """An episode line's identity on the page: its id, and its trial when there are several."""
    return record.id if record.trial == 0 else f"{record.id} · trial {record.trial}"


def load_run(path: Path) -> RunView:
    """Read ``path/results.json`` (validated) and ``path/samples.jsonl``."""
    path = Path(path)
    if not path.is_dir():
        raise DataError("not a run directory (no such folder)", file=str(path))
    results = load_results(path / RESULTS_FILE)
    records = read_samples(path / SAMPLES_FILE)
    if not records:
        raise DataError("the run has no finished items yet", file=str(path / SAMPLES_FILE))
    return RunView(path, results, tuple(records))


def slice_label(record: EpisodeRecord) -> str:
    """``name=value`` of each slice the record is in, joined by ``; ``."""
    return "; ".join(f"{name}={value}" for name, value in sorted(record.slices.items()))


def episode_frame(records: Sequence[EpisodeRecord]) -> pd.DataFrame:
    """One row per episode: its id, actions, stop reason, clarification rounds, slices and
    scores (in [0, 1]); a column ``slice:<name>`` per slice name."""
    rows = []
    for record in records:
        rows.append(
            {
                "id": record_key(record),
                "turn_state_id": record.turn_state_id,
                "gold_action": record.gold_action.value,
                "predicted_action": (
                    record.predicted_action.value if record.predicted_action else UNLABELLED
                ),
                "stop_reason": record.trajectory.stop_reason.value,
                "rounds": clarification_rounds(record),
                "clarified": record.trajectory.clarified,
                "slices": slice_label(record),
                "turn_score": record.turn_score,
                "trajectory_score": record.trajectory_score,
                **{f"slice:{name}": value for name, value in record.slices.items()},
            }
        )
    return pd.DataFrame(rows)
