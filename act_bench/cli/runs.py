"""`act-bench report` and `act-bench compare`: read finished runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from act_bench.cli.app import app
from act_bench.cli.common import (
    console,
    reports_errors,
)


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
