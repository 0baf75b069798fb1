"""What every command shares: the consoles, error reporting, option types, printing."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from act_bench.errors import ActBenchError

console = Console()
errors = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

LeaderboardPath = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Leaderboard database (default $ACT_BENCH_LEADERBOARD or "
        "leaderboards/leaderboard.sqlite).",
    ),
]


def reports_errors(command: F) -> F:
    """Print act-bench's own errors as one line plus a hint, exit 2, no traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ActBenchError as error:
            message = escape(str(error))
            errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
            if error.hint:
                hint = escape(error.hint)
                errors.print(f"[bold]hint:[/] {hint}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


Task = Annotated[str, typer.Option("--task", "-t", help="Task name (see `act-bench tasks`).")]
Split = Annotated[str, typer.Option(help="Dataset split.")]
DataDir = Annotated[
    str | None,
    typer.Option(
        help="Data root holding <task>/ folders; defaults to $ACT_BENCH_DATA, "
        "else the bundled sample."
    ),
]
Seed = Annotated[int, typer.Option(help="Seed for sampling, simulators and selection.")]
ProtocolOption = Annotated[
    str,
    typer.Option(
        help="Evaluation protocol: act-bench (multi-round, PACIFIC's DROP F1, no credit "
        "without an answer) or act-paper (the ACT authors' scoring: first line, 128 tokens, "
        "one clarification round, their get_metrics)."
    ),
]
PromptStyleOption = Annotated[
    str,
    typer.Option(
        help="Prompting style (App. E): standard (Table A17), cot (A18), proactive (A19)."
    ),
]
NumShots = Annotated[
    int, typer.Option(help="In-context conversations drawn with --seed from the shot pool.")
]
ShotPool = Annotated[
    str,
    typer.Option(
        help="Split the shots come from (a seeded 250-conversation pool); falls back to the "
        "task's bundled sample when absent."
    ),
]
PrefixCacheOption = Annotated[
    bool,
    typer.Option(
        "--prefix-cache/--no-prefix-cache",
        help="hf/smollm2: reuse the KV cache of prompt prefixes already computed; vllm: "
        "automatic prefix caching. Greedy outputs are the same either way.",
    ),
]

NumTrials = Annotated[
    int,
    typer.Option(
        help="Run every episode K times, each trial with its own seed derived from --seed; "
        "results.json adds the std across trials, pass^k and pass@k."
    ),
]
CacheOption = Annotated[
    bool,
    typer.Option(
        "--cache/--no-cache",
        help="Answer the simulator's, classifier's and generators' model calls from the "
        "response cache when the same call was made before.",
    ),
]
CacheDir = Annotated[
    str | None,
    typer.Option(
        help="Folder of the response cache (default $ACT_BENCH_CACHE, else the user cache "
        "directory)."
    ),
]
CachePolicy = Annotated[
    bool,
    typer.Option(
        help="Cache the policy's calls too (off by default, so that trials still sample)."
    ),
]


def default_output_dir(
    task: str,
    split: str,
    model: str,
    *,
    prompt_style: str = "standard",
    num_shots: int = 0,
    protocol: str = "act-bench",
) -> str:
    safe_model = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
    prompting = "" if prompt_style == "standard" and num_shots == 0 else f"-{prompt_style}"
    prompting += f"-{num_shots}shot" if num_shots else ""
    prompting += "" if protocol == "act-bench" else f"-{protocol}"
    return str(Path("runs") / f"{task}-{split}-{safe_model}{prompting}")


def _warn_if_sample(data_dir: str | None) -> None:
    from act_bench.data import resolve_data_dir

    if resolve_data_dir(data_dir) is None:
        errors.print(
            "[yellow]note:[/] no --data-dir and no $ACT_BENCH_DATA: evaluating the small "
            "sample bundled with act-bench (written by us, not the official dataset)."
        )


def _print_metrics(
    title: str,
    metrics: dict[str, float | None],
    counts: dict[str, int] | None,
    intervals: dict[str, list[float] | None] | None = None,
) -> None:
    """The metrics (with their 95 % bootstrap interval when a run has one) and counts."""
    columns = ("metric", "value", "95% CI") if intervals else ("metric", "value")
    table = Table(*columns, title=escape(title))
    for name, value in metrics.items():
        cells = [escape(name), "n/a" if value is None else f"{value:.2f}"]
        if intervals:
            interval = intervals.get(name)
            cells.append("" if interval is None else f"[{interval[0]:.2f}, {interval[1]:.2f}]")
        table.add_row(*cells)
    for name, value in (counts or {}).items():
        table.add_row(f"[dim]{escape(name)}[/]", str(value), *([""] if intervals else []))
    console.print(table)
