"""``act-bench reproduce TABLE``: run the cells of one of the paper's tables that can be run
with what the user passes, submit them, and set our numbers beside the paper's.

A table's cells are its distinct (approach, conversations) settings. Prompting cells
(standard, CoT, proactive, many-shot ICL) run with every ``--model`` given, in that
prompting style with the paper's number of in-context conversations. Tuned cells
(SFT, IRPO, DPO-Dist, ACT and its ablations, with N training conversations) run only
with a checkpoint passed as ``--checkpoint APPROACH:N=SPEC``. Every other cell is
reported as not run, with what it would need; nothing is invented.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from act_bench.errors import ConfigError
from act_bench.evaluation import EvalConfig, run_evaluation
from act_bench.leaderboard import Leaderboard, paper_tables, read_submission
from act_bench.results import config_hash

PROMPTING_STYLES = {
    "standard": "standard",
    "cot": "cot",
    "proactive": "proactive",
    "many-shot-icl": "standard",
}


@dataclass(frozen=True, slots=True)
class Cell:
    """One setting of a table: an approach at a number of conversations (shots or training)."""

    approach: str
    conversations: int | None
    paper_rows: tuple[dict[str, Any], ...]

    @property
    def key(self) -> str:
        return f"{self.approach}:{self.conversations}"

    @property
    def is_prompting(self) -> bool:
        return self.approach in PROMPTING_STYLES


@dataclass(frozen=True, slots=True)
class CellRun:
    """A cell run with one model (or why it was not run)."""

    cell: Cell
    model: str | None
    metrics: dict[str, float | None] = field(default_factory=dict)
    output_dir: str | None = None
    not_run: str | None = None
    shots_note: str | None = None


@dataclass(frozen=True, slots=True)
class ReproduceOptions:
    """What the user passes: models for prompting cells, checkpoints for tuned ones."""

    models: tuple[str, ...] = ()
    checkpoints: dict[str, str] = field(default_factory=dict)  # "sft:50" -> "hf:DIR"
    num_shots: int | None = None  # None: the paper's count for each prompting cell
    output_root: str = "runs/reproduce"
    db: str | None = None
    split: str | None = None  # None: the split the paper's table reports
    # The paper's numbers were computed by the authors' evaluation code, so by default ours
    # are too (act_bench/protocols.py); --protocol act-bench reports act-bench's instead.
    protocol: str = "act-paper"
    base: EvalConfig = field(default_factory=EvalConfig)


def table_ids() -> list[str]:
    return list(paper_tables())


def load_table(table_id: str) -> dict[str, Any]:
    tables = paper_tables()
    if table_id not in tables:
        import difflib

        close = difflib.get_close_matches(table_id, tables, n=1)
        raise ConfigError(
            f"unknown table {table_id!r}; known: {', '.join(tables)}",
            hint=f"did you mean {close[0]!r}?" if close else None,
        )
    return tables[table_id]


def cells_of(table: dict[str, Any]) -> list[Cell]:
    """The table's distinct (approach, conversations) settings, in printed order."""
    order: dict[tuple[str, int | None], list[dict[str, Any]]] = {}
    for row in table["rows"]:
        order.setdefault((row["approach_id"], row["conversations"]), []).append(row)
    return [Cell(approach, n, tuple(rows)) for (approach, n), rows in order.items()]


def parse_checkpoint(text: str) -> tuple[str, str]:
    """``APPROACH:N=SPEC`` (e.g. ``act:50=hf:checkpoints/act-50``)."""
    match = re.fullmatch(r"([a-z0-9-]+):(\d+)=(.+)", text.strip())
    if not match:
        raise ConfigError(
            f"--checkpoint {text!r} is not APPROACH:N=SPEC",
            hint="e.g. --checkpoint sft:50=hf:checkpoints/sft-50",
        )
    return f"{match[1]}:{int(match[2])}", match[3]


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def _cell_config(
    table_id: str, table: dict[str, Any], cell: Cell, model: str, opts: ReproduceOptions
) -> EvalConfig:
    """The evaluation of one cell; its run directory is named by the config's hash, so a
    re-run with the same settings resumes it and different settings never collide."""
    prompting = {}
    if cell.is_prompting:
        shots = opts.num_shots if opts.num_shots is not None else (cell.conversations or 0)
        prompting = {"prompt_style": PROMPTING_STYLES[cell.approach], "num_shots": shots}
    config = replace(
        opts.base,
        task=table["task"],
        split=opts.split or table["split"],
        model=model,
        protocol=opts.protocol,
        **prompting,
    )
    name = f"{_safe(cell.key)}-{_safe(model)}-{config_hash(config.identity())[:8]}"
    return replace(config, output_dir=str(Path(opts.output_root) / table_id / name))


