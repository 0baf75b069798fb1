"""The standard metric set of App. D, aggregated over the episode records of a run.

Every task reports the same shape: action accuracy and Macro F1, the turn-level content
score of the immediate response y against r, the trajectory-level score of the outcome g'
against the goal g, and (PACIFIC, AmbigSQL) the trajectory-level score over the
trajectories that contain a clarification. Tasks call :func:`standard_metrics` with the
name of their content metric ("drop_f1", "similarity", "execution_match").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from statistics import fmean

from act_bench.metrics.actions import action_accuracy, action_macro_f1
from act_bench.types import Action, EpisodeRecord, StopReason


def _percent(value: float | None) -> float | None:
    """Reported metrics are x100, rounded to 4 decimals."""
    return None if value is None else round(value * 100, 4)


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return fmean(values) if values else None


def _turn_mean(records: Sequence[EpisodeRecord], per_unique_prompt: bool) -> float | None:
    """Mean turn score; with ``per_unique_prompt``, first per turn state, then across them.

    Abg-CoQA has one record per interpretation of an ambiguous request, all sharing the
    prompt p and the response y; App. D computes its turn-level score "for each unique p".
    """
    if not per_unique_prompt:
        return _mean(record.turn_score for record in records)
    by_prompt: dict[str, list[float]] = defaultdict(list)
    for record in records:
        by_prompt[record.turn_state_id].append(record.turn_score)
    return _mean(fmean(scores) for scores in by_prompt.values())


def standard_metrics(
    records: Sequence[EpisodeRecord],
    content_name: str,
    *,
    post_clarify: bool = True,
    turn_per_unique_prompt: bool = False,
) -> dict[str, float | None]:
    """App. D's metrics, x100 and rounded to 4 decimals; None where there is nothing to average.

    - ``action_accuracy``, ``action_macro_f1``: gold vs predicted action of each record.
    - ``turn_<content_name>``: mean turn score (per unique prompt first when
      ``turn_per_unique_prompt``, for Abg-CoQA).
    - ``trajectory_<content_name>``: mean trajectory score.
    - ``post_clarify_<content_name>`` (when ``post_clarify``): mean trajectory score over
      the trajectories in which the policy asked before answering; None when none did.
    """
    gold = [record.gold_action for record in records]
    predicted = [record.predicted_action for record in records]
    clarified = [record.trajectory_score for record in records if record.trajectory.clarified]
    metrics: dict[str, float | None] = {
        "action_accuracy": _percent(action_accuracy(gold, predicted) if records else None),
        "action_macro_f1": _percent(action_macro_f1(gold, predicted) if records else None),
        f"turn_{content_name}": _percent(_turn_mean(records, turn_per_unique_prompt)),
        f"trajectory_{content_name}": _percent(_mean(r.trajectory_score for r in records)),
    }
    if post_clarify:
        metrics[f"post_clarify_{content_name}"] = _percent(_mean(clarified))
    return metrics


def metric_counts(records: Sequence[EpisodeRecord]) -> dict[str, int]:
    """How many records stand behind the metrics, and how their trajectories ended.

    Reported beside the metrics because simulator-driven scores are noisy (STYLE.md,
    "Results and resumption"): ``n_items`` records over ``n_turn_states`` turn states,
    ``n_clarified`` trajectories with a clarification, gold and predicted CLARIFY counts,
    the trajectories that ended on a backend error or at the turn cap, and ``n_no_answer``,
    those that never answered (either of the two).
    """
    return {
        "n_items": len(records),
        "n_turn_states": len({record.turn_state_id for record in records}),
        "n_clarified": sum(record.trajectory.clarified for record in records),
        "n_gold_clarify": sum(record.gold_action is Action.CLARIFY for record in records),
        "n_predicted_clarify": sum(record.predicted_action is Action.CLARIFY for record in records),
        "n_backend_errors": sum(
            record.trajectory.stop_reason is StopReason.BACKEND_ERROR for record in records
        ),
        "n_turn_cap": sum(
            record.trajectory.stop_reason is StopReason.TURN_CAP for record in records
        ),
        "n_no_answer": sum(not record.trajectory.answered for record in records),
    }


def other_mode_metrics(
    records: Sequence[EpisodeRecord],
    metrics_of: Callable[[Sequence[EpisodeRecord]], dict[str, float | None]],
) -> dict[str, float | None]:
    """The content metrics again under each other mode the records were scored in, named
    with the mode as a suffix (``trajectory_drop_f1_pacific``), so one run reports its
    protocol's variant and the other side by side. ``metrics_of`` is the task's own
    aggregation; action metrics do not depend on the mode and are not repeated. A mode
    that some record lacks (an older line read on resume) is left out.
    """
    modes = sorted({mode for record in records for mode in record.other_modes})
    metrics: dict[str, float | None] = {}
    for mode in modes:
        if not records or not all(mode in record.other_modes for record in records):
            continue
        rescored = [
            replace(
                record,
                turn_score=record.other_modes[mode].turn_score,
                trajectory_score=record.other_modes[mode].trajectory_score,
            )
            for record in records
        ]
        for name, value in metrics_of(rescored).items():
            if not name.startswith("action_"):
                metrics[f"{name}_{mode}"] = value
    return metrics
