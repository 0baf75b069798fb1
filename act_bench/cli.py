"""The ``act-bench`` command line: thin wrappers that fill a config and call one library
function."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from act_bench.errors import ActBenchError

app = typer.Typer(
    help="Evaluate and train LLM agents that decide when to ask a clarifying question (ACT).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Get datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")
leaderboard_app = typer.Typer(
    help="The local leaderboard (SQLite): submit runs, show and export rankings.",
    no_args_is_help=True,
)
app.add_typer(leaderboard_app, name="leaderboard")
analyze_app = typer.Typer(help="Analyses of the datasets and models.", no_args_is_help=True)
app.add_typer(analyze_app, name="analyze")
train_app = typer.Typer(
    help="Fine-tune a policy on a task (`act-bench train METHOD --help` lists every option).",
    no_args_is_help=True,
)
app.add_typer(train_app, name="train")

console = Console()
errors = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


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


@app.command("eval")
@reports_errors
def eval_command(
    task: Task = "pacific",
    model: Annotated[
        str,
        typer.Option(
            help="Policy model spec: smollm2 | hf:PATH_OR_ID | litellm:PROVIDER/MODEL "
            "| vllm:PATH_OR_ID."
        ),
    ] = "smollm2",
    simulator: Annotated[
        str, typer.Option(help="User simulator: gold (replay) or a model spec.")
    ] = "gold",
    action_classifier: Annotated[
        str, typer.Option(help="Action classifier: heuristic or a model spec (few-shot, App. G).")
    ] = "heuristic",
    protocol: ProtocolOption = "act-bench",
    split: Split = "validation",
    limit: Annotated[
        int | None, typer.Option(help="Evaluate only the first N turn states.")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Items generated together.")] = 8,
    seed: Seed = 0,
    max_turns: Annotated[
        int | None,
        typer.Option(help="Cap on policy turns per trajectory (default 3; act-paper: 2)."),
    ] = None,
    max_new_tokens: Annotated[
        int | None,
        typer.Option(
            help="Tokens generated per policy turn (default: the task's, 64, AmbigSQL 256; "
            "act-paper: 128 or the task's if larger)."
        ),
    ] = None,
    temperature: Annotated[float, typer.Option(help="Sampling temperature (0 = greedy).")] = 0.0,
    top_p: Annotated[float, typer.Option(help="Nucleus sampling mass.")] = 1.0,
    output_dir: Annotated[
        str | None, typer.Option(help="Run directory (default runs/<task>-<split>-<model>).")
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue a killed run without redoing finished items.")
    ] = False,
    data_dir: DataDir = None,
    device: Annotated[
        str | None, typer.Option(help="hf/smollm2 device (cpu, cuda, cuda:1); default auto.")
    ] = None,
    dtype: Annotated[
        str | None, typer.Option(help="hf/smollm2 dtype (float32, bfloat16, float16).")
    ] = None,
    api_base: Annotated[
        str | None, typer.Option(help="litellm: base URL of an OpenAI-compatible server.")
    ] = None,
    max_concurrency: Annotated[int, typer.Option(help="litellm: concurrent requests.")] = 8,
    timeout: Annotated[
        float,
        typer.Option(
            help="litellm: seconds one request attempt may take before it is retried.",
            metavar="SECONDS",
        ),
    ] = 120.0,
    prompt_style: PromptStyleOption = "standard",
    num_shots: NumShots = 0,
    shot_pool: ShotPool = "train",
    include_selection: Annotated[
        bool,
        typer.Option(
            help="Keep the conversations an hf: or vllm: checkpoint was selected on (its "
            "training_config.json); by default they are left out and counted."
        ),
    ] = False,
    prefix_cache: PrefixCacheOption = True,
    num_trials: NumTrials = 1,
    cache: CacheOption = True,
    cache_dir: CacheDir = None,
    cache_policy: CachePolicy = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Run the interactive evaluation of App. D: respond, classify, simulate the user, score."""
    from act_bench.evaluation import EvalConfig, run_evaluation

    config = EvalConfig(
        task=task,
        model=model,
        simulator=simulator,
        action_classifier=action_classifier,
        protocol=protocol,
        split=split,
        data_dir=data_dir,
        limit=limit,
        batch_size=batch_size,
        seed=seed,
        max_turns=max_turns,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_p=top_p,
        device=device,
        dtype=dtype,
        api_base=api_base,
        max_concurrency=max_concurrency,
        timeout_s=timeout,
        prompt_style=prompt_style,
        num_shots=num_shots,
        shot_pool=shot_pool,
        include_selection=include_selection,
        prefix_cache=prefix_cache,
        num_trials=num_trials,
        cache=cache,
        cache_dir=cache_dir,
        cache_policy=cache_policy,
        output_dir=output_dir
        or default_output_dir(
            task, split, model, prompt_style=prompt_style, num_shots=num_shots, protocol=protocol
        ),
    )
    _warn_if_sample(data_dir)
    result = run_evaluation(config, resume=resume, show_progress=not quiet)
    _print_metrics(
        f"{task} · {split} · {model}",
        result.metrics,
        result.counts,
        result.results.get("metrics_ci"),
    )
    pass_k = result.results.get("pass_k") or {}
    if num_trials > 1 and pass_k:
        shown = ", ".join(
            f"pass^{k} {pass_k['pass_hat'][k]} · pass@{k} {pass_k['pass_at'][k]}"
            for k in pass_k["pass_hat"]
        )
        console.print(escape(f"{num_trials} trials (success: score > {pass_k['tolerance']}): "))
        console.print(escape(shown))
    if result.retried:
        console.print(
            f"resumed: ran {result.retried} item(s) again that had ended in a backend error"
        )
    if result.results["status"] == "incomplete":
        console.print(
            f"incomplete: {result.counts['n_backend_errors']} item(s) ended in a backend error;"
            " run the same command with --resume to retry them"
        )
    console.print(escape(f"results: {result.output_dir / 'results.json'}"))


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


