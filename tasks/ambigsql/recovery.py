"""How much clarification recovers: execution match with and without the gold clarification
turns (App. C.2, Table A14).

For every ambiguous conversation of a split, a model is asked for the SQL twice, each time
told that it must write a SQL query:

* **ambiguous request**: the prompt holds only the ambiguous request (the conversation's
  t1);
* **with clarification turns**: the prompt holds the ambiguous request, the gold
  clarifying question and the clear request (t2, "the disambiguation turns as
  conversation history").

Both answers are scored by execution match against the gold SQL on the example's
database. Decoding is greedy; all prompts of a condition go to the backend in batches.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from act_bench_tasks.ambigsql.prompt import render_messages
from act_bench_tasks.ambigsql.sql_extract import extract_sql

from act_bench import __version__
from act_bench.backends import Backend, BackendOptions, SamplingParams, shared_backend
from act_bench.data import resolve_data_dir
from act_bench.errors import ConfigError, DataError
from act_bench.generation import ChunkSeeding, generate_in_chunks
from act_bench.metrics.execution import ExecutionMatcher
from act_bench.progress import progress_bar
from act_bench.protocols import get_protocol
from act_bench.results import config_hash
from act_bench.types import Prompt, TurnState

# App. C.2: "each instruction including the instruction that the LLM must construct a SQL query".
INSTRUCTION = (
    "You are an Assistant having a conversation with a User who would like to retrieve some "
    "information from a SQL database with the schema provided below. You must answer the "
    "User's last request with a SQL query: reply with the SQL query only."
)
CONDITIONS = ("ambiguous_request", "with_clarification_turns")


@dataclass(frozen=True, slots=True)
class RecoveryConfig:
    model: str = "smollm2"
    split: str = "test"
    data_dir: str | None = None
    limit: int | None = None
    batch_size: int = 8
    max_new_tokens: int | None = None  # None: the protocol's budget or the task's (256)
    protocol: str = "act-bench"
    seed: int = 0
    device: str | None = None
    dtype: str | None = None
    api_base: str | None = None
    max_concurrency: int = 8
    output_dir: str | None = None


@dataclass(slots=True)
class RecoveryResult:
    metrics: dict[str, float | None]
    counts: dict[str, int]
    items: list[dict[str, Any]] = field(default_factory=list)
    output_dir: Path | None = None


def ambiguous_pairs(states: Sequence[TurnState]) -> list[tuple[TurnState, TurnState]]:
    """(t1, t2) of every ambiguous conversation, in order."""
    by_conversation: dict[str, list[TurnState]] = {}
    for state in states:
        by_conversation.setdefault(state.conversation_id, []).append(state)
    return [
        (group[0], group[1])
        for group in by_conversation.values()
        if len(group) == 2 and group[0].metadata.get("ambiguity_type")
    ]


def _prompts(pairs: Sequence[tuple[TurnState, TurnState]], condition: str) -> list[Prompt]:
    return [t1.prompt if condition == CONDITIONS[0] else t2.prompt for t1, t2 in pairs]


def run_recovery(config: RecoveryConfig, *, show_progress: bool = True) -> RecoveryResult:
    """Table A14 for ``config.model`` on the ambiguous conversations of a split."""
    from act_bench_tasks.ambigsql import task

    started = time.perf_counter()
    loaded = task.load_conversations(
        config.split, resolve_data_dir(config.data_dir), include_followups=True
    )
    pairs = ambiguous_pairs([s for c in loaded.conversations for s in c.turn_states])
    if config.limit is not None:
        if config.limit < 1:
            raise ConfigError(f"--limit must be positive, got {config.limit}")
        pairs = pairs[: config.limit]
    if not pairs:
        raise DataError(f"no ambiguous conversations with a database in split {config.split!r}")
    protocol = get_protocol(config.protocol)
    config = replace(
        config, max_new_tokens=protocol.new_tokens(config.max_new_tokens, task.defaults)
    )
    backend = shared_backend(config.model, _options(config))
    sampling = SamplingParams(max_new_tokens=config.max_new_tokens, seed=config.seed)
    matcher = ExecutionMatcher()
    responses: dict[str, list[str]] = {}
    with progress_bar(
        f"recovery · {config.model}", 2 * len(pairs), enabled=show_progress
    ) as advance:
        for condition in CONDITIONS:
            prompts = _prompts(pairs, condition)
            responses[condition] = _generate(backend, prompts, sampling, config.batch_size, advance)
    items = [_score(matcher, t1, responses, index) for index, (t1, _) in enumerate(pairs)]
    result = _summarize(items)
    result.output_dir = _write(config, result, loaded.skipped, time.perf_counter() - started)
    return result


def _options(config: RecoveryConfig) -> BackendOptions:
    return BackendOptions(
        device=config.device,
        dtype=config.dtype,
        api_base=config.api_base,
        max_concurrency=config.max_concurrency,
        batch_size=config.batch_size,
    )


def _generate(
    backend: Backend,
    prompts: Sequence[Prompt],
    sampling: SamplingParams,
    batch_size: int,
    advance: Callable[[int], None],
) -> list[str]:
    generations = generate_in_chunks(
        backend,
        [render_messages(p, INSTRUCTION) for p in prompts],
        sampling,
        chunk_size=batch_size,
        seeding=ChunkSeeding.SAME,
        advance=advance,
    )
    return ["" if g.error else g.text for g in generations]


def _score(
    matcher: ExecutionMatcher, t1: TurnState, responses: dict[str, list[str]], index: int
) -> dict[str, Any]:
    goal = t1.goals[0]
    item: dict[str, Any] = {
        "id": t1.conversation_id,
        "ambiguity_type": t1.metadata.get("ambiguity_type"),
        "gold_sql": goal.answer,
    }
    for condition in CONDITIONS:
        response = responses[condition][index]
        verdict = matcher.match(extract_sql(response), str(goal.answer), goal.metadata["db_path"])
        item[condition] = {
            "response": response,
            "match": verdict.match,
            "error": verdict.pred_error or verdict.gold_error,
        }
    return item


def _summarize(items: list[dict[str, Any]]) -> RecoveryResult:
    n = len(items)
    metrics: dict[str, float | None] = {}
    counts = {"n_items": n}
    for condition in CONDITIONS:
        matches = sum(item[condition]["match"] for item in items)
        metrics[f"{condition}_execution_match"] = round(100 * matches / n, 4) if n else None
        counts[f"{condition}_matches"] = matches
        counts[f"{condition}_errors"] = sum(item[condition]["error"] is not None for item in items)
    first, second = (metrics[f"{c}_execution_match"] for c in CONDITIONS)
    metrics["recovery_gain"] = None if first is None or second is None else round(second - first, 4)
    return RecoveryResult(metrics, counts, items)


def _write(
    config: RecoveryConfig, result: RecoveryResult, skipped: dict[str, int], elapsed: float
) -> Path | None:
    if config.output_dir is None:
        return None
    folder = Path(config.output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    identity = {k: v for k, v in asdict(config).items() if k != "output_dir"}
    summary = {
        "analysis": "ambigsql-recovery",
        "act_bench_version": __version__,
        "protocol": config.protocol,
        "config": identity,
        "config_hash": config_hash(identity),
        "instruction": INSTRUCTION,
        "metrics": result.metrics,
        "counts": result.counts,
        "skipped": skipped,
        "elapsed_s": round(elapsed, 3),
    }
    (folder / "recovery.json").write_text(json.dumps(summary, indent=2) + "\n")
    with (folder / "samples.jsonl").open("w") as handle:
        for item in result.items:
            handle.write(json.dumps(item) + "\n")
    return folder
