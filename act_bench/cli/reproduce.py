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
    console,
    errors,
    reports_errors,
    warn_if_sample,
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
    train: Annotated[
        bool,
        typer.Option(
            help="Train the tuned cells here from --model (each seed), score them and the "
            "untuned base zero-shot on the same held-out conversations."
        ),
    ] = False,
    conversations: Annotated[
        int | None,
        typer.Option(
            help="--train: training conversations for every tuned approach (default: each "
            "cell's own, 50/100/250)."
        ),
    ] = None,
    seeds: Annotated[
        str, typer.Option(help="--train: training seeds, comma-separated (e.g. 0,1,2).")
    ] = "0",
    budget: Annotated[
        str,
        typer.Option(
            help="--train: hyperparameter preset, paper (App. J.2, for a GPU) or cpu-small "
            "(LoRA, shorter max length, fewer epochs; see README)."
        ),
    ] = "paper",
    train_split: Annotated[
        str,
        typer.Option(
            help="--train: split the training conversations come from; when it is the "
            "evaluated split, they are left out of the evaluation."
        ),
    ] = "train",
    approach: Annotated[
        list[str] | None,
        typer.Option(help="--train: only these tuned approaches (repeatable; default: all)."),
    ] = None,
    strong_model: Annotated[
        str | None, typer.Option(help="--train: DPO-Dist's strong (winner) model spec (App. B).")
    ] = None,
    trainer: Annotated[
        str | None,
        typer.Option(help="--train: the cell-trainer plug-in (default: the installed one)."),
    ] = None,
    prompting: Annotated[
        bool | None,
        typer.Option(
            "--prompting/--no-prompting",
            help="Run the prompting rows with --model (default: yes, but not with --train).",
        ),
    ] = None,
) -> None:
    """Run the runnable cells of a paper table, submit them, print ours beside the paper's."""
    from act_bench.errors import ConfigError
    from act_bench.evaluation import EvalConfig
    from act_bench.reproduce import (
        ReproduceOptions,
        TrainingOptions,
        load_table,
        parse_checkpoint,
        parse_seeds,
        reproduce,
        side_by_side,
    )

    training_flags = {
        "--conversations": conversations is not None,
        "--seeds": seeds != "0",
        "--budget": budget != "paper",
        "--train-split": train_split != "train",
        "--approach": bool(approach),
        "--strong-model": strong_model is not None,
        "--trainer": trainer is not None,
    }
    if not train and any(training_flags.values()):
        given = ", ".join(flag for flag, set_ in training_flags.items() if set_)
        raise ConfigError(f"{given} only apply with --train", hint="add --train")
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
        training=TrainingOptions(
            conversations=conversations,
            seeds=parse_seeds(seeds),
            budget=budget,
            train_split=train_split,
            approaches=tuple(approach or ()),
            strong_model=strong_model,
            trainer=trainer,
        )
        if train
        else None,
        prompting=not train if prompting is None else prompting,
    )
    warn_if_sample(data_dir)
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
    if train:
        console.print(_timings(runs))
        if train_split == (split or load_table(table)["split"]):
            console.print(
                escape(
                    f"Trained on {train_split} conversations: every row of a seed is scored on "
                    f"the {train_split} split minus the conversations that seed's checkpoints "
                    "trained or were selected on, or showed M as control-prompt examples."
                )
            )
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


def _timings(runs) -> Table:
    """Wall time of every stage of a --train run, per cell and seed."""
    timings = Table("cell", "seed", "model", "train s", "eval s", "reused", title="wall times")
    for run in runs:
        if run.seed is None:
            continue
        train_s = "" if run.train_s is None else f"{run.train_s:.0f}"
        eval_s = "" if run.eval_s is None else f"{run.eval_s:.0f}"
        timings.add_row(
            escape(run.cell.key),
            str(run.seed),
            escape(run.model or ""),
            train_s,
            eval_s,
            "yes" if run.reused else "",
        )
    return timings
