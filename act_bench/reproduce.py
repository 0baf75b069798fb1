"""``act-bench reproduce TABLE``: run the cells of one of the paper's tables that can be run
with what the user passes, submit them, and set our numbers beside the paper's.

A table's cells are its distinct (approach, conversations) settings. Prompting cells
(standard, CoT, proactive, many-shot ICL) run with every ``--model`` given, in that
prompting style with the paper's number of in-context conversations. Tuned cells
(SFT, IRPO, DPO-Dist, ACT and its ablations, with N training conversations) run only
with a checkpoint passed as ``--checkpoint APPROACH:N=SPEC``, or, with ``--train``, with a
checkpoint trained here (:mod:`act_bench.tuning`). Every other cell is reported as not
run, with what it would need; nothing is invented.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from act_bench.errors import ConfigError, DataError
from act_bench.evaluation import EvalConfig, run_evaluation
from act_bench.leaderboard import Leaderboard, paper_tables, read_submission
from act_bench.results import config_hash, load_results
from act_bench.results_schema import RunResults
from act_bench.tuning import (
    CellTrainer,
    TrainedCheckpoint,
    TrainingRequest,
    cell_trainer,
    train_cell,
)

ZERO_SHOT = "zero-shot"  # the untuned base beside the checkpoints trained from it
PROMPTING_STYLES = {
    "standard": "standard",
    "cot": "cot",
    "proactive": "proactive",
    "many-shot-icl": "standard",
    ZERO_SHOT: "standard",
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
    """A cell run with one model (or why it was not run); with ``--train``, one seed of it."""

    cell: Cell
    model: str | None
    metrics: dict[str, float | None] = field(default_factory=dict)
    output_dir: str | None = None
    not_run: str | None = None
    shots_note: str | None = None
    seed: int | None = None  # the training seed (reproduce --train)
    base_model: str | None = None  # the model a trained checkpoint was tuned from
    train_s: float | None = None  # wall time of its training (None: not trained here)
    eval_s: float | None = None  # wall time of its evaluation
    reused: bool = False  # an earlier run had finished its training and evaluation

    @property
    def shown_model(self) -> str | None:
        """The model a table row names: the base for a checkpoint trained here."""
        return self.base_model or self.model


@dataclass(frozen=True, slots=True)
class TrainingOptions:
    """``reproduce --train``: train each tuned cell here from the one ``--model``, per seed,
    and score every checkpoint and the untuned base on the same held-out conversations."""

    conversations: int | None = None  # None: each tuned cell's own count (50, 100, 250)
    seeds: tuple[int, ...] = (0,)
    budget: str = "paper"  # a preset of the trainer plug-in (paper | cpu-small)
    train_split: str = "train"
    approaches: tuple[str, ...] = ()  # empty: every tuned approach of the table
    strong_model: str | None = None  # DPO-Dist's strong model (App. B)
    trainer: str | None = None  # the cell-trainer plug-in; None: the installed one


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
    training: TrainingOptions | None = None  # reproduce --train
    prompting: bool = True  # run the prompting cells with every --model


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


def parse_seeds(text: str) -> tuple[int, ...]:
    """``--seeds 0,1,2``."""
    try:
        seeds = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ConfigError(f"--seeds {text!r} is not a comma-separated list of integers") from None
    if any(seed < 0 for seed in seeds) or len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds {text!r}: seeds are distinct non-negative integers")
    return seeds


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def _cell_config(
    table_id: str,
    table: dict[str, Any],
    cell: Cell,
    model: str,
    opts: ReproduceOptions,
    **fields: Any,
) -> EvalConfig:
    """The evaluation of one cell; its run directory is named by the config's hash, so a
    re-run with the same settings resumes it and different settings never collide.
    ``fields`` set more of the config (a trained cell's seed and held-out conversations)."""
    prompting = {}
    if cell.is_prompting:
        shots = opts.num_shots if opts.num_shots is not None else (cell.conversations or 0)
        shots = 0 if cell.approach == ZERO_SHOT else shots
        prompting = {"prompt_style": PROMPTING_STYLES[cell.approach], "num_shots": shots}
    config = replace(
        opts.base,
        task=table["task"],
        split=opts.split or table["split"],
        model=model,
        protocol=opts.protocol,
        **prompting,
        **fields,
    )
    name = f"{_safe(cell.key)}-{_safe(model)}-{config_hash(config.identity())[:8]}"
    return replace(config, output_dir=str(Path(opts.output_root) / table_id / name))


def plan(table_id: str, opts: ReproduceOptions) -> list[tuple[Cell, str | None, str | None]]:
    """(cell, model to run or None, why not) for every cell and model; with ``--train`` the
    tuned cells are planned by :func:`training_cells` instead."""
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
            if not opts.prompting:
                planned.append((cell, None, "prompting rows not asked for (pass --prompting)"))
            elif not opts.models:
                planned.append((cell, None, "pass --model SPEC to run the prompting rows"))
            else:
                planned += [(cell, model, None) for model in opts.models]
        elif opts.training is not None:
            continue
        elif cell.key in opts.checkpoints:
            planned.append((cell, opts.checkpoints[cell.key], None))
        else:
            planned.append(
                (
                    cell,
                    None,
                    f"needs a checkpoint: --checkpoint {cell.key}=hf:DIR "
                    f"(train one with `act-bench train`, or pass --train)",
                )
            )
    return planned


def training_cells(table: dict[str, Any], training: TrainingOptions) -> list[Cell]:
    """The tuned cells ``--train`` trains: the table's own, or with ``--conversations N``
    each tuned approach once at N."""
    tuned = [cell for cell in cells_of(table) if not cell.is_prompting]
    approaches = list(dict.fromkeys(cell.approach for cell in tuned))
    unknown = [a for a in training.approaches if a not in approaches]
    if unknown:
        raise ConfigError(
            f"--approach: the table has no tuned approach {', '.join(unknown)}",
            hint=f"its tuned approaches: {', '.join(approaches)}",
        )
    wanted = set(training.approaches or approaches)
    tuned = [cell for cell in tuned if cell.approach in wanted]
    if training.conversations is None:
        return tuned
    # the paper's rows stay with the table's own cells, shown after this one (side_by_side)
    wanted_order = [a for a in approaches if a in wanted]
    return [Cell(approach, training.conversations, ()) for approach in wanted_order]


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
        runs.append(_evaluate_cell(table_id, cell, config, board, show_progress))
    if opts.training is not None:
        runs += _train_and_evaluate(table_id, table, opts, board, on_start, show_progress)
    return runs


def _evaluate_cell(
    table_id: str,
    cell: Cell,
    config: EvalConfig,
    board: Leaderboard,
    show_progress: bool,
    **details: Any,
) -> CellRun:
    """Evaluate (or read back a finished evaluation of) one cell, and submit it."""
    finished = _finished_results(config)
    if finished is None:
        result = run_evaluation(config, resume=_resumable(config), show_progress=show_progress)
        finished = result.run_results
    submission = read_submission(
        Path(config.output_dir),
        name=f"{table_id} {cell.key} {config.model}"
        + (f" seed {details['seed']}" if "seed" in details else ""),
        approach=PROMPTING_STYLES[ZERO_SHOT] if cell.approach == ZERO_SHOT else cell.approach,
    )
    board.submit(submission, replace=True)
    shots = finished.prompting.shots if finished.prompting is not None else None
    return CellRun(
        cell,
        config.model,
        dict(finished.metrics or {}),
        config.output_dir,
        shots_note=shots.note if shots is not None else None,
        eval_s=(finished.timings or {}).get("total_s"),
        **details,
    )


def _finished_results(config: EvalConfig) -> RunResults | None:
    """results.json of a completed run in the cell's folder (named by its config hash), so a
    finished evaluation is never run again; read through the one schema (RunResults)."""
    path = Path(config.output_dir) / "results.json"
    if not path.is_file():
        return None
    try:
        results = load_results(path)
    except DataError:
        return None  # a torn or damaged file: run_evaluation's resume rewrites or refuses it
    return results if results.status == "complete" else None


def _resumable(config: EvalConfig) -> bool:
    """Re-running reproduce continues (or reuses) a started cell instead of failing on it;
    its folder is named by its config hash, so whatever is there is this cell's."""
    folder = Path(config.output_dir)
    return (folder / "results.json").is_file() or (folder / "samples.jsonl").is_file()


def _train_and_evaluate(
    table_id: str,
    table: dict[str, Any],
    opts: ReproduceOptions,
    board: Leaderboard,
    on_start: Callable[[Cell, str], None] | None,
    show_progress: bool,
) -> list[CellRun]:
    """Per seed: train every tuned cell from the base model (or reuse it), then score the
    base zero-shot and each checkpoint on the same held-out conversations: the split
    minus every conversation any of this seed's checkpoints trained or was selected on."""
    training = opts.training
    assert training is not None
    if len(opts.models) != 1:
        raise ConfigError(
            f"--train tunes one base model; got --model {len(opts.models)} times",
            hint="pass one --model (e.g. --model smollm2)",
        )
    (base,) = opts.models
    trainer = cell_trainer(training.trainer)
    _check_budget(trainer, training.budget)
    split = opts.split or table["split"]
    root = Path(opts.output_root) / table_id / "train"
    runs: list[CellRun] = []
    runnable: list[Cell] = []
    for cell in training_cells(table, training):
        why_not = _unavailable(trainer, _request(cell, base, 0, table, training, opts))
        if why_not is None:
            runnable.append(cell)
        else:
            runs.append(CellRun(cell, None, not_run=why_not))
    if not runnable:
        return runs
    zero_shot = Cell(ZERO_SHOT, 0, ())
    for seed in training.seeds:
        checkpoints: dict[str, TrainedCheckpoint] = {}
        for cell in runnable:
            if on_start is not None:
                on_start(cell, f"training from {base}, seed {seed}, budget {training.budget}")
            request = _request(cell, base, seed, table, training, opts, quiet=not show_progress)
            checkpoints[cell.key] = train_cell(trainer, request, root)
        held_out = sorted(frozenset().union(*(c.seen_in(split) for c in checkpoints.values())))
        fields = {"seed": seed, "exclude_conversations": tuple(held_out)}
        for cell, model, checkpoint in [
            (zero_shot, base, None),
            *((cell, checkpoints[cell.key].model, checkpoints[cell.key]) for cell in runnable),
        ]:
            if on_start is not None:
                on_start(cell, f"{model}, seed {seed}")
            config = _cell_config(table_id, table, cell, model, opts, **fields)
            reused = _finished_results(config) is not None
            run = _evaluate_cell(
                table_id,
                cell,
                config,
                board,
                show_progress,
                seed=seed,
                base_model=base if checkpoint is not None else None,
                train_s=checkpoint.train_s if checkpoint is not None else None,
                reused=reused and (checkpoint is None or checkpoint.reused),
            )
            runs.append(run)
    return runs


def _request(
    cell: Cell,
    base: str,
    seed: int,
    table: dict[str, Any],
    training: TrainingOptions,
    opts: ReproduceOptions,
    *,
    quiet: bool = False,
) -> TrainingRequest:
    return TrainingRequest(
        approach=cell.approach,
        task=table["task"],
        model=base,
        conversations=cell.conversations or 0,
        seed=seed,
        budget=training.budget,
        train_split=training.train_split,
        data_dir=opts.base.data_dir,
        strong_model=training.strong_model,
        quiet=quiet,
    )


def _check_budget(trainer: CellTrainer, budget: str) -> None:
    budgets = trainer.budgets()
    if budget not in budgets:
        import difflib

        close = difflib.get_close_matches(budget, budgets, n=1)
        raise ConfigError(
            f"unknown --budget {budget!r}; known: {', '.join(budgets)}",
            hint=f"did you mean {close[0]!r}?" if close else None,
        )


def _unavailable(trainer: CellTrainer, request: TrainingRequest) -> str | None:
    if request.approach not in trainer.approaches():
        return f"no installed trainer trains {request.approach!r}"
    return trainer.unavailable(request)


def side_by_side(table_id: str, runs: Sequence[CellRun]) -> tuple[list[str], list[list[str]]]:
    """Rows of (who, setting, metric values, deltas): the paper's rows, then ours under them.

    Runs of one cell and model at several seeds (``--train --seeds``) make one row, each
    value the mean ± sample standard deviation over the seeds. A delta against the paper is
    shown only where the paper has the same setting (same number of conversations).
    """
    table = load_table(table_id)
    metrics = list(table["metrics"])
    header = ["source", "model", "approach", "conv.", "seeds", *metrics]
    rows: list[list[str]] = []

    def fmt(value: float | None) -> str:
        return "–" if value is None else f"{value:.1f}"

    for cell in _shown_cells(table, runs):
        for paper in cell.paper_rows:
            values = [fmt(paper["values"].get(m)) for m in metrics]
            setting = paper["conversations"]
            rows.append(
                ["paper", paper["base_model"], paper["approach"], str(setting or ""), "", *values]
            )
        groups: dict[str | None, list[CellRun]] = {}
        for run in (r for r in runs if r.cell.key == cell.key):
            groups.setdefault(run.shown_model, []).append(run)
        for model, group in groups.items():
            conversations = str(cell.conversations if cell.conversations is not None else "")
            approach = "base (zero-shot)" if cell.approach == ZERO_SHOT else cell.approach
            if model is None:
                blank = [""] * (len(metrics) - 1)
                rows.append(["ours", "—", approach, conversations, "", "not run", *blank])
                continue
            same = [p for p in cell.paper_rows if p["conversations"] == cell.conversations]
            reference = same[0]["values"] if same else {}  # deltas against the first such row
            seeds = [run.seed for run in group if run.seed is not None]
            values = [
                _aggregate([run.metrics.get(m) for run in group], reference.get(m)) for m in metrics
            ]
            rows.append(
                ["ours", model, approach, conversations, ",".join(map(str, seeds)), *values]
            )
    return header, rows


def _shown_cells(table: dict[str, Any], runs: Sequence[CellRun]) -> list[Cell]:
    """The table's cells in order, a cell run at a count the table lacks (``--train
    --conversations N``) before its approach's first, and the zero-shot base first."""
    table_cells = cells_of(table)
    known = {cell.key for cell in table_cells}
    extra = list({run.cell.key: run.cell for run in runs if run.cell.key not in known}.values())
    cells = [cell for cell in extra if cell.approach == ZERO_SHOT]
    for cell in table_cells:
        cells += [c for c in extra if c.approach == cell.approach and c not in cells]
        cells.append(cell)
    return cells


def _aggregate(values: Sequence[float | None], paper: float | None) -> str:
    """One seed: the value and its delta against the paper; several: mean ± std."""
    known = [v for v in values if v is not None]
    if not known:
        return "–"
    if len(known) == 1:
        (ours,) = known
        delta = "" if paper is None else f" ({ours - paper:+.1f})"
        return f"{ours:.1f}{delta}"
    mean = statistics.fmean(known)
    delta = "" if paper is None else f" ({mean - paper:+.1f})"
    return f"{mean:.1f} ± {statistics.stdev(known):.1f}{delta}"


def summarize(runs: Sequence[CellRun], metrics: Sequence[str]) -> list[dict[str, Any]]:
    """Per cell and model: n seeds, mean and std of every metric, and the wall times per
    stage (for the README's measurement and scripts)."""
    groups: dict[tuple[str, str | None], list[CellRun]] = {}
    for run in runs:
        if run.model is not None:
            groups.setdefault((run.cell.key, run.shown_model), []).append(run)
    summary = []
    for (key, model), group in groups.items():
        entry: dict[str, Any] = {"cell": key, "model": model, "seeds": [r.seed for r in group]}
        for metric in metrics:
            known = [r.metrics[metric] for r in group if r.metrics.get(metric) is not None]
            entry[metric] = {
                "mean": statistics.fmean(known) if known else None,
                "std": statistics.stdev(known) if len(known) > 1 else None,
                "values": known,
            }
        entry["train_s"] = [r.train_s for r in group]
        entry["eval_s"] = [r.eval_s for r in group]
        summary.append(entry)
    return summary
