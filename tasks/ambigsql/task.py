"""AmbigSQL as an act-bench task (§4.1.3; App. C, D): built from Spider, scored by execution.

Where the data lives: ``<data_dir>/ambigsql/{train,validation,test}.jsonl``, written by
``act-bench data build-ambigsql --spider-dir <data_dir>/spider --out <data_dir>/ambigsql``;
each example's SQLite database is read from the Spider folder the build recorded in its
``stats.json``, else from ``<data_dir>/spider``. With no data dir, the sample bundled with
act-bench is read (``sample/``, written by us).

What is evaluated: the first turn state of every conversation, i.e. each clear request
(gold action ANSWER) and each ambiguous request (CLARIFY), one per request as Table A10
counts them, so the gold actions are balanced by construction (App. D). The ambiguous
conversation's second state (the clear request after the clarification exchange) is not
evaluated on its own: the trajectory simulated from t1 reaches it. It is kept in the files
for training (``load_training``, which the trainers read) and for the recovery analysis
(``load_conversations(include_followups=True)``).

Scores (App. D, x100): ``action_accuracy`` and ``action_macro_f1`` of the first response;
``execution_match``, whether the trajectory's final SQL returns the gold query's result;
``post_clarify_execution_match``, the same over trajectories in which the policy asked
first; and ``turn_execution_match``, the same for the immediate response y, which for an
ambiguous request says whether the policy got it right without asking.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from act_bench_tasks.ambigsql.bundled import SAMPLE_DIR, sample_spider_dir
from act_bench_tasks.ambigsql.dataset import LoadedSplit, built_from, load_split
from act_bench_tasks.ambigsql.prompt import render_messages
from act_bench_tasks.ambigsql.sql_extract import extract_sql

from act_bench.errors import DataError
from act_bench.metrics import standard_metrics
from act_bench.metrics.execution import ExecutionMatcher
from act_bench.splits import check_split
from act_bench.task import TaskBase, TaskDefaults
from act_bench.types import Conversation, EpisodeRecord, Goal, Message, Prompt, TurnState

SPLIT_FILES = {"train": "train.jsonl", "validation": "validation.jsonl", "test": "test.jsonl"}
METRIC_ORDER = (
    "action_accuracy",
    "action_macro_f1",
    "turn_execution_match",
    "execution_match",
    "post_clarify_execution_match",
)


class AmbigSQLTask(TaskBase):
    """Ambiguous conversational text-to-SQL over Spider's databases (Chen et al., 2025)."""

    name = "ambigsql"
    description = "AmbigSQL: ambiguous text-to-SQL built from Spider, execution match (§4.1.3)"
    splits = tuple(SPLIT_FILES)
    headline_metric = "execution_match"
    metric_names = METRIC_ORDER
    # 13 % of Spider dev gold SQL is longer than 64 SmolLM2 tokens: 256 leaves room for the
    # query and a code fence. Execution match is 0 or 1, so any ε in [0, 1) means "the SQL
    # returns the gold result". SQL spans lines, so no protocol keeps only a first line.
    defaults = TaskDefaults(max_new_tokens=256, act_tolerance=0.5, multiline_responses=True)
    metric_modes: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.matcher = ExecutionMatcher()
        self._skipped: dict[tuple[str, str | None], dict[str, int]] = {}

    # --- data --------------------------------------------------------------------------

    def data_folder(self, data_dir: Path | None) -> Path:
        return SAMPLE_DIR if data_dir is None else Path(data_dir) / self.name

    def spider_dirs(self, data_dir: Path | None) -> list[Path]:
        """Where databases are looked up: the build's Spider folder, then ``<data_dir>/spider``."""
        if data_dir is None:
            return [sample_spider_dir()]
        recorded = built_from(self.data_folder(data_dir))
        return [d for d in (recorded, Path(data_dir) / "spider") if d is not None]

    def load_conversations(
        self, split: str, data_dir: Path | None, *, include_followups: bool = False
    ) -> LoadedSplit:
        check_split(self.name, split, self.splits)
        path = self.data_folder(data_dir) / SPLIT_FILES[split]
        if not path.is_file():
            raise self._missing(path, data_dir)
        loaded = load_split(path, self.spider_dirs(data_dir), include_followups=include_followups)
        if not include_followups:
            self._skipped[(split, None if data_dir is None else str(data_dir))] = loaded.skipped
        return loaded

    def load(self, split: str, data_dir: Path | None) -> list[Conversation]:
        """The turn states evaluated: each conversation's first (module docstring)."""
        return self.load_conversations(split, data_dir).conversations

    def load_training(self, split: str, data_dir: Path | None) -> list[Conversation]:
        """Every turn state, t2 included: the trainers learn the SQL written after the
        user's clarification (App. C.1), which evaluation reaches through t1's trajectory."""
        return self.load_conversations(split, data_dir, include_followups=True).conversations

    def skipped(self, split: str, data_dir: Path | None) -> dict[str, int]:
        """Turn states left out of the split, by reason (``missing_database``)."""
        key = (split, None if data_dir is None else str(data_dir))
        if key not in self._skipped:
            self.load_conversations(split, data_dir)
        return dict(self._skipped[key])

    # --- prompting and scoring ---------------------------------------------------------

    def render_messages(self, prompt: Prompt) -> list[Message]:
        return render_messages(prompt)

    def score_turn(self, response: str, turn_state: TurnState, mode: str | None = None) -> float:
        """Execution match of y against the turn's target SQL: r for an ANSWER turn, and for
        a CLARIFY turn the SQL its trajectory ends in (so 1 only if y guessed it right)."""
        return self.score_outcome(response, turn_state.goals[0])

    def score_outcome(self, outcome: str, goal: Goal, mode: str | None = None) -> float:
        """H: 1.0 when the SQL in g' returns the gold query's result on the database, else 0.0."""
        db_path = goal.metadata.get("db_path")
        if not db_path:
            raise DataError(
                "the goal has no database path",
                record=str(goal.metadata.get("db_id")),
                field="db_path",
                hint="load the split through AmbigSQLTask.load, which resolves databases",
            )
        return float(self.matcher.match(extract_sql(outcome), str(goal.answer), db_path).match)

    def metrics(self, records: Sequence[EpisodeRecord]) -> dict[str, float | None]:
        standard = standard_metrics(records, "execution_match")
        standard["execution_match"] = standard.pop("trajectory_execution_match")
        return {name: standard[name] for name in self.metric_names}

    def slice_values(self, turn_state: TurnState) -> dict[str, str]:
        """``ambiguity_type``: information / population / presentation (App. C), or
        ``clear`` for the clear twin of each ambiguous request."""
        return {"ambiguity_type": str(turn_state.metadata.get("ambiguity_type") or "clear")}

    # --- components ------------------------------------------------------------------

    def classifier_examples(self) -> Sequence[Any]:
        from act_bench_tasks.ambigsql.fewshot import classifier_examples

        return classifier_examples()

    def model_simulator(
        self, backend: Any, *, spec: str, seed: int, temperature: float = 0.0
    ) -> Any:
        """The LLM user simulator conditioned on the target SQL (App. H, Table A27)."""
        from act_bench_tasks.ambigsql.fewshot import simulator_examples
        from act_bench_tasks.ambigsql.simulator import SQLGoalSimulator

        return SQLGoalSimulator(
            backend, simulator_examples(), spec=spec, seed=seed, temperature=temperature
        )

    def download(self, data_dir: Path) -> list[Path]:
        """Download Spider into ``data_dir/spider`` and build AmbigSQL (rule generator, seed 0)."""
        from act_bench_tasks.ambigsql.builder import BuildConfig, build_ambigsql
        from act_bench_tasks.ambigsql.download import download_spider

        written = download_spider(Path(data_dir))
        config = BuildConfig(
            spider_dir=str(Path(data_dir) / "spider"), out_dir=str(self.data_folder(data_dir))
        )
        return written + list(build_ambigsql(config).files)

    # --- errors ----------------------------------------------------------------------

    def _missing(self, path: Path, data_dir: Path | None) -> DataError:
        if data_dir is None:
            return DataError("the bundled AmbigSQL sample is incomplete", file=str(path))
        spider = Path(data_dir) / "spider"
        build = f"act-bench data build-ambigsql --spider-dir {spider} --out {path.parent}"
        hint = (
            build
            if spider.is_dir()
            else (f"act-bench data download spider --data-dir {data_dir} && {build}")
        )
        return DataError(
            f"{path.name} not found: AmbigSQL is built from Spider, build it first",
            file=str(path),
            hint=hint,
        )
