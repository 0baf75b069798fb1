"""DPO-Dist: off-policy DPO on pairs distilled from two models of different capacity (§4.3, App. B).

For every turn state the higher-capacity model's response is the winner y_w and the
lower-capacity model's the loser y_l (the paper pairs Gemini 1.5 Pro with Flash and
Claude 3.5 Sonnet with 3.0 Haiku; any two backend specs work, e.g.
``--strong litellm:openai/gpt-4o --weak litellm:openai/gpt-4o-mini``). Both see the prompt
evaluation shows the policy. Generated pairs are cached as JSONL, one line per turn state
as soon as it is generated, so they are paid for once: a later run with the same
generators and sampling settings (or a killed one, rerun) generates only what is missing.
Checkpoints are selected by reward margin on the action-based validation D_pref that every
preference trainer selects on (App. J.2; :mod:`act_bench_baselines.common.selection`).
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from act_bench_baselines.common.config import (
    BackendArguments,
    PreferenceArguments,
    TaskTrainingArguments,
)
from act_bench_baselines.common.data import (
    DataSelection,
    PreferencePair,
    append_jsonl,
    prompt_fingerprint,
    read_jsonl,
)
from act_bench_baselines.common.run import TrainingData, TrainingRun, console
from act_bench_baselines.common.selection import selection_rows
from act_bench_baselines.common.trainer import PreferenceTrainer
from trl import DPOConfig

from act_bench.backends import (
    BACKENDS,
    Backend,
    BackendOptions,
    Generation,
    SamplingParams,
)
from act_bench.cache import CacheSettings
from act_bench.errors import ConfigError
from act_bench.generation import ChunkSeeding, chunk_sampling, chunked
from act_bench.options import option
from act_bench.progress import progress_bar
from act_bench.specs import Spec
from act_bench.task import Task
from act_bench.types import TurnState
from act_bench.usage import auxiliary_backend


@dataclass
class DPODistConfig(PreferenceArguments, BackendArguments, TaskTrainingArguments, DPOConfig):
    """``act-bench train dpo-dist``: TRL's ``DPOConfig`` plus the two generators."""

    method_name = "dpo-dist"

    strong: str | None = field(
        default=None,
        metadata={"help": "Higher-capacity model spec; its responses win (required)."},
    )
    weak: str | None = field(
        default=None,
        metadata={"help": "Lower-capacity model spec; its responses lose (required)."},
    )
    strong_temperature: float = field(
        default=0.0, metadata={"help": "Sampling temperature of the strong model (0 = greedy)."}
    )
    weak_temperature: float = field(
        default=0.0, metadata={"help": "Sampling temperature of the weak model (0 = greedy)."}
    )
    top_p: float = option("top_p", note="Here: of both generators.")
    max_new_tokens: int = option("max_new_tokens", 64, note="Here: per generator response.")
    batch_size: int = option(
        "batch_size",
        note="Here: prompts generated and cached together; was --generation-batch-size.",
    )
    pairs_cache: str | None = field(
        default=None,
        metadata={
            "help": "Directory of pair caches (JSONL); default: pairs/ in the act-bench cache "
            "($ACT_BENCH_CACHE or ~/.cache/act-bench)."
        },
    )

    def __post_init__(self) -> None:
        for name in ("strong", "weak"):
            spec = getattr(self, name)
            if not spec:
                raise ConfigError(
                    f"dpo-dist needs --{name} MODEL_SPEC",
                    hint="e.g. --strong litellm:openai/gpt-4o --weak litellm:openai/gpt-4o-mini",
                )
            BACKENDS.get(Spec.parse(spec).kind)  # a misspelt backend fails here, before any work
        super().__post_init__()


@dataclass(frozen=True, slots=True)
class Generator:
    """One side of the pair: a backend spec and how it samples."""

    spec: str
    sampling: SamplingParams

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.spec, "sampling": self.sampling.to_json()}


@dataclass(slots=True)
class PairReport:
    """What building one split's pairs cost and produced."""

    turn_states: int = 0
    cached: int = 0
    generated: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    identical: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "turn_states": self.turn_states,
            "from_cache": self.cached,
            "generated": self.generated,
            "failed": self.failed,
            "identical_left_out": self.identical,
        }


