"""`act-bench analyze ...`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from act_bench.cli.app import analyze_app
from act_bench.cli.common import (
    DataDir,
    ProtocolOption,
    Seed,
    Split,
    _print_metrics,
    _warn_if_sample,
    console,
    reports_errors,
)


@analyze_app.command("ambigsql-recovery")
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
    _warn_if_sample(data_dir)
    result = run_recovery(config, show_progress=not quiet)
    _print_metrics(f"ambigsql recovery · {split} · {model}", result.metrics, result.counts)
    if result.output_dir is not None:
        console.print(escape(f"results: {result.output_dir / 'recovery.json'}"))
