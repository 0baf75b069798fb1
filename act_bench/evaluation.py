"""``act-bench eval`` as a library function: run the episode loop over a task split and score it."""

from __future__ import annotations

import platform
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from act_bench import __version__
from act_bench.backends import (
    BACKENDS,
    Backend,
    BackendOptions,
    SamplingParams,
    shared_backend,
)
from act_bench.classifiers import load_classifier
from act_bench.data import resolve_data_dir
from act_bench.episode import Episode, episodes_for, simulate_trajectories
from act_bench.errors import ConfigError
from act_bench.metrics import metric_counts
from act_bench.progress import progress_bar
from act_bench.prompting import (
    ShotSelection,
    StyledPrompt,
    build_styled_prompt,
    get_prompt_style,
    select_shots,
)
from act_bench.results import RunDirectory, config_hash
from act_bench.simulators import load_simulator
from act_bench.specs import Spec
from act_bench.task import Task, get_task, turn_states
from act_bench.types import EpisodeRecord, Trajectory, TurnState


@dataclass(frozen=True, slots=True)
class EvalConfig:
    """Everything that determines an evaluation run; recorded verbatim in results.json."""

    task: str = "pacific"
    model: str = "smollm2"
    simulator: str = "gold"
    action_classifier: str = "heuristic"
    split: str = "validation"
    data_dir: str | None = None
    limit: int | None = None
    batch_size: int = 8
    seed: int = 0
    max_turns: int = 3
    max_new_tokens: int = 64
    temperature: float = 0.0
    top_p: float = 1.0
    device: str | None = None
    dtype: str | None = None
    api_base: str | None = None
    max_concurrency: int = 8
    prompt_style: str = "standard"
    num_shots: int = 0
    shot_pool: str = "train"
    output_dir: str = "runs/latest"

    def identity(self) -> dict[str, Any]:
        """The fields that define the run's results (not where they are written)."""
        data = asdict(self)
        data.pop("output_dir")
        return data

    def backend_options(self) -> BackendOptions:
        return BackendOptions(
            device=self.device,
            dtype=self.dtype,
            api_base=self.api_base,
            max_concurrency=self.max_concurrency,
            batch_size=self.batch_size,
        )

    def sampling(self) -> SamplingParams:
        return SamplingParams(
            max_new_tokens=self.max_new_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            seed=self.seed,
        )


@dataclass(slots=True)
class EvalResult:
    metrics: dict[str, float | None]
    counts: dict[str, int]
    results: dict[str, Any]
    records: list[EpisodeRecord] = field(default_factory=list)
    output_dir: Path | None = None


def select_turn_states(task: Task, config: EvalConfig) -> tuple[list, Path | None]:
    data_dir = resolve_data_dir(config.data_dir)
    states = turn_states(task.load(config.split, data_dir))
    if config.limit is not None:
        if config.limit < 1:
            raise ConfigError(f"--limit must be positive, got {config.limit}")
        states = states[: config.limit]
    return states, data_dir


def run_evaluation(
    config: EvalConfig, *, resume: bool = False, show_progress: bool = True
) -> EvalResult:
    """Evaluate ``config.model`` on a task split, writing results as items finish.

    With ``resume``, continue the run in ``config.output_dir``: finished items are read
    back from samples.jsonl and only the rest are simulated.
    """
    started = time.perf_counter()
    _check_specs(config)
    task = get_task(config.task)
    states, data_dir = select_turn_states(task, config)
    episodes = episodes_for(states)

    run = RunDirectory(Path(config.output_dir))
    identity = config.identity()
    done = run.prepare(identity, resume=resume)
    done_ids = {record.id for record in done}
    todo = [episode for episode in episodes if episode.id not in done_ids]
    styled, shots = _styled_prompt(task, config, data_dir, states)

    options = config.backend_options()
    load_started = time.perf_counter()
    policy = shared_backend(config.model, options) if todo else None
    classifier = load_classifier(
        config.action_classifier, task=task, backend_options=options, seed=config.seed
    )
    simulator = load_simulator(
        config.simulator, task=task, backend_options=options, seed=config.seed
    )
    _prepare_scoring(task, todo)
    load_s = time.perf_counter() - load_started

    provenance = _provenance(config, task, data_dir, len(episodes))
    provenance["prompting"] = {"style": config.prompt_style, "shots": shots.to_json()}
    provenance["skipped"] = _skipped(task, config.split, data_dir)
    run.write_results({**provenance, "status": "running"})

    loop_started = time.perf_counter()
    records = list(done)
    with progress_bar(
        f"{config.task} · {config.model}", total=len(episodes), enabled=show_progress
    ) as advance:
        advance(len(done))
        for chunk in _chunks(todo, max(1, config.batch_size)):
            new_records = _evaluate_chunk(
                chunk, task, styled, policy, classifier, simulator, config, run, advance
            )
            records.extend(new_records)
    loop_s = time.perf_counter() - loop_started

    records = _in_dataset_order(records, episodes)
    metrics = task.metrics(records)
    counts = metric_counts(records)
    results = {
        **provenance,
        "status": "complete",
        "metrics": metrics,
        "counts": counts,
        "timings": {
            "total_s": round(time.perf_counter() - started, 3),
            "load_s": round(load_s, 3),
            "loop_s": round(loop_s, 3),
            "resumed_items": len(done),
        },
        "usage": _usage([policy, classifier, simulator]),
    }
    run.write_results(results)
    return EvalResult(metrics, counts, results, records, run.path)


