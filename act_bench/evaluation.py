"""``act-bench eval`` as a library function: run the episode loop over a task split and score it."""

from __future__ import annotations

import math
import platform
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from act_bench import __version__
from act_bench.analysis import run_counts, run_metrics, run_slices
from act_bench.backends import (
    BACKENDS,
    BackendOptions,
    SamplingParams,
    shared_backend,
)
from act_bench.cache import CacheSettings, ResponseCache
from act_bench.classifiers import load_classifier
from act_bench.data import resolve_data_dir
from act_bench.data_source import DataSource, fingerprint, recording_reads
from act_bench.episode import Episode, episodes_for, simulate_trajectories
from act_bench.errors import ConfigError, DataError
from act_bench.generation import chunked
from act_bench.metrics import other_mode_metrics
from act_bench.options import option
from act_bench.progress import progress_bar
from act_bench.prompt_provenance import prompt_fingerprint
from act_bench.prompting import (
    ShotSelection,
    StyledPrompt,
    build_styled_prompt,
    get_prompt_style,
    select_shots,
)
from act_bench.protocols import ACT_BENCH, EvaluationProtocol, get_protocol
from act_bench.results import RunDirectory, config_hash
from act_bench.results_schema import RunResults
from act_bench.selection import conversations_seen
from act_bench.simulators import load_simulator
from act_bench.specs import Spec
from act_bench.task import Task, get_task, turn_states
from act_bench.training_record import trained_prompt_style
from act_bench.trials import memoized_similarity, trial_seed, trial_statistics
from act_bench.types import EpisodeRecord, ModeScores, StopReason, Trajectory, TurnState
from act_bench.usage import CLASSIFIER, POLICY, SIMULATOR, RoleBackend, role_usage


