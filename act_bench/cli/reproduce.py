"""`act-bench reproduce TABLE`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from act_bench.cli.app import app
from act_bench.cli.common import (
    CacheDir,
    CacheOption,
    DataDir,
    LeaderboardPath,
    NumTrials,
    Seed,
    _warn_if_sample,
    console,
    errors,
    reports_errors,
)


@app.command("reproduce")
@reports_errors
def reproduce_command(
    table: Annotated[
        str, typer.Argument(help="table1 | table2 | table3 | table4 | table5 | table-a6 ... a9")
    ],
    model: Annotated[
        list[str] | None,
        typer.Option(help="Model spec for the prompting rows (repeatable)."),
    ] = None,
    checkpoint: Annotated[
        list[str] | None,
        typer.Option(help="A tuned row's model, APPROACH:N=SPEC (sft:50=hf:ckpt); repeatable."),
    ] = None,
    simulator: Annotated[str, typer.Option(help="User simulator: gold or a model spec.")] = "gold",
    action_classifier: Annotated[
        str, typer.Option(help="Action classifier: heuristic or a model spec.")
    ] = "heuristic",
    num_shots: Annotated[
        int | None,
        typer.Option(help="In-context conversations for prompting rows (default: the paper's)."),
    ] = None,
    split: Annotated[
        str | None, typer.Option(help="Split to evaluate (default: the one the table reports).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Evaluate only the first N items.")] = None,
    batch_size: Annotated[int, typer.Option(help="Items generated together.")] = 8,
    max_new_tokens: Annotated[
        int | None,
        typer.Option(help="Tokens generated per policy turn (default: the protocol's and task's)."),
    ] = None,
    protocol: Annotated[
        str,
        typer.Option(
            help="Evaluation protocol: act-paper (default: scored as the paper's tables were) "
            "or act-bench."
        ),
    ] = "act-paper",
    seed: Seed = 0,
    data_dir: DataDir = None,
    output_dir: Annotated[str, typer.Option(help="Root of the cells' run directories.")] = (
        "runs/reproduce"
    ),
    db: LeaderboardPath = None,
    num_trials: NumTrials = 1,
    cache: CacheOption = True,
    cache_dir: CacheDir = None,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
) -> None:
    """Run the runnable cells of a paper table, submit them, print ours beside the paper's."""
    from act_bench.evaluation import EvalConfig
    from act_bench.reproduce import ReproduceOptions, parse_checkpoint, reproduce, side_by_side

    options = ReproduceOptions(
        models=tuple(model or ()),
        checkpoints=dict(parse_checkpoint(text) for text in checkpoint or ()),
        num_shots=num_shots,
        output_root=output_dir,
        db=str(db) if db else None,
        split=split,
        base=EvalConfig(
            simulator=simulator,
            action_classifier=action_classifier,
            data_dir=data_dir,
            limit=limit,
            batch_size=batch_size,
            max_new_tokens=max_new_tokens,
            seed=seed,
            num_trials=num_trials,
            cache=cache,
            cache_dir=cache_dir,
        ),
        protocol=protocol,
    )
    _warn_if_sample(data_dir)
    runs = reproduce(
        table,
        options,
        on_start=lambda cell, spec: console.print(
            f"[bold]{escape(table)}[/] {escape(cell.key)} with {escape(spec)}"
        ),
        show_progress=not quiet,
    )
    header, rows = side_by_side(table, runs)
    title = escape(
        f"{table}: the paper's numbers and ours (± vs the paper's row), protocol {protocol}"
    )
    result = Table(*map(escape, header), title=title)
    for row in rows:
        result.add_row(*map(escape, row), style="dim" if row[0] == "paper" else None)
    console.print(result)
    for run in runs:
        if run.shots_note:
            note = escape(f"{run.cell.key} {run.model}: {run.shots_note}")
            errors.print(f"[yellow]note[/] {note}")
    ran = sum(run.model is not None for run in runs)
    console.print(
        escape(
            f"{ran} cell run(s) under protocol {protocol} written under {output_dir}/{table} "
            "and submitted."
        )
    )