def _skipped(task: Task, split: str, data_dir: Path | None) -> dict[str, int]:
    """Items a task flagged and left out of the split, by reason (e.g. a missing database).

    Tasks that skip items implement ``skipped(split, data_dir) -> dict[str, int]``.
    """
    report = getattr(task, "skipped", None)
    return dict(report(split, data_dir)) if callable(report) else {}


def _prepare_scoring(task: Task, episodes: Sequence[Episode]) -> None:
    """Let a task batch its scoring work before the loop scores items one at a time.

    Tasks that can (Abg-CoQA embeds every gold text in batches) implement
    ``prepare_scoring(turn_states, texts=())``.
    """
    prepare = getattr(task, "prepare_scoring", None)
    if callable(prepare) and episodes:
        prepare(list({id(e.turn_state): e.turn_state for e in episodes}.values()))


def _check_specs(config: EvalConfig) -> None:
    """Fail on a misspelt model before any data is read or model loaded."""
    BACKENDS.get(Spec.parse(config.model).kind)


def _styled_prompt(
    task: Task, config: EvalConfig, data_dir: Path | None, states: Sequence[TurnState]
) -> tuple[StyledPrompt, ShotSelection]:
    """The policy's renderer: the task's prompt in the chosen style, after K shots (App. E)."""
    style = get_prompt_style(config.prompt_style)
    shots = select_shots(
        task,
        num_shots=config.num_shots,
        seed=config.seed,
        data_dir=data_dir,
        pool_split=config.shot_pool,
        exclude={state.conversation_id for state in states},
    )
    if shots.note:
        warnings.warn(shots.note, stacklevel=2)
    return build_styled_prompt(task, style, shots.shots), shots


def _evaluate_chunk(chunk, task, styled, policy, classifier, simulator, config, run, advance):
    records: list[EpisodeRecord] = []

    def on_finished(index: int, trajectory: Trajectory) -> None:
        record = score_episode(task, chunk[index], trajectory)
        run.append([record])
        records.append(record)
        advance(1)

    simulate_trajectories(
        chunk,
        policy=policy,
        render=styled,
        parse_response=styled.final_utterance,
        classifier=classifier,
        simulator=simulator,
        sampling=config.sampling(),
        max_turns=config.max_turns,
        on_finished=on_finished,
    )
    return records


def score_episode(task: Task, episode: Episode, trajectory: Trajectory) -> EpisodeRecord:
    """Turn-level score of y against r and the heuristic H of g' against g (App. D)."""
    turn_state = episode.turn_state
    return EpisodeRecord(
        id=episode.id,
        turn_state_id=turn_state.id,
        conversation_id=turn_state.conversation_id,
        goal_index=episode.goal_index,
        gold_action=turn_state.gold_action,
        predicted_action=trajectory.first_action,
        gold_response=turn_state.gold_response,
        goal=episode.goal,
        trajectory=trajectory,
        turn_score=task.score_turn(trajectory.first_response, turn_state),
        trajectory_score=task.score_outcome(trajectory.outcome, episode.goal),
    )


def _chunks(items: Sequence[Episode], size: int):
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _in_dataset_order(
    records: list[EpisodeRecord], episodes: Sequence[Episode]
) -> list[EpisodeRecord]:
    position = {episode.id: index for index, episode in enumerate(episodes)}
    return sorted(records, key=lambda record: position.get(record.id, len(position)))


def _usage(components: Sequence[Any]) -> dict[str, Any]:
    """Token, latency and cost totals per distinct backend (shared ones counted once)."""
    usage: dict[str, Any] = {}
    for component in components:
        backend: Backend | None = (
            component if hasattr(component, "usage") else getattr(component, "backend", None)
        )
        if backend is not None and backend.spec not in usage:
            usage[backend.spec] = backend.usage.to_json()
    return usage


def _provenance(
    config: EvalConfig, task: Task, data_dir: Path | None, n_items: int
) -> dict[str, Any]:
    import torch
    import transformers

    return {
        "act_bench_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "task": config.task,
        "split": config.split,
        "model": config.model,
        "simulator": config.simulator,
        "action_classifier": config.action_classifier,
        "data_source": str(data_dir) if data_dir is not None else "bundled-sample",
        "n_items": n_items,
        "headline_metric": task.headline_metric,
        "config": config.identity(),
        "config_hash": config_hash(config.identity()),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        },
    }