class PairCache:
    """The JSONL file holding the pairs of one (task, strong, weak, sampling) combination.

    Lines are keyed by turn-state id and the fingerprint of the rendered prompt, so a
    changed prompt format regenerates instead of reusing a stale pair.
    """

    def __init__(self, directory: Path, task: str, strong: Generator, weak: Generator) -> None:
        key = {"task": task, "strong": strong.to_json(), "weak": weak.to_json()}
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
        self.path = Path(directory) / f"{task}-{digest}.jsonl"

    def load(self) -> dict[tuple[str, str], PreferencePair]:
        records = read_jsonl(self.path, required=("turn_state_id", "prompt_sha", "chosen"))
        return {(r["turn_state_id"], r["prompt_sha"]): PreferencePair.from_json(r) for r in records}

    def append(self, pairs: Sequence[tuple[str, PreferencePair]]) -> None:
        append_jsonl(self.path, ({**p.to_json(), "prompt_sha": sha} for sha, p in pairs))


def build_pairs(
    turn_states: Sequence[TurnState],
    *,
    task: Task,
    cache: PairCache,
    strong: Generator,
    weak: Generator,
    options: BackendOptions,
    chunk_size: int,
    show_progress: bool,
    response_cache: CacheSettings | None = None,
    description: str,
) -> tuple[list[tuple[TurnState, PreferencePair]], PairReport]:
    """A pair per turn state, from the cache where it has one, generated otherwise.

    A turn state whose generation failed on either side has no pair (its error is
    reported, and the next run retries it); pairs whose two responses are the same text
    are left out (DPO learns nothing from them) and listed.
    """
    report = PairReport(turn_states=len(turn_states))
    cached = cache.load()
    shas = {ts.id: prompt_fingerprint(task.render_messages(ts.prompt)) for ts in turn_states}
    todo = [ts for ts in turn_states if (ts.id, shas[ts.id]) not in cached]
    report.cached = len(turn_states) - len(todo)
    if todo:
        backends = _load_generators(strong, weak, options, response_cache or CacheSettings())
        with progress_bar(description, total=len(todo), enabled=show_progress) as advance:
            for index, chunk in chunked(todo, chunk_size):
                prompts = [task.render_messages(ts.prompt) for ts in chunk]
                per_chunk = ChunkSeeding.PER_CHUNK
                good = backends[strong.spec].generate(
                    prompts, chunk_sampling(strong.sampling, index, per_chunk)
                )
                bad = backends[weak.spec].generate(
                    prompts, chunk_sampling(weak.sampling, index, per_chunk)
                )
                new = _pairs_of_chunk(chunk, good, bad, strong, weak, report)
                cache.append([(shas[pair.turn_state_id], pair) for pair in new])
                cached.update(
                    {(pair.turn_state_id, shas[pair.turn_state_id]): pair for pair in new}
                )
                advance(len(chunk))
        del backends
        _free_memory()
    pairs = []
    for ts in turn_states:
        pair = cached.get((ts.id, shas[ts.id]))
        if pair is not None and pair.chosen.strip() == pair.rejected.strip():
            report.identical.append(ts.id)
        elif pair is not None:
            pairs.append((ts, pair))
    return pairs, report


def _pairs_of_chunk(
    chunk: Sequence[TurnState],
    good: Sequence[Generation],
    bad: Sequence[Generation],
    strong: Generator,
    weak: Generator,
    report: PairReport,
) -> list[PreferencePair]:
    """The chunk's pairs; a failure on either side leaves its turn state without one."""
    pairs = []
    for ts, chosen, rejected in zip(chunk, good, bad, strict=True):
        if chosen.error or rejected.error:
            report.failed[ts.id] = chosen.error or rejected.error or ""
            continue
        provenance = _provenance(strong, weak, chosen, rejected)
        pairs.append(PreferencePair(ts.id, chosen.text, rejected.text, provenance))
    report.generated += len(pairs)
    return pairs


