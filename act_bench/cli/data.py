"""`act-bench tasks` and `act-bench data download`: list tasks, get their datasets.

Commands that build a task's dataset (``data build-ambigsql``) or a trainer's data
(``data build-preferences``) come from their plug-ins' ``act_bench.commands`` entry points."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from act_bench.cli.app import app, data_app
from act_bench.cli.common import console, reports_errors


@app.command("tasks")
@reports_errors
def tasks_command() -> None:
    """List the registered tasks."""
    from act_bench.task import task_info, task_names

    table = Table("task", "splits", "headline metric", "description")
    for name in task_names():
        task = task_info(name)
        table.add_row(name, ", ".join(task.splits), task.headline_metric, task.description)
    console.print(table)


@data_app.command("download")
@reports_errors
def download_command(
    task: Annotated[
        str, typer.Argument(help="Task (or source dataset: spider) whose official files to get.")
    ],
    data_dir: Annotated[
        str | None, typer.Option(help="Data root to write into; defaults to $ACT_BENCH_DATA.")
    ] = None,
) -> None:
    """Download a task's official data files (needs a network)."""
    from act_bench.data import resolve_data_dir
    from act_bench.errors import ConfigError
    from act_bench.task import get_task

    root = resolve_data_dir(data_dir)
    if root is None:
        raise ConfigError("no data root", hint="pass --data-dir DIR or set ACT_BENCH_DATA")
    source = _source_dataset(task)
    for path in source(root) if source else get_task(task).download(root):
        console.print(escape(f"wrote {path}"))


def _source_dataset(name: str) -> Callable[[Path], list[Path]] | None:
    """A dataset that tasks are built from (``spider``), from the ``act_bench.datasets``
    entry points: its downloader, which writes ``<data root>/<name>/``."""
    from importlib.metadata import entry_points

    entry = next((e for e in entry_points(group="act_bench.datasets") if e.name == name), None)
    return entry.load() if entry else None