@dataclass(frozen=True, slots=True)
class EvalConfig:
    """Everything that determines an evaluation run; recorded verbatim in results.json."""

    task: str = option("task")
    model: str = option("model")
    simulator: str = option("simulator")
    action_classifier: str = option("action_classifier")
    protocol: str = option("protocol")
    split: str = option("split")
    data_dir: str | None = option("data_dir")
    limit: int | None = option("limit")
    batch_size: int = option("batch_size")
    seed: int = option("seed")
    max_turns: int | None = option("max_turns")  # None: the protocol's cap, else 3
    # None: the protocol's budget or the task's default
    max_new_tokens: int | None = option("max_new_tokens")
    temperature: float = option("temperature")
    top_p: float = option("top_p")
    device: str | None = option("device")
    dtype: str | None = option("dtype")
    api_base: str | None = option("api_base")
    max_concurrency: int = option("max_concurrency")
    # per API request attempt; not part of the run's identity
    timeout_s: float = option("timeout_s")
    prompt_style: str | None = option("prompt_style")  # None: the checkpoint's, else standard
    num_shots: int = option("num_shots")
    shot_pool: str = option("shot_pool")
    # keep a checkpoint's selection (and training) conversations
    include_selection: bool = option("include_selection")
    # conversations of the split left out of the run, e.g. those any compared checkpoint
    # trained or was selected on (act-bench reproduce --train scores all on the same ones)
    exclude_conversations: tuple[str, ...] = ()
    output_dir: str = option("output_dir")
    # reuse computed prompt prefixes; not part of the identity
    prefix_cache: bool = option("prefix_cache")
    # runs of every episode, each with its own seed (act_bench.trials)
    num_trials: int = option("num_trials")
    cache: bool = option("cache")  # the response cache for auxiliary model calls (act_bench.cache)
    # None: $ACT_BENCH_CACHE or the user cache directory
    cache_dir: str | None = option("cache_dir")
    # also cache the policy's calls (then trials repeat them)
    cache_policy: bool = option("cache_policy")

    def resolved(self) -> EvalConfig:
        """The config with the turn cap and token budget its protocol and task imply filled
        in, so that results.json and the config hash record the numbers the run used."""
        protocol = get_protocol(self.protocol)
        defaults = get_task(self.task).defaults
        return replace(
            self,
            max_turns=protocol.turn_cap(self.max_turns),
            max_new_tokens=protocol.new_tokens(self.max_new_tokens, defaults),
            prompt_style=self.prompt_style or trained_prompt_style(self.model) or "standard",
        )

    def identity(self) -> dict[str, Any]:
        """The fields that define the run's results (not where they are written, nor how
        long an API request may take: a run that hit a hung server resumes with another
        ``--timeout``)."""
        data = asdict(self)
        data.pop("output_dir")
        data.pop("timeout_s")
        data.pop("prefix_cache")  # greedy outputs are the same with and without it
        for name in ("cache", "cache_dir", "cache_policy"):  # a cached reply is the reply
            data.pop(name)
        if self.num_trials == 1:  # a one-trial run keeps the identity it had before trials
            data.pop("num_trials")
        if not self.exclude_conversations:  # and a run without exclusions its identity
            data.pop("exclude_conversations")
        return data

    def cache_settings(self) -> CacheSettings:
        return CacheSettings(enabled=self.cache, directory=self.cache_dir, policy=self.cache_policy)

    def backend_options(self) -> BackendOptions:
        return BackendOptions(
            device=self.device,
            dtype=self.dtype,
            api_base=self.api_base,
            max_concurrency=self.max_concurrency,
            timeout_s=self.timeout_s,
            batch_size=self.batch_size,
            prefix_cache=self.prefix_cache,
        )

    def sampling(self) -> SamplingParams:
        return SamplingParams(
            max_new_tokens=self.max_new_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            seed=self.seed,
        )

    def validate(self) -> None:
        """Refuse any unusable option before data is read or a model loaded (flag names as
        the CLI spells them, so the message points at what to change)."""
        _check_ranges(self)
        task = get_task(self.task)
        for flag, split in (("--split", self.split), ("--shot-pool", self.shot_pool)):
            if split not in task.splits:
                raise ConfigError(
                    f"{flag} {split!r} is not a split of {self.task}; "
                    f"known: {', '.join(task.splits)}"
                )
        get_prompt_style(self.prompt_style or "standard")
        BACKENDS.get(Spec.parse(self.model).kind)
        for flag, spec, builtin in (
            ("--simulator", self.simulator, "gold"),
            ("--action-classifier", self.action_classifier, "heuristic"),
        ):
            kind = Spec.parse(spec).kind
            if kind != builtin and kind not in BACKENDS:
                raise ConfigError(
                    f"{flag} {spec!r} is neither {builtin!r} nor a model spec",
                    hint=f"known model kinds: {', '.join(BACKENDS.names())}",
                )
        if self.data_dir is not None and not Path(self.data_dir).expanduser().is_dir():
            raise ConfigError(f"--data-dir {self.data_dir} is not a directory")
        output = Path(self.output_dir)
        if output.exists() and not output.is_dir():
            raise ConfigError(f"--output-dir {output} exists and is not a directory")
        cache_dir = Path(self.cache_dir).expanduser() if self.cache and self.cache_dir else None
        if cache_dir is not None and cache_dir.exists() and not cache_dir.is_dir():
            raise ConfigError(
                f"--cache-dir {cache_dir} exists and is not a directory",
                hint="pass a folder for the response cache, or --no-cache",
            )


def _check_ranges(config: EvalConfig) -> None:
    """Numeric options in their ranges; bool is not accepted where a number is meant."""
    positive = {
        "--batch-size": config.batch_size,
        "--max-turns": config.max_turns,
        "--max-new-tokens": config.max_new_tokens,
        "--max-concurrency": config.max_concurrency,
        "--num-trials": config.num_trials,
    }
    if config.limit is not None:
        positive["--limit"] = config.limit
    for flag, value in positive.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{flag} must be a positive integer, got {value!r}")
    for flag, value in {"--seed": config.seed, "--num-shots": config.num_shots}.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{flag} must be a non-negative integer, got {value!r}")
    if not (math.isfinite(config.temperature) and config.temperature >= 0):
        raise ConfigError(f"--temperature must be >= 0 (0 = greedy), got {config.temperature}")
    if not (math.isfinite(config.top_p) and 0 < config.top_p <= 1):
        raise ConfigError(f"--top-p must be in (0, 1], got {config.top_p}")
    if isinstance(config.timeout_s, bool) or not config.timeout_s > 0:
        raise ConfigError(f"--timeout must be a positive number of seconds, got {config.timeout_s}")


@dataclass(slots=True)
class EvalResult:
    metrics: dict[str, float | None]
    counts: dict[str, int]
    run_results: RunResults  # what results.json holds, typed
    records: list[EpisodeRecord] = field(default_factory=list)
    output_dir: Path | None = None
    retried: int = 0  # (episode, trial)s resumed because they had ended in a backend error

    @property
    def results(self) -> dict[str, Any]:
        """``results.json`` as written (:meth:`RunResults.to_json`)."""
        return self.run_results.to_json()


