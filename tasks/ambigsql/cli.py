"""AmbigSQL's commands, added to ``act-bench`` through the ``act_bench.commands`` entry
point ``ambigsql``: ``data build-ambigsql`` (App. C.1) and ``analyze ambigsql-recovery``
(App. C.2, Table A14)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from act_bench.cli.app import CommandGroups
from act_bench.cli.common import (
    CacheDir,
    CacheOption,
    DataDir,
    ProtocolOption,
    Seed,
    Split,
    console,
    print_metrics,
    reports_errors,
    warn_if_sample,
)


def register(groups: CommandGroups) -> None:
    """The ``act_bench.commands`` hook: mount AmbigSQL's commands on the CLI's groups."""
    groups.data.command("build-ambigsql")(build_ambigsql_command)
    groups.analyze.command("ambigsql-recovery")(ambigsql_recovery_command)


@reports_errors
def build_ambigsql_command(
    spider_dir: Annotated[
        Path,
        typer.Option(help="Spider folder (tables.json, dev.json, train_spider.json, database/)."),
    ],
    out: Annotated[Path, typer.Option(help="Output folder, normally <data root>/ambigsql.")],
    generator: Annotated[
        str, typer.Option(help="rule (offline, deterministic) or a model spec (App. C.1).")
    ] = "rule",
    seed: Seed = 0,
    limit: Annotated[
        int | None, typer.Option(help="Only the first N examples of each split.")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="LLM generator: items generated together.")] = 16,
    max_new_tokens: Annotated[int, typer.Option(help="LLM generator: tokens per item.")] = 160,
    test_split: Annotated[
        str,
        typer.Option(
            help="half-dev (default: validation and test halves of Spider dev, by database) or "
            "spider-dev (test = all of Spider dev as Table A10; validation carved from train)."
        ),
    ] = "half-dev",
    api_base: Annotated[
        str | None, typer.Option(help="litellm: base URL of an OpenAI-compatible server.")
    ] = None,
    cache: CacheOption = True,
    cache_dir: CacheDir = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Build AmbigSQL from Spider: clear / ambiguous request pairs, validated (App. C.1)."""
    from act_bench_tasks.ambigsql.builder import BuildConfig, build_ambigsql
    from act_bench_tasks.ambigsql.builder.stats import summary_rows

    config = BuildConfig(
        spider_dir=str(spider_dir),
        out_dir=str(out),
        generator=generator,
        seed=seed,
        limit=limit,
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
        api_base=api_base,
        test_split=test_split,
        cache=cache,
        cache_dir=cache_dir,
    )
    result = build_ambigsql(config, show_progress=not quiet)
    header, rows = summary_rows(result.stats)
    table = Table(*header, title="AmbigSQL")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    for path in result.files:
        console.print(escape(f"wrote {path}"))


@reports_errors
def ambigsql_recovery_command(
    model: Annotated[str, typer.Option(help="Model spec that writes the SQL.")] = "smollm2",
    split: Split = "test",
    limit: Annotated[
        int | None, typer.Option(help="Only the first N ambiguous conversations.")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Items generated together.")] = 8,
    max_new_tokens: Annotated[
        int | None, typer.Option(help="Tokens per SQL answer (default: AmbigSQL's 256).")
    ] = None,
    protocol: ProtocolOption = "act-bench",
    seed: Seed = 0,
    data_dir: DataDir = None,
    output_dir: Annotated[
        str | None, typer.Option(help="Write recovery.json and samples.jsonl here.")
    ] = None,
    api_base: Annotated[
        str | None, typer.Option(help="litellm: base URL of an OpenAI-compatible server.")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Execution match given only the ambiguous request vs with the gold clarification turns
    (App. C.2, Table A14)."""
    from act_bench_tasks.ambigsql.recovery import RecoveryConfig, run_recovery

    config = RecoveryConfig(
        model=model,
        split=split,
        data_dir=data_dir,
        limit=limit,
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
        protocol=protocol,
        seed=seed,
        api_base=api_base,
        output_dir=output_dir,
    )
    warn_if_sample(data_dir)
    result = run_recovery(config, show_progress=not quiet)
    print_metrics(f"ambigsql recovery · {split} · {model}", result.metrics, result.counts)
    if result.output_dir is not None:
        console.print(escape(f"results: {result.output_dir / 'recovery.json'}"))
