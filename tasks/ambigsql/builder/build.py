"""``act-bench data build-ambigsql``: AmbigSQL from a Spider folder (App. C.1, Table A10).

For every Spider example the builder picks the ambiguity type (presentation for a sorted
list, otherwise information or population at random, seeded), asks the generator for the
ambiguous request and its clarifying question, validates the pair, and writes::

    <out>/train.jsonl       pairs from Spider's train_spider.json
    <out>/validation.jsonl  pairs from half of Spider's dev databases
    <out>/test.jsonl        pairs from the other half
    <out>/stats.json        Table A10's overview, per-split counts, rejects, build settings
    <out>/rejects.jsonl     every pair that failed, with the reason

Each JSONL line is one conversation (the clear one, then its ambiguous twin) with its full
turn states and metadata: pair id, database, gold SQL, ambiguity type, generator, seed and
the Spider file and index it came from. Examples whose database file is absent are built
all the same (the generator needs only ``tables.json``); ``stats.json`` counts them, and
evaluation skips them and reports how many (``AmbigSQLTask.skipped``).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from act_bench_tasks.ambigsql.builder.records import (
    AmbigSQLPair,
    AmbiguityType,
    AmbiguousRequest,
    GenerationInput,
    Rejection,
)
from act_bench_tasks.ambigsql.builder.splits import TEST_SPLITS, assign_splits
from act_bench_tasks.ambigsql.builder.stats import build_stats
from act_bench_tasks.ambigsql.builder.validation import rejection_reason
from act_bench_tasks.ambigsql.prompt import linearize_schema
from act_bench_tasks.ambigsql.spider import SpiderExample, SpiderLayout, SpiderSchema
from act_bench_tasks.ambigsql.sql_shape import QueryShape, UnparsableQuery, analyze

from act_bench import __version__
from act_bench.backends import BackendOptions, SamplingParams
from act_bench.errors import ConfigError, DataError
from act_bench.files import write_atomic, write_json_atomic
from act_bench.generation import chunked
from act_bench.progress import progress_bar

SPLITS = ("train", "validation", "test")
STATS_FILE = "stats.json"
REJECTS_FILE = "rejects.jsonl"


class PairGenerator(Protocol):
    """Writes the ambiguous request and clarifying question for each item, in order."""

    spec: str

    def generate(self, items: Sequence[GenerationInput]) -> list[AmbiguousRequest | Rejection]: ...


@dataclass(frozen=True, slots=True)
class BuildConfig:
    """What ``build-ambigsql`` does; recorded in ``stats.json``.

    ``generator`` is ``rule`` or a model spec (the LLM generator of App. C.1);
    ``limit`` keeps only the first N examples of each split (to try a generator cheaply).
    ``test_split`` is the split layout, ``half-dev`` or ``spider-dev``
    (:mod:`act_bench_tasks.ambigsql.builder.splits`).
    The remaining fields reach the LLM generator's backend and sampling.
    """

    spider_dir: str
    out_dir: str
    generator: str = "rule"
    seed: int = 0
    limit: int | None = None
    batch_size: int = 16
    max_new_tokens: int = 160
    temperature: float = 0.0
    device: str | None = None
    dtype: str | None = None
    api_base: str | None = None
    max_concurrency: int = 8
    test_split: str = "half-dev"
    cache: bool = True  # the LLM generator's calls through the response cache (act_bench.cache)
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        if self.test_split not in TEST_SPLITS:
            raise ConfigError(
                f"--test-split {self.test_split!r} is not one of {', '.join(TEST_SPLITS)}"
            )

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
            max_new_tokens=self.max_new_tokens, temperature=self.temperature, seed=self.seed
        )


@dataclass(slots=True)
class SplitOutcome:
    """The validated pairs and the rejects of one split."""

    name: str
    examples: list[SpiderExample]
    pairs: list[AmbigSQLPair] = field(default_factory=list)
    rejects: list[tuple[GenerationInput, Rejection]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BuildResult:
    out_dir: Path
    files: tuple[Path, ...]
    stats: dict[str, Any]


def load_generator(config: BuildConfig) -> PairGenerator:
    """``rule``, or the LLM generator on the backend a model spec names."""
    if config.generator == "rule":
        from act_bench_tasks.ambigsql.builder.rule import RuleGenerator

        return RuleGenerator(seed=config.seed)
    from act_bench_tasks.ambigsql.builder.llm import LLMGenerator

    from act_bench.backends import shared_backend
    from act_bench.cache import CacheSettings
    from act_bench.usage import auxiliary_backend

    options = config.backend_options()
    backend = auxiliary_backend(
        config.generator,
        "generator",
        options,
        CacheSettings(enabled=config.cache, directory=config.cache_dir),
        load=lambda: shared_backend(config.generator, options),
    )
    return LLMGenerator(backend, config.sampling(), spec=config.generator)


def _output_folder(out: str) -> Path:
    """``--out`` checked before any work: a folder, or a path where one can be made."""
    path = Path(out).expanduser()
    if path.exists() and not path.is_dir():
        raise ConfigError(
            f"--out {path} exists and is not a folder",
            hint="pass a folder (normally <data root>/ambigsql) or a path that does not exist",
        )
    existing = next((p for p in path.parents if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise ConfigError(f"--out {path}: {existing} is a file, not a folder")
    return path


def build_ambigsql(
    config: BuildConfig,
    *,
    generator: PairGenerator | None = None,
    show_progress: bool = True,
) -> BuildResult:
    """Build AmbigSQL from ``config.spider_dir`` into ``config.out_dir`` (module docstring)."""
    started = time.perf_counter()
    out_dir = _output_folder(config.out_dir)
    layout = SpiderLayout(Path(config.spider_dir).expanduser().resolve())
    layout.check()
    schemas = layout.read_schemas()
    train, validation, test = assign_splits(
        layout.read_examples("train"), layout.read_examples("dev"), config.seed, config.test_split
    )
    generator = generator or load_generator(config)
    outcomes = []
    for name, examples in zip(SPLITS, (train, validation, test), strict=True):
        selected = examples[: config.limit] if config.limit is not None else examples
        items = prepare_items(selected, schemas, layout, config.seed)
        outcome = SplitOutcome(name, selected)
        with progress_bar(f"{name} · {generator.spec}", len(items), enabled=show_progress) as step:
            for item, result in _generate(generator, items, config.batch_size, step):
                _record(outcome, item, result, generator.spec, config.seed)
        outcomes.append(outcome)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [_write_split(out_dir / f"{o.name}.jsonl", o.pairs) for o in outcomes]
    files.append(_write_rejects(out_dir / REJECTS_FILE, outcomes))
    stats = build_stats(outcomes, layout, _build_settings(config, layout, generator, started))
    files.append(write_json_atomic(out_dir / STATS_FILE, stats))
    return BuildResult(out_dir, tuple(files), stats)


def prepare_items(
    examples: Sequence[SpiderExample],
    schemas: dict[str, SpiderSchema],
    layout: SpiderLayout,
    seed: int,
) -> list[GenerationInput]:
    """Parse each gold query, linearize its schema and draw its ambiguity type (seeded)."""
    groundings: dict[str, str] = {}
    items = []
    for example in examples:
        schema = schemas.get(example.db_id)
        if schema is None:
            raise DataError(
                f"database {example.db_id!r} is not in {layout.tables_path.name}",
                file=str(layout.root / example.source_file),
                record=f"example {example.index}",
                field="db_id",
            )
        if example.db_id not in groundings:
            groundings[example.db_id] = linearize_schema(schema)
        try:
            shape = analyze(example.query, schema)
        except UnparsableQuery:
            shape = None
        key = f"{_spider_split(example)}-{example.index:05d}"
        items.append(
            GenerationInput(
                example=example,
                schema=schema,
                grounding=groundings[example.db_id],
                shape=shape,
                key=key,
                ambiguity_type=choose_ambiguity_type(shape, seed, key),
            )
        )
    return items


def choose_ambiguity_type(shape: QueryShape | None, seed: int, key: str) -> AmbiguityType:
    """Presentation for a sorted list; otherwise information or population, drawn (App. C.1)."""
    if shape is not None and shape.presentation_ordered:
        return AmbiguityType.PRESENTATION
    rng = random.Random(f"{seed}:{key}:type")
    return rng.choice([AmbiguityType.INFORMATION, AmbiguityType.POPULATION])


def _spider_split(example: SpiderExample) -> str:
    return "dev" if example.source_file == "dev.json" else "train"


def _generate(
    generator: PairGenerator,
    items: Sequence[GenerationInput],
    batch_size: int,
    step: Callable[[int], None],
) -> Iterable[tuple[GenerationInput, AmbiguousRequest | Rejection]]:
    for _, batch in chunked(items, max(1, batch_size) * 4):
        results = generator.generate(batch)
        if len(results) != len(batch):
            raise RuntimeError(
                f"generator {generator.spec} returned {len(results)} for {len(batch)}"
            )
        yield from zip(batch, results, strict=True)
        step(len(batch))


def _record(
    outcome: SplitOutcome,
    item: GenerationInput,
    result: AmbiguousRequest | Rejection,
    spec: str,
    seed: int,
) -> None:
    if isinstance(result, Rejection):
        outcome.rejects.append((item, result))
        return
    reason = rejection_reason(item.example.question, result)
    if reason is not None:
        outcome.rejects.append((item, Rejection(reason, candidate=result)))
        return
    outcome.pairs.append(AmbigSQLPair(outcome.name, item.key, item, result, spec, seed))


def _build_settings(
    config: BuildConfig, layout: SpiderLayout, generator: PairGenerator, started: float
) -> dict[str, Any]:
    train_path = layout.train_path
    return {
        "generator": generator.spec,
        "seed": config.seed,
        "limit": config.limit,
        "test_split": config.test_split,
        "spider_dir": str(layout.root),
        "spider_files": {
            "train": train_path.name if train_path else None,
            "dev": layout.dev_path.name,
            "tables": layout.tables_path.name,
        },
        "act_bench_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "elapsed_s": round(time.perf_counter() - started, 3),
    }


def _write_split(path: Path, pairs: Sequence[AmbigSQLPair]) -> Path:
    lines = (json.dumps(record) for pair in pairs for record in pair.records())
    return _write_lines(path, lines)


def _write_rejects(path: Path, outcomes: Sequence[SplitOutcome]) -> Path:
    lines = (
        json.dumps(
            {
                "split": outcome.name,
                "pair_id": item.key,
                "db_id": item.example.db_id,
                "source": {"file": item.example.source_file, "index": item.example.index},
                "clear_request": item.example.question,
                "gold_sql": item.example.query,
                "reason": rejection.reason,
                "detail": rejection.detail,
                "candidate": None
                if rejection.candidate is None
                else {
                    "ambiguity_type": rejection.candidate.ambiguity_type.value,
                    "ambiguous_request": rejection.candidate.request,
                    "clarifying_question": rejection.candidate.clarifying_question,
                    "method": rejection.candidate.method,
                },
            }
        )
        for outcome in outcomes
        for item, rejection in outcome.rejects
    )
    return _write_lines(path, lines)


def _write_lines(path: Path, lines: Iterable[str]) -> Path:
    """Write atomically: a reader sees the old file or the whole new one."""
    return write_atomic(path, "".join(line + "\n" for line in lines))