def select_turn_states(task: Task, config: EvalConfig) -> tuple[list, Path | None]:
    data_dir = resolve_data_dir(config.data_dir)
    states = turn_states(task.load(config.split, data_dir))
    excluded = _selection_ids(config)
    states = [state for state in states if state.conversation_id not in excluded]
    if config.limit is not None:
        if config.limit < 1:
            raise ConfigError(f"--limit must be positive, got {config.limit}")
        states = states[: config.limit]
    return states, data_dir


def _selection_ids(config: EvalConfig) -> frozenset[str]:
    """The conversations of this split that selected or trained the checkpoint under
    evaluation, unless ``include_selection`` (:mod:`act_bench.selection`), and those
    ``exclude_conversations`` names."""
    listed = frozenset(config.exclude_conversations)
    if config.include_selection:
        return listed
    seen = [
        sample.conversation_ids
        for sample in conversations_seen(config.model)
        if (sample.task, sample.split) == (config.task, config.split)
    ]
    return listed.union(*seen)


def _excluded_selection(task: Task, config: EvalConfig, data_dir: Path | None) -> int:
    """How many turn states of the split the selection exclusion left out."""
    ids = _selection_ids(config)
    if not ids:
        return 0
    return sum(s.conversation_id in ids for s in turn_states(task.load(config.split, data_dir)))


def _unique_items(episodes: Sequence[Episode], source: DataSource) -> None:
    """Item ids are unique in the data: a repeated one would be scored and counted twice."""
    seen: set[str] = set()
    for episode in episodes:
        if episode.id in seen:
            files = ", ".join(f.path for f in source.files) or "the task's data"
            raise DataError(f"item id {episode.id!r} appears twice in the data", file=files)
        seen.add(episode.id)


def _known_items(
    done: Sequence[EpisodeRecord], episodes: Sequence[Episode], run, num_trials: int = 1
) -> None:
    """Every finished record is an item and a trial of this run (else the metrics would
    count it)."""
    ids = {episode.id for episode in episodes}
    for record in done:
        if record.id not in ids:
            raise DataError(
                f"item id {record.id!r} is not an item of this run",
                file=str(run.samples_path),
                field="id",
            )
        if record.trial >= num_trials:
            raise DataError(
                f"item {record.id!r} has trial {record.trial}, but this run has "
                f"--num-trials {num_trials}",
                file=str(run.samples_path),
                field="trial",
            )


def run_evaluation(
    config: EvalConfig, *, resume: bool = False, show_progress: bool = True
) -> EvalResult:
    """Evaluate ``config.model`` on a task split, writing results as items finish.

    With ``resume``, continue the run in ``config.output_dir``: finished items are read
    back from samples.jsonl and only the rest are simulated.
    """
    config = config.resolved()
    config.validate()
    run = RunDirectory(Path(config.output_dir))
    with run.locked():
        return _evaluate(config, run, resume=resume, show_progress=show_progress)


