"""``act-bench reproduce --train``: tuned cells trained per seed through the cell-trainer
plug-in interface, scored with the base on the same held-out items, resumed after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import REPO_ROOT

import act_bench.reproduce
from act_bench.errors import ConfigError
from act_bench.evaluation import EvalConfig
from act_bench.reproduce import (
    ReproduceOptions,
    TrainingOptions,
    parse_seeds,
    reproduce,
    side_by_side,
    summarize,
)
from act_bench.task import get_task
from act_bench.tuning import (
    CELL_TRAINERS,
    FINISHED,
    ConversationSample,
    TrainedCheckpoint,
    TrainingRequest,
)

LOG_ENV = "SCRIPTED_TRAINER_LOG"
HANG_ENV = "SCRIPTED_TRAINER_HANG_ON"  # approach whose training sleeps (to be killed)


@pytest.fixture(autouse=True)
def _bundled_sample(monkeypatch):
    """The bundled PACIFIC sample: three validation conversations of five turns."""
    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)


def conversation_ids() -> list[str]:
    return [c.id for c in get_task("pacific").load("validation", None)]


class ScriptedCellTrainer:
    """Trains nothing: records each call in $SCRIPTED_TRAINER_LOG, leaves a partial file
    in the folder as a real trainer leaves checkpoints, and "trains" seed s on the bundled
    validation conversation s mod 3 (selection: the next one)."""

    def approaches(self) -> tuple[str, ...]:
        return ("sft", "irpo", "act", "dpo-dist")

    def budgets(self) -> dict[str, str]:
        return {"tiny": "scripted"}

    def settings(self, request: TrainingRequest) -> dict:
        return {"epochs": int(os.environ.get("SCRIPTED_TRAINER_EPOCHS", "1"))}

    def unavailable(self, request: TrainingRequest) -> str | None:
        if request.approach == "dpo-dist" and request.strong_model is None:
            return "needs --strong-model SPEC"
        return None

    def train(self, request: TrainingRequest) -> TrainedCheckpoint:
        folder = Path(request.output_dir)
        partial = folder / "checkpoint-1"
        with open(os.environ[LOG_ENV], "a") as log:
            call = {"approach": request.approach, "seed": request.seed}
            log.write(json.dumps(call | {"continued": partial.exists()}) + "\n")
        partial.mkdir(exist_ok=True)
        if os.environ.get(HANG_ENV) == request.approach:
            time.sleep(600)
        ids = conversation_ids()
        return TrainedCheckpoint(
            model="scripted",
            training=ConversationSample(request.train_split, (ids[request.seed % 3],)),
            selection=ConversationSample("validation", (ids[(request.seed + 1) % 3],)),
        )


def register_scripted_trainer() -> None:
    if "scripted" not in CELL_TRAINERS:
        CELL_TRAINERS.add("scripted", ScriptedCellTrainer())


def train_options(tmp_path, **training) -> ReproduceOptions:
    defaults = {
        "conversations": 4,
        "seeds": (0, 1),
        "budget": "tiny",
        "train_split": "validation",
        "approaches": ("sft", "act"),
        "trainer": "scripted",
    }
    return ReproduceOptions(
        models=("scripted",),
        output_root=str(tmp_path / "runs"),
        db=str(tmp_path / "board.sqlite"),
        base=EvalConfig(limit=4, batch_size=4),
        training=TrainingOptions(**(defaults | training)),
        prompting=False,
    )


def calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def item_ids(run) -> list[str]:
    lines = (Path(run.output_dir) / "samples.jsonl").read_text().splitlines()
    return [json.loads(line)["id"] for line in lines]


@pytest.fixture
def trainer_log(tmp_path, monkeypatch) -> Path:
    register_scripted_trainer()
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv(LOG_ENV, str(log))
    return log


def test_each_cell_trains_per_seed_and_all_rows_of_a_seed_score_the_same_held_out_items(
    tmp_path, trainer_log
):
    runs = reproduce("table1", train_options(tmp_path), show_progress=False)

    assert [(c["approach"], c["seed"]) for c in calls(trainer_log)] == [
        ("sft", 0), ("act", 0), ("sft", 1), ("act", 1)
    ]  # fmt: skip
    trained = [run for run in runs if run.seed is not None]
    assert sorted((r.cell.key, r.seed) for r in trained) == sorted(
        (key, seed) for key in ("zero-shot:0", "sft:4", "act:4") for seed in (0, 1)
    )
    ids = conversation_ids()
    for seed in (0, 1):
        rows = [run for run in trained if run.seed == seed]
        items = {run.cell.key: item_ids(run) for run in rows}
        assert len(items["zero-shot:0"]) == 4
        assert items["zero-shot:0"] == items["sft:4"] == items["act:4"]
        seen = {ids[seed % 3], ids[(seed + 1) % 3]}  # trained on, selected on
        conversation_of = {
            state.id: state.conversation_id
            for conversation in get_task("pacific").load("validation", None)
            for state in conversation.turn_states
        }
        assert not {conversation_of[item] for item in items["sft:4"]} & seen
        assert all(run.train_s is not None for run in rows if run.cell.key != "zero-shot:0")
        config = json.loads((Path(rows[0].output_dir) / "results.json").read_text())["config"]
        assert sorted(config["exclude_conversations"]) == sorted(seen)

    header, table = side_by_side("table1", runs)
    base = next(row for row in table if row[2] == "base (zero-shot)")
    assert base[1] == "scripted" and base[4] == "0,1"
    values = [r.metrics["action_macro_f1"] for r in trained if r.cell.key == "sft:4"]
    sft = next(row for row in table if row[0] == "ours" and row[2] == "sft" and row[3] == "4")
    import statistics

    mean, std = statistics.fmean(values), statistics.stdev(values)
    assert sft[header.index("action_macro_f1")] == f"{mean:.1f} ± {std:.1f}"  # no paper at 4
    [entry] = [e for e in summarize(runs, ["action_macro_f1"]) if e["cell"] == "act:4"]
    assert entry["seeds"] == [0, 1] and len(entry["action_macro_f1"]["values"]) == 2


def test_a_second_run_neither_trains_nor_evaluates_again(tmp_path, trainer_log, monkeypatch):
    first = reproduce("table1", train_options(tmp_path), show_progress=False)
    n_calls = len(calls(trainer_log))

    def no_evaluation(*args, **kwargs):
        raise AssertionError("a finished evaluation was run again")

    evaluate = act_bench.reproduce.run_evaluation
    monkeypatch.setattr(act_bench.reproduce, "run_evaluation", no_evaluation)
    second = reproduce("table1", train_options(tmp_path), show_progress=False)
    assert len(calls(trainer_log)) == n_calls
    assert [r.metrics for r in second] == [r.metrics for r in first]
    assert all(r.reused for r in second if r.seed is not None)
    assert not any(r.reused for r in first)

    # a new seed trains (and evaluates) only its own cells
    monkeypatch.setattr(act_bench.reproduce, "run_evaluation", evaluate)
    reproduce("table1", train_options(tmp_path, seeds=(0, 1, 2)), show_progress=False)
    new = [(c["approach"], c["seed"]) for c in calls(trainer_log)[n_calls:]]
    assert new == [("sft", 2), ("act", 2)]
    assert len(list((tmp_path / "runs").rglob(FINISHED))) == 6

    # a changed preset (the plug-in's settings) is another checkpoint: trained again
    monkeypatch.setenv("SCRIPTED_TRAINER_EPOCHS", "2")
    reproduce("table1", train_options(tmp_path, seeds=(0,)), show_progress=False)
    assert [c["seed"] for c in calls(trainer_log)[n_calls + 2 :]] == [0, 0]


RUN_REPRODUCE = (
    "import sys; sys.path[:0] = ['tests', 'tests/leaderboard']; import helpers; "
    "helpers.register_scripted_backend(); import test_reproduce_train as t; "
    "t.register_scripted_trainer(); from act_bench.cli import main; "
    "sys.argv = ['act-bench'] + sys.argv[1:]; main()"
)


def reproduce_args(tmp_path: Path) -> list[str]:
    return [
        sys.executable, "-c", RUN_REPRODUCE, "reproduce", "table1", "--model", "scripted",
        "--train", "--conversations", "4", "--seeds", "0", "--budget", "tiny",
        "--trainer", "scripted", "--train-split", "validation", "--approach", "sft",
        "--approach", "act", "--limit", "3", "--output-dir", str(tmp_path / "runs"),
        "--db", str(tmp_path / "board.sqlite"), "--quiet",
    ]  # fmt: skip


def test_a_killed_run_continues_without_retraining_a_finished_cell(tmp_path, trainer_log):
    env = {**os.environ, LOG_ENV: str(trainer_log), HANG_ENV: "act", "COLUMNS": "200"}
    process = subprocess.Popen(
        reproduce_args(tmp_path),
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while [c["approach"] for c in calls(trainer_log)] != ["sft", "act"]:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    env.pop(HANG_ENV)
    resumed = subprocess.run(
        reproduce_args(tmp_path), cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    assert [(c["approach"], c["continued"]) for c in calls(trainer_log)] == [
        ("sft", False),
        ("act", False),
        ("act", True),
    ]  # fmt: skip: sft trained once; act's second call finds its partial checkpoint
    assert "wall times" in resumed.stdout and "base (zero-shot)" in resumed.stdout


def test_bad_training_requests_are_clear_errors(tmp_path, trainer_log):
    with pytest.raises(ConfigError, match="unknown --budget 'tinny'") as caught:
        reproduce("table1", train_options(tmp_path, budget="tinny"), show_progress=False)
    assert caught.value.hint == "did you mean 'tiny'?"
    with pytest.raises(ConfigError, match="no tuned approach dpo-dist"):
        reproduce("table1", train_options(tmp_path, approaches=("dpo-dist",)))
    two = train_options(tmp_path)
    with pytest.raises(ConfigError, match="tunes one base model"):
        reproduce("table1", ReproduceOptions(**{**_fields(two), "models": ("a", "b")}))
    assert parse_seeds("0,1,2") == (0, 1, 2)
    for text in ("0,x", "1,1", "-1"):
        with pytest.raises(ConfigError, match="--seeds"):
            parse_seeds(text)
    assert calls(trainer_log) == []


def test_a_cell_the_trainer_cannot_run_says_why(tmp_path, trainer_log):
    opts = train_options(tmp_path, approaches=("dpo-dist",), seeds=(0,))
    runs = reproduce("table-a7", opts, show_progress=False)
    [dpo] = [run for run in runs if run.cell.approach == "dpo-dist"]
    assert dpo.model is None and "--strong-model" in dpo.not_run
    assert calls(trainer_log) == []


def _fields(options: ReproduceOptions) -> dict:
    from dataclasses import fields

    return {f.name: getattr(options, f.name) for f in fields(options)}


def test_training_flags_without_train_are_refused():
    from helpers import one_line_error
    from typer.testing import CliRunner

    from act_bench.cli import app

    result = CliRunner().invoke(
        app, ["reproduce", "table1", "--model", "scripted", "--seeds", "0,1", "--budget", "x"]
    )
    one_line_error(result, "--seeds, --budget only apply with --train")