@app.command("score")
@reports_errors
def score_command(
    predictions: Annotated[
        Path, typer.Option(help='JSONL of {"id": ..., "prediction": ...} lines.')
    ],
    task: Task = "pacific",
    split: Split = "validation",
    data_dir: DataDir = None,
    action_classifier: Annotated[
        str, typer.Option(help="Action classifier for the action metrics.")
    ] = "heuristic",
    seed: Seed = 0,
    protocol: ProtocolOption = "act-bench",
    mode: Annotated[
        str | None,
        typer.Option(
            help="DROP F1 variant under the headline names: act (the ACT authors' get_metrics) "
            "or pacific (PACIFIC's evaluator); default: the protocol's. Both are reported."
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Re-score saved turn-level predictions (an eval run's samples.jsonl works too)."""
    from act_bench.scoring import score_predictions

    metrics = score_predictions(
        task,
        predictions,
        split=split,
        data_dir=data_dir,
        action_classifier=action_classifier,
        seed=seed,
        protocol=protocol,
        mode=mode,
    )
    if json_output:
        print(json.dumps(metrics))
    else:
        _print_metrics(f"{task} · {split} · {predictions}", metrics, None)


@app.command("report")
@reports_errors
def report_command(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(help="A run directory, or two to compare side by side on shared items."),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            help="HTML file to write (default: RUN_DIR/report.html; for two runs "
            "RUN_A/compare-<RUN_B>.html)."
        ),
    ] = None,
) -> None:
    """Write one self-contained HTML page (works offline) about a run: provenance, metrics,
    figures and every episode's trajectory; with two runs, both side by side."""
    from act_bench.report import ReportRequest, write_report

    written = write_report(ReportRequest(tuple(run_dirs), output))
    console.print(escape(f"wrote {written}"))


@app.command("compare")
@reports_errors
def compare_command(
    run_a: Annotated[Path, typer.Argument(help="The reference run directory (A).")],
    run_b: Annotated[Path, typer.Argument(help="The run compared against it (B).")],
    metric: Annotated[
        list[str] | None,
        typer.Option(help="Only this metric (repeatable); default: every metric of the task."),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Seed of the bootstrap resamples and the permutation test.")
    ] = 0,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the comparison as JSON.")
    ] = False,
) -> None:
    """Paired comparison of two runs on their shared items: B - A per metric, with a 95 %
    bootstrap interval and a permutation-test p-value."""
    from act_bench.compare import compare_runs
    from act_bench.report.run import load_run

    comparison = compare_runs(load_run(run_a), load_run(run_b), metrics=metric, seed=seed)
    if json_output:
        print(json.dumps(comparison.to_json(), indent=2))
        return
    title = escape(
        f"{comparison.task} · {comparison.split} · {comparison.protocol}: "
        f"B - A on {comparison.n_shared} shared items"
    )
    table = Table("metric", "A", "B", "B - A", "95% CI", "p", title=title)

    def number(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}"

    for row in comparison.metrics:
        interval = "" if row.low is None else f"[{row.low:.2f}, {row.high:.2f}]"
        p_value = "" if row.p_value is None else f"{row.p_value:.3f}"
        style = "bold" if row.p_value is not None and row.p_value < 0.05 else None
        table.add_row(
            escape(row.name),
            number(row.a),
            number(row.b),
            number(row.difference),
            interval,
            p_value,
            style=style,
        )
    console.print(table)
    console.print(
        escape(
            f"A: {run_a}  B: {run_b}; {comparison.n_shared} shared items (turn states), "
            f"{comparison.n_only_a} only in A, {comparison.n_only_b} only in B; "
            f"{comparison.resamples} resamples, seed {comparison.seed}; bold: p < 0.05"
        )
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


LeaderboardPath = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Leaderboard database (default $ACT_BENCH_LEADERBOARD or "
        "leaderboards/leaderboard.sqlite).",
    ),
]


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


# Trainer flags are their config dataclass's fields (TRL's parser, YAML via --config), so
# the arguments pass through untouched, --help included; baselines import only when run.
TRAIN_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def _train(method: str, ctx: typer.Context) -> None:
    from act_bench_baselines.cli import train_from_args

    train_from_args(method, ctx.args)


@train_app.command("sft", context_settings=TRAIN_ARGS, add_help_option=False)
@reports_errors
def train_sft_command(ctx: typer.Context) -> None:
    """SFT on the gold responses (loss on the response only; selection by validation loss)."""
    _train("sft", ctx)


@train_app.command("dpo-dist", context_settings=TRAIN_ARGS, add_help_option=False)
@reports_errors
def train_dpo_dist_command(ctx: typer.Context) -> None:
    """Off-policy DPO on pairs from a strong (winner) and a weak (loser) model, cached (App. B)."""
    _train("dpo-dist", ctx)


@train_app.command("irpo", context_settings=TRAIN_ARGS, add_help_option=False)
@reports_errors
def train_irpo_command(ctx: typer.Context) -> None:
    """Iterative RPO: sample N per prompt, label with the task heuristic, DPO + NLL, repeat."""
    _train("irpo", ctx)


@train_app.command("act", context_settings=TRAIN_ARGS, add_help_option=False)
@reports_errors
def train_act_command(ctx: typer.Context) -> None:
    """ACT (Alg. 1-2): action-contrastive pairs, on-policy sampling, trajectory simulation."""
    _train("act", ctx)


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


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