def _evaluate(
    config: EvalConfig, run: RunDirectory, *, resume: bool, show_progress: bool
) -> EvalResult:
    started = time.perf_counter()
    task = get_task(config.task)
    with recording_reads() as reads:
        states, data_dir = select_turn_states(task, config)
        styled, shots = _styled_prompt(task, config, data_dir, states)
    source = fingerprint(reads, data_dir)
    episodes = episodes_for(states)
    _unique_items(episodes, source)

    # model-backed roles load their model on first use, so the prompt fingerprints enter
    # the identity (and a refused resume is refused) before any model is loaded
    options = config.backend_options()
    cache = config.cache_settings().open()
    seeds = [trial_seed(config.seed, trial) for trial in range(config.num_trials)]
    classifier_backend = _role_backend(config.action_classifier, CLASSIFIER, options, cache)
    simulator_backend = _role_backend(config.simulator, SIMULATOR, options, cache)
    classifier = load_classifier(
        config.action_classifier,
        task=task,
        backend_options=options,
        seed=config.seed,
        backend=classifier_backend,
    )
    simulators = [
        load_simulator(
            config.simulator,
            task=task,
            backend_options=options,
            seed=seed,
            temperature=config.temperature,
            backend=simulator_backend,
        )
        for seed in seeds
    ]
    prompts = _prompt_fingerprints(simulators[0], classifier)

    # The fingerprint says which data was read; where it lay (--data-dir or
    # $ACT_BENCH_DATA, any path) is not part of the run's identity.
    identity = {**config.identity(), "data_source": source.identity()}
    identity.pop("data_dir")
    if prompts:
        identity["prompts"] = prompts
    done = run.prepare(identity, resume=resume)
    _known_items(done, episodes, run, config.num_trials)
    done, retried = _retry_backend_errors(done, run)
    done_keys = {record.key for record in done}
    todo = [
        (trial, episode)
        for trial in range(config.num_trials)
        for episode in episodes
        if (episode.id, trial) not in done_keys
    ]

    load_started = time.perf_counter()
    policy_cache = cache if config.cache_policy else None
    policy = _role_backend(config.model, POLICY, options, policy_cache)
    if todo and policy is not None:
        policy.backend  # noqa: B018 -- load the policy now, so load_s counts it
    _prepare_scoring(task, [episode for _, episode in todo])
    load_s = time.perf_counter() - load_started

    provenance = _provenance(config, task, source, identity, len(episodes))
    provenance["prompting"] = {"style": config.prompt_style, "shots": shots.to_json()}
    provenance["skipped"] = dict(task.skipped(config.split, data_dir))
    if prompts:
        provenance["prompts"] = prompts
    provenance["trials"] = _trials_note(config, seeds)
    run.write_results(_run_results(run, provenance))

    loop_started = time.perf_counter()
    records = list(done)
    with progress_bar(
        f"{config.task} · {config.model}",
        total=len(episodes) * config.num_trials,
        enabled=show_progress,
    ) as advance:
        advance(len(done))
        for trial, seed in enumerate(seeds):
            trial_todo = [episode for t, episode in todo if t == trial]
            sampling = replace(config.sampling(), seed=seed)
            for _, chunk in chunked(trial_todo, config.batch_size):
                new_records = _evaluate_chunk(
                    chunk,
                    task,
                    styled,
                    policy,
                    classifier,
                    simulators[trial],
                    config,
                    run,
                    advance,
                    trial=trial,
                    sampling=sampling,
                )
                records.extend(new_records)
    loop_s = time.perf_counter() - loop_started
    if cache is not None:
        cache.close()

    records = _in_dataset_order(records, episodes)
    statistics_started = time.perf_counter()
    similarity = memoized_similarity()
    statistics = trial_statistics(
        records,
        lambda part: {
            **run_metrics(task, part, similarity=similarity),
            **other_mode_metrics(part, task.metrics),
        },
        num_trials=config.num_trials,
        tolerance=task.defaults.act_tolerance,
        seed=config.seed,
    )
    metrics = statistics.metrics
    statistics_s = time.perf_counter() - statistics_started
    counts = {
        **run_counts(records),
        "n_excluded_selection": _excluded_selection(task, config, data_dir),
    }
    scores = {
        "metrics": metrics,
        "counts": counts,
        "slices": run_slices(task, records, similarity=similarity),
        **{key: value for key, value in statistics.to_json().items() if key != "metrics"},
        "timings": {
            "total_s": round(time.perf_counter() - started, 3),
            "load_s": round(load_s, 3),
            "loop_s": round(loop_s, 3),
            "resumed_items": len(done),
            "bootstrap_s": round(statistics_s, 3),
            "retried_backend_errors": retried,
            "request_timeout_s": config.timeout_s,
        },
        "usage": role_usage([policy, simulator_backend, classifier_backend]),
    }
    results = _run_results(run, provenance, scores)
    run.write_results(results)
    return EvalResult(metrics, counts, results, records, run.path, retried)


def _run_results(
    run: RunDirectory, provenance: dict[str, Any], scores: dict[str, Any] | None = None
) -> RunResults:
    """The run's ``results.json``, built in this one place as a :class:`RunResults`: the
    provenance alone while the run is under way, with its scores once it has finished.

    With backend errors the metrics are not the model's, so the run is ``incomplete`` and
    ``--resume`` runs those items again.
    """
    if scores is None:
        status = "running"
    else:
        status = "incomplete" if scores["counts"]["n_backend_errors"] else "complete"
    return RunResults.build(
        file=str(run.results_path), **provenance, status=status, **(scores or {})
    )


def _retry_backend_errors(
    done: list[EpisodeRecord], run: RunDirectory
) -> tuple[list[EpisodeRecord], int]:
    """An item that ended in a backend error is not finished: ``--resume`` runs it again.

    Its line leaves samples.jsonl first (an atomic rewrite), so each id keeps one line and
    a run killed in between simply runs it on the next resume.
    """
    failed = {r.key for r in done if r.trajectory.stop_reason is StopReason.BACKEND_ERROR}
    if failed:
        run.drop_samples(failed)
    return [record for record in done if record.key not in failed], len(failed)


