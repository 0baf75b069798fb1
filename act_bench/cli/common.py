"""What every command shares: the consoles, error reporting, option types, printing."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from act_bench.errors import ActBenchError
from act_bench.options import SHARED, Option

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


def shared_option(name: str, *declarations: str) -> Any:
    """A typer option for the shared concept ``name``: its help from the one table
    (:data:`act_bench.options.SHARED`), so every command words it alike."""
    spec = SHARED[name]
    return typer.Option(*declarations, help=spec.help, metavar=spec.metavar)


def parameters_from_table(
    table: dict[str, Option], *, defaults: dict[str, Any] | None = None
) -> list[inspect.Parameter]:
    """Keyword parameters for a typer command, one per entry of ``table`` (``act-bench
    eval``'s: :data:`~act_bench.options.EVAL_OPTIONS`): kebab-case flags, a bool as
    ``--name/--no-name``, the table's type, help and default unless ``defaults`` says
    otherwise."""
    defaults = defaults or {}
    parameters = []
    for name, spec in table.items():
        flag = spec.flag_for(name)
        if spec.type is bool:
            declarations = [f"{flag}/--no-{flag.removeprefix('--')}"]
        else:
            declarations = [flag, *([spec.short] if spec.short else [])]
        default = defaults.get(name, spec.default)
        annotation = spec.type if name not in defaults or default is not None else spec.type | None
        info = typer.Option(*declarations, help=spec.help, metavar=spec.metavar)
        parameters.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=default,
                annotation=Annotated[annotation, info],
            )
        )
    return parameters


def with_parameters(parameters: list[inspect.Parameter]) -> Callable[[F], F]:
    """Give a ``**values`` command the signature typer reads its options from."""

    def decorate(command: F) -> F:
        command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        return command

    return decorate


def given_on_command_line(context: typer.Context, names: Any) -> set[str]:
    """Which of the command's parameters the user passed (not left at their default), so
    that they win over a --config file."""
    sources = {name: context.get_parameter_source(name) for name in names}
    return {
        name
        for name, source in sources.items()
        if source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")
    }


Task = Annotated[str, shared_option("task", "--task", "-t")]
Split = Annotated[str, shared_option("split")]
DataDir = Annotated[str | None, shared_option("data_dir")]
Seed = Annotated[int, shared_option("seed")]
ProtocolOption = Annotated[str, shared_option("protocol")]
PromptStyleOption = Annotated[str, shared_option("prompt_style")]
NumShots = Annotated[int, shared_option("num_shots")]
ShotPool = Annotated[str, shared_option("shot_pool")]
PrefixCacheOption = Annotated[
    bool, shared_option("prefix_cache", "--prefix-cache/--no-prefix-cache")
]
NumTrials = Annotated[int, shared_option("num_trials")]
CacheOption = Annotated[bool, shared_option("cache", "--cache/--no-cache")]
CacheDir = Annotated[str | None, shared_option("cache_dir")]
CachePolicy = Annotated[bool, shared_option("cache_policy")]
Quiet = Annotated[bool, shared_option("quiet")]


def default_output_dir(
    task: str,
    split: str,
    model: str,
    *,
    prompt_style: str | None = "standard",
    num_shots: int = 0,
    protocol: str = "act-bench",
) -> str:
    safe_model = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
    prompt_style = prompt_style or "standard"  # None: the checkpoint's style (EvalConfig)
    prompting = "" if prompt_style == "standard" and num_shots == 0 else f"-{prompt_style}"
    prompting += f"-{num_shots}shot" if num_shots else ""
    prompting += "" if protocol == "act-bench" else f"-{protocol}"
    return str(Path("runs") / f"{task}-{split}-{safe_model}{prompting}")


def warn_if_sample(data_dir: str | None) -> None:
    from act_bench.data import resolve_data_dir

    if resolve_data_dir(data_dir) is None:
        errors.print(
            "[yellow]note:[/] no --data-dir and no $ACT_BENCH_DATA: evaluating the small "
            "sample bundled with act-bench (written by us, not the official dataset)."
        )


def print_metrics(
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