def _load_generators(
    strong: Generator, weak: Generator, options: BackendOptions, response_cache: CacheSettings
) -> dict[str, Backend]:
    """One backend per distinct spec (the same model at two temperatures loads once), its
    calls answered from the response cache where ``response_cache`` allows (issue 16)."""
    loaded: dict[str, Backend] = {}
    for generator in (strong, weak):
        if generator.spec not in loaded:
            loaded[generator.spec] = auxiliary_backend(
                generator.spec, "generator", options, response_cache
            )
    return loaded


def _provenance(
    strong: Generator, weak: Generator, good: Generation, bad: Generation
) -> dict[str, Any]:
    return {
        "chosen_from": strong.spec,
        "rejected_from": weak.spec,
        "chosen_tokens": good.completion_tokens,
        "rejected_tokens": bad.completion_tokens,
        "cost_usd": round(good.cost_usd + bad.cost_usd, 6),
    }


def _free_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class DPODistRun(TrainingRun[DPODistConfig]):
    method = "dpo-dist"
    trainer_class = PreferenceTrainer

    def generators(self) -> tuple[Generator, Generator]:
        config = self.config

        def sampling(temperature: float) -> SamplingParams:
            return SamplingParams(
                max_new_tokens=config.max_new_tokens,
                temperature=temperature,
                top_p=config.top_p,
                seed=config.seed,
            )

        return (
            Generator(config.strong, sampling(config.strong_temperature)),
            Generator(config.weak, sampling(config.weak_temperature)),
        )

    def build_data(self, selection: DataSelection, tokenizer: Any) -> TrainingData:
        """Distilled pairs for the training conversations; the validation rows are the
        action-based D_pref every preference trainer selects on (App. J.2)."""
        strong, weak = self.generators()
        cache = PairCache(self._cache_dir(), self.config.task, strong, weak)
        chat = self.chat_format(tokenizer)
        lengths = self.length_filter(tokenizer)
        with self.state.main_process_first():  # the main process generates, the others read
            pairs, report = build_pairs(
                lengths.keep_prompts(selection.train.turn_states, "train"),
                task=self.task,
                cache=cache,
                strong=strong,
                weak=weak,
                options=self._backend_options(),
                chunk_size=self.config.batch_size,
                show_progress=self.show_progress and self.state.is_main_process,
                response_cache=CacheSettings(
                    enabled=self.config.cache, directory=self.config.cache_dir
                ),
                description="pairs · train",
            )
        self._warn_failures("train", report)
        rows = [chat.preference_row(ts, p.chosen, p.rejected) for ts, p in pairs]
        validation_rows, selection_record = selection_rows(self, selection, chat, lengths)
        train, validation = self.datasets(rows, validation_rows, lengths)
        record = {
            "pairs_cache": str(cache.path),
            "generators": {"strong": strong.to_json(), "weak": weak.to_json()},
            "pairs": {"train": report.to_json()},
            **selection_record,
            "train_examples": len(train),
            "validation_examples": len(validation) if validation is not None else 0,
            **lengths.to_json(),
        }
        return TrainingData(train, validation, record)

    def _cache_dir(self) -> Path:
        if self.config.pairs_cache:
            return Path(self.config.pairs_cache)
        from act_bench.paths import cache_root

        return cache_root() / "pairs"

    def _backend_options(self) -> BackendOptions:
        return self.config.backend_options()

    def _warn_failures(self, name: str, report: PairReport) -> None:
        if not self.state.is_main_process:
            return
        if report.failed:
            first = next(iter(report.failed.items()))
            console.print(
                f"[yellow]note:[/] {len(report.failed)} {name} pairs failed to generate "
                f"(first: {first[0]}: {first[1]}); rerun to retry them",
                highlight=False,
            )
        if report.identical:
            console.print(
                f"[yellow]note:[/] {len(report.identical)} {name} pairs have identical "
                "responses and are left out",
                highlight=False,
            )


def train_dpo_dist(config: DPODistConfig) -> Any:
    """Run DPO-Dist; returns a :class:`~act_bench_baselines.common.run.TrainingResult`."""
    return DPODistRun(config).run()