def _prepare_scoring(task: Task, episodes: Sequence[Episode]) -> None:
    """Let a task batch its scoring work before the loop scores items one at a time
    (:meth:`Task.prepare_scoring`; Abg-CoQA embeds every gold text in batches)."""
    if episodes:
        task.prepare_scoring(list({id(e.turn_state): e.turn_state for e in episodes}.values()))


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


def _evaluate_chunk(
    chunk, task, styled, policy, classifier, simulator, config, run, advance, *, trial, sampling
):
    records: list[EpisodeRecord] = []

    protocol = get_protocol(config.protocol)

    def on_finished(index: int, trajectory: Trajectory) -> None:
        record = replace(score_episode(task, chunk[index], trajectory, protocol), trial=trial)
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
        sampling=sampling,
        rules=protocol.turn_rules(config.max_turns, task.defaults),
        on_finished=on_finished,
    )
    return records


def score_episode(
    task: Task,
    episode: Episode,
    trajectory: Trajectory,
    protocol: EvaluationProtocol = ACT_BENCH,
) -> EpisodeRecord:
    """Turn-level score of y against r and the heuristic H of g' against g (App. D), in
    the protocol's variant of the task's metric and, beside them, in each other variant.

    A trajectory that never answered scores 0 where the protocol credits no such outcome.
    """
    turn_state = episode.turn_state
    mode = protocol.metric_mode(task)
    other_modes = {
        other: ModeScores(
            task.score_turn(trajectory.first_response, turn_state, other),
            protocol.outcome_score(task, trajectory, episode.goal, other),
        )
        for other in task.metric_modes
        if other != mode
    }
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
        turn_score=task.score_turn(trajectory.first_response, turn_state, mode),
        trajectory_score=protocol.outcome_score(task, trajectory, episode.goal, mode),
        other_modes=other_modes,
        slices=task.slice_values(turn_state),
    )


def _in_dataset_order(
    records: list[EpisodeRecord], episodes: Sequence[Episode]
) -> list[EpisodeRecord]:
    position = {episode.id: index for index, episode in enumerate(episodes)}
    return sorted(
        records, key=lambda record: (position.get(record.id, len(position)), record.trial)
    )


def _role_backend(
    spec: str, role: str, options: BackendOptions, cache: ResponseCache | None
) -> RoleBackend | None:
    """The model a role names, metered for that role and cached where ``cache`` is given;
    None for ``gold`` and ``heuristic``, which call no model."""
    parsed = Spec.parse(spec)
    if parsed.kind not in BACKENDS:
        return None
    return RoleBackend(
        str(parsed),
        role,
        lambda: shared_backend(parsed, options),
        options=options,
        cache=cache,
    )


def _prompt_fingerprints(simulator: object, classifier: object) -> dict[str, str]:
    """The simulator's and classifier's prompt hashes, for those that prompt a model."""
    prints = {SIMULATOR: prompt_fingerprint(simulator), CLASSIFIER: prompt_fingerprint(classifier)}
    return {role: digest for role, digest in prints.items() if digest is not None}


def _trials_note(config: EvalConfig, seeds: Sequence[int]) -> dict[str, Any]:
    """How the trials of a run differ, in results.json (issue 16)."""
    gold = Spec.parse(config.simulator).kind == "gold"
    if gold:
        varies = "the gold simulator replays the data and is deterministic: trials differ by"
        varies += " the policy's sampling only"
    else:
        varies = "the model simulator samples at the policy's --temperature with each"
        varies += " trial's seed: trials differ by the policy's and the simulator's sampling"
    if config.temperature == 0 and config.num_trials > 1:
        varies += "; the policy is greedy (--temperature 0), so trials repeat one another"
    return {
        "num_trials": config.num_trials,
        "seeds": list(seeds),
        "simulator_deterministic": gold,
        "note": varies,
    }


def _provenance(
    config: EvalConfig, task: Task, source: DataSource, identity: dict[str, Any], n_items: int
) -> dict[str, Any]:
    import torch
    import transformers

    return {
        "act_bench_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "protocol": config.protocol,
        "task": config.task,
        "split": config.split,
        "model": config.model,
        "simulator": config.simulator,
        "action_classifier": config.action_classifier,
        "data_source": source.to_json(),
        "n_items": n_items,
        "headline_metric": task.headline_metric,
        "config": identity,
        "config_hash": config_hash(identity),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        },
    }
