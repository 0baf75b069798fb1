"""`act-bench leaderboard ...`: the local leaderboard."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from act_bench.cli.app import leaderboard_app
from act_bench.cli.common import (
    LeaderboardPath,
    console,
    reports_errors,
)


@leaderboard_app.command("submit")
@reports_errors
def leaderboard_submit_command(
    results_dir: Annotated[Path, typer.Argument(help="A finished `act-bench eval` run directory.")],
    name: Annotated[str | None, typer.Option(help="Row name (default: the folder's).")] = None,
    approach: Annotated[
        str | None,
        typer.Option(help="Approach id (standard, cot, proactive, sft, irpo, dpo-dist, act)."),
    ] = None,
    replace: Annotated[
        bool, typer.Option(help="Overwrite a submission with the same config hash.")
    ] = False,
    allow_errors: Annotated[
        bool,
        typer.Option(help="Accept a run whose items ended in backend errors (status incomplete)."),
    ] = False,
    db: LeaderboardPath = None,
) -> None:
    """Validate a run directory and store it with its provenance, in one transaction."""
    from act_bench.leaderboard import Leaderboard, read_submission

    submission = read_submission(
        results_dir, name=name, approach=approach, allow_errors=allow_errors
    )
    board = Leaderboard(db)
    submission_id = board.submit(submission, replace=replace)
    console.print(
        escape(
            f"submitted {submission.name!r} (id {submission_id}, {submission.task}/"
            f"{submission.split}, config {submission.config_hash[:12]}) to {board.path}"
        )
    )


@leaderboard_app.command("remove")
@reports_errors
def leaderboard_remove_command(
    row: Annotated[
        str, typer.Argument(help="The row's id, or its config hash (at least 8 characters).")
    ],
    db: LeaderboardPath = None,
) -> None:
    """Remove one of our submissions (the paper's rows stay; hide them with --no-paper)."""
    from act_bench.leaderboard import Leaderboard

    board = Leaderboard(db)
    removed = board.remove(row)
    console.print(
        escape(f"removed {removed.name!r} (id {removed.id}, config {removed.config_hash[:12]})")
    )


@leaderboard_app.command("show")
@reports_errors
def leaderboard_show_command(
    task: Annotated[str | None, typer.Option(help="Only this task.")] = None,
    simulator: Annotated[str | None, typer.Option(help="Only runs under this simulator.")] = None,
    paper: Annotated[bool, typer.Option(help="Include the paper's published rows.")] = True,
    db: LeaderboardPath = None,
) -> None:
    """Rankings by the task's headline metric, one table per (protocol, simulator, classifier)."""
    from act_bench.leaderboard import Leaderboard, group_rows, print_groups

    rows = Leaderboard(db).rows(task=task, simulator=simulator, include_paper=paper)
    print_groups(group_rows(rows), console)


@leaderboard_app.command("export")
@reports_errors
def leaderboard_export_command(
    format: Annotated[str, typer.Option("--format", help="md | csv | html.")] = "md",
    output: Annotated[
        Path | None, typer.Option(help="File to write (default: standard output).")
    ] = None,
    task: Annotated[str | None, typer.Option(help="Only this task.")] = None,
    paper: Annotated[bool, typer.Option(help="Include the paper's published rows.")] = True,
    db: LeaderboardPath = None,
) -> None:
    """Export the leaderboard as Markdown, CSV, or one static HTML page with sortable tables."""
    from act_bench.errors import ConfigError
    from act_bench.leaderboard import Leaderboard, export

    if output is not None and output.is_dir():
        raise ConfigError(f"--output {output} is a directory", hint="pass a file path")
    text = export(Leaderboard(db).rows(task=task, include_paper=paper), format)
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot write {output}: {error.strerror}") from None
        console.print(escape(f"wrote {output}"))