def plan(table_id: str, opts: ReproduceOptions) -> list[tuple[Cell, str | None, str | None]]:
    """(cell, model to run or None, why not) for every cell and model."""
    table = load_table(table_id)
    unknown = set(opts.checkpoints) - {cell.key for cell in cells_of(table)}
    if unknown:
        raise ConfigError(
            f"--checkpoint for settings {table_id} does not have: {', '.join(sorted(unknown))}",
            hint="its settings: " + ", ".join(c.key for c in cells_of(table) if not c.is_prompting),
        )
    planned = []
    for cell in cells_of(table):
        if cell.is_prompting:
            if not opts.models:
                planned.append((cell, None, "pass --model SPEC to run the prompting rows"))
            planned += [(cell, model, None) for model in opts.models]
        elif cell.key in opts.checkpoints:
            planned.append((cell, opts.checkpoints[cell.key], None))
        else:
            planned.append(
                (
                    cell,
                    None,
                    f"needs a checkpoint: --checkpoint {cell.key}=hf:DIR "
                    f"(train one with `act-bench train`)",
                )
            )
    return planned


def reproduce(
    table_id: str,
    opts: ReproduceOptions,
    *,
    on_start: Callable[[Cell, str], None] | None = None,
    show_progress: bool = True,
) -> list[CellRun]:
    """Run, write and submit every runnable cell; cells that cannot run say why."""
    table = load_table(table_id)
    board = Leaderboard(opts.db)
    runs: list[CellRun] = []
    for cell, model, why_not in plan(table_id, opts):
        if model is None:
            runs.append(CellRun(cell, None, not_run=why_not))
            continue
        if on_start is not None:
            on_start(cell, model)
        config = _cell_config(table_id, table, cell, model, opts)
        result = run_evaluation(config, resume=_resumable(config), show_progress=show_progress)
        submission = read_submission(
            Path(config.output_dir),
            name=f"{table_id} {cell.key} {model}",
            approach=cell.approach,
        )
        board.submit(submission, replace=True)
        shots = (result.results.get("prompting") or {}).get("shots") or {}
        runs.append(
            CellRun(cell, model, result.metrics, config.output_dir, shots_note=shots.get("note"))
        )
    return runs


def _resumable(config: EvalConfig) -> bool:
    """Re-running reproduce continues (or reuses) a finished cell instead of failing on it."""
    return (Path(config.output_dir) / "results.json").is_file()


def side_by_side(table_id: str, runs: Sequence[CellRun]) -> tuple[list[str], list[list[str]]]:
    """Rows of (who, setting, metric values, deltas): the paper's rows, then ours under them."""
    table = load_table(table_id)
    metrics = list(table["metrics"])
    header = ["source", "model", "approach", "conv.", *metrics]
    rows: list[list[str]] = []

    def fmt(value: float | None) -> str:
        return "–" if value is None else f"{value:.1f}"

    for cell in cells_of(table):
        for paper in cell.paper_rows:
            values = [fmt(paper["values"].get(m)) for m in metrics]
            rows.append(
                [
                    "paper",
                    paper["base_model"],
                    paper["approach"],
                    str(cell.conversations or ""),
                    *values,
                ]
            )
        for run in (r for r in runs if r.cell.key == cell.key):
            if run.model is None:
                rows.append(
                    [
                        "ours",
                        "—",
                        cell.approach,
                        str(cell.conversations or ""),
                        *(["not run"] + [""] * (len(metrics) - 1)),
                    ]
                )
                continue
            reference = cell.paper_rows[0]["values"]  # deltas against the first paper row
            cells = []
            for metric in metrics:
                ours, theirs = run.metrics.get(metric), reference.get(metric)
                delta = "" if ours is None or theirs is None else f" ({ours - theirs:+.1f})"
                cells.append(fmt(ours) + delta)
            rows.append(["ours", run.model, cell.approach, str(cell.conversations or ""), *cells])
    return header, rows
