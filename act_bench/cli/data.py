"""`act-bench tasks` and `act-bench data ...`: list tasks, get and build datasets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from act_bench.cli.app import app, data_app
from act_bench.cli.common import (
    CacheDir,
    CacheOption,
    DataDir,
    PrefixCacheOption,
    Seed,
    Split,
    Task,
    _print_metrics,
    console,
    reports_errors,
)


@app.command("tasks")
@reports_errors
def tasks_command() -> None:
    """List the registered tasks."""
    from act_bench.task import get_task, task_names

    table = Table("task", "splits", "headline metric", "description")
    for name in task_names():
        task = get_task(name)
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


@data_app.command("build-ambigsql")
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


@data_app.command("build-preferences")
@reports_errors
def build_preferences_command(
    task: Task = "pacific",
    generator: Annotated[
        str, typer.Option(help="Conditional generation model M of Alg. 1 (any model spec).")
    ] = "smollm2",
    action_labels: Annotated[
        str, typer.Option(help="gold, or classifier:SPEC for pseudo-labels (§5.4).")
    ] = "gold",
    action_classifier: Annotated[
        str, typer.Option(help="Classifier that judges whether y_l took the rejected action.")
    ] = "heuristic",
    conversations: Annotated[int, typer.Option(help="Conversations sampled with --seed.")] = 50,
    split: Split = "train",
    seed: Seed = 0,
    data_dir: DataDir = None,
    max_new_tokens: Annotated[int, typer.Option(help="Tokens generated per y_l.")] = 64,
    generator_shots: Annotated[
        int, typer.Option(help="In-context conversations in M's control prompt (App. F).")
    ] = 10,
    prefix_cache: PrefixCacheOption = True,
    output: Annotated[
        str | None, typer.Option(help="JSONL file (default preferences/<task>-...jsonl).")
    ] = None,
    cache: CacheOption = True,
    cache_dir: CacheDir = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Alg. 1: contrastive action pairs (y_w = r, y_l from M under the rejected action)."""
    from act_bench_baselines.act.preferences import PreferenceBuild

    path, stats = PreferenceBuild(
        task=task,
        generator=generator,
        action_labels=action_labels,
        action_classifier=action_classifier,
        conversations=conversations,
        split=split,
        seed=seed,
        data_dir=data_dir,
        max_new_tokens=max_new_tokens,
        generator_shots=generator_shots,
        prefix_cache=prefix_cache,
        output=output,
        cache=cache,
        cache_dir=cache_dir,
    ).run(show_progress=not quiet)
    summary = stats.to_json()
    _print_metrics(
        f"D_pref · {task} · {split}", {}, {k: v for k, v in summary.items() if isinstance(v, int)}
    )
    rate = summary["control_rate"]
    console.print(
        f"y_l takes the rejected action in {'n/a' if rate is None else f'{rate:.1%}'} of pairs; "
        f"written to {escape(str(path))}"
    )
