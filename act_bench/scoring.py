"""``act-bench score``: re-score saved turn-level predictions without running a model.

Predictions are JSONL lines ``{"id": <turn state id>, "prediction": <text>}``; an eval
run's ``samples.jsonl`` is accepted as is (its ``turn_state_id`` and ``goal_index`` are
used). Scores go through the same task code as ``eval``, so the two always agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from act_bench.classifiers import ClassificationInput, load_classifier
from act_bench.data import resolve_data_dir
from act_bench.episode import Episode
from act_bench.errors import ConfigError, DataError
from act_bench.evaluation import score_episode
from act_bench.metrics import other_mode_metrics
from act_bench.protocols import EvaluationProtocol, get_protocol
from act_bench.task import get_task, turn_states
from act_bench.types import Speaker, StopReason, Trajectory, TrajectoryTurn


@dataclass(frozen=True, slots=True)
class Prediction:
    turn_state_id: str
    goal_index: int
    text: str
    trial: int = 0  # a samples.jsonl of a run with --num-trials holds one line per trial


def read_predictions(path: Path) -> list[Prediction]:
    """Read and validate a predictions file: UTF-8 JSONL, one object per line, each
    (id, goal_index, trial) once (two predictions for one item would be averaged
    silently); the trials of one item, as a multi-trial run's samples.jsonl holds them,
    are its repetitions and all count."""
    if not path.is_file():
        raise DataError("predictions file not found (or not a file)", file=str(path))
    predictions = []
    first_line: dict[tuple[str, int, int], int] = {}
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise DataError(
                    f"not UTF-8 text ({error.reason} at byte {error.start})",
                    file=str(path),
                    record=f"line {number}",
                ) from None
            if not line.strip():
                continue
            prediction = _prediction(json_line(line, path, number), path, number)
            key = (prediction.turn_state_id, prediction.goal_index, prediction.trial)
            if key in first_line:
                trial = f", trial {key[2]}" if key[2] else ""
                raise DataError(
                    f"id {key[0]!r} (goal_index {key[1]}{trial}) appears twice, first on "
                    f"line {first_line[key]}",
                    file=str(path),
                    record=f"line {number}",
                    field="id",
                )
            first_line[key] = number
            predictions.append(prediction)
    return predictions


def json_line(line: str, path: Path, number: int) -> dict:
    record = f"line {number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise DataError(f"invalid JSON: {error}", file=str(path), record=record) from error
    if not isinstance(data, dict):
        raise DataError("expected a JSON object", file=str(path), record=record)
    return data


def _prediction(data: dict, path: Path, number: int) -> Prediction:
    record = f"line {number}"
    identifier = data.get("turn_state_id", data.get("id"))
    if not isinstance(identifier, str):
        raise DataError("missing or non-string id", file=str(path), record=record, field="id")
    text = data.get("prediction")
    if not isinstance(text, str):
        raise DataError(
            "missing or non-string prediction", file=str(path), record=record, field="prediction"
        )
    goal_index = data.get("goal_index", 0)
    if isinstance(goal_index, bool) or not isinstance(goal_index, int):
        raise DataError(
            f"goal_index must be an integer, got {goal_index!r}",
            file=str(path),
            record=record,
            field="goal_index",
        )
    trial = data.get("trial", 0)
    if isinstance(trial, bool) or not isinstance(trial, int) or trial < 0:
        raise DataError(
            f"trial must be a non-negative integer, got {trial!r}",
            file=str(path),
            record=record,
            field="trial",
        )
    return Prediction(identifier, goal_index, text, trial)


def score_predictions(
    task_name: str,
    predictions_path: Path,
    *,
    split: str = "validation",
    data_dir: str | None = None,
    action_classifier: str = "heuristic",
    seed: int = 0,
    protocol: str = "act-bench",
    mode: str | None = None,
) -> dict[str, float | None]:
    """Turn-level and action-level metrics of saved predictions.

    Under ``protocol`` (its response handling: act-paper keeps a prediction's first
    line) and in ``mode``, the variant of the task's metric reported under the headline
    names (default: the protocol's); every other variant is reported with its suffix.
    """
    task = get_task(task_name)
    rules = _with_mode(get_protocol(protocol), task, mode)
    cut = rules.turn_rules(None, task.defaults).cut
    states = {ts.id: ts for ts in turn_states(task.load(split, resolve_data_dir(data_dir)))}
    predictions = [replace(p, text=cut(p.text)) for p in read_predictions(predictions_path)]
    episodes = []
    for number, prediction in enumerate(predictions, start=1):
        state = states.get(prediction.turn_state_id)
        if state is None:
            raise DataError(
                f"id {prediction.turn_state_id!r} is not a turn state of {task_name}/{split}",
                file=str(predictions_path),
                record=f"line {number}",
                field="id",
            )
        if not 0 <= prediction.goal_index < len(state.goals):
            raise DataError(
                f"goal_index {prediction.goal_index} out of range",
                file=str(predictions_path),
                record=f"line {number}",
                field="goal_index",
            )
        episodes.append(Episode(state, prediction.goal_index))

    if episodes:  # batch the scoring work, as eval does
        task.prepare_scoring([e.turn_state for e in episodes], [p.text for p in predictions])
    classifier = load_classifier(action_classifier, task=task, seed=seed)
    actions = classifier.classify(
        [
            ClassificationInput(e.turn_state.prompt, p.text)
            for e, p in zip(episodes, predictions, strict=True)
        ]
    )
    records = [
        replace(
            score_episode(
                task,
                episode,
                Trajectory(
                    turns=(TrajectoryTurn(Speaker.POLICY, prediction.text, action),),
                    stop_reason=StopReason.ANSWERED,
                ),
                rules,
            ),
            trial=prediction.trial,
        )
        for episode, prediction, action in zip(episodes, predictions, actions, strict=True)
    ]
    metrics = {**task.metrics(records), **other_mode_metrics(records, task.metrics)}
    return {name: value for name, value in metrics.items() if name.startswith(("action_", "turn_"))}


def _with_mode(protocol: EvaluationProtocol, task, mode: str | None) -> EvaluationProtocol:
    """The protocol, reporting ``mode`` of the task's metric under the headline names."""
    if mode is None:
        return protocol
    if mode not in task.metric_modes:
        known = ", ".join(task.metric_modes) or "none: its metric has one variant"
        raise ConfigError(f"--mode {mode!r} is not a mode of {task.name}'s metric; known: {known}")
    return replace(protocol, drop_f1_mode=mode)
