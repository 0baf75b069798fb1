"""``act-bench data build-preferences`` then ``act-bench train act --preferences FILE``: the
pairs the first command writes are the training D_pref of the second, read and checked, not
built again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from act_bench_baselines.act.preference_file import preferences_for
from act_bench_baselines.act.trainer import ActConfig, train_act
from act_bench_baselines.common.config import parse_config
from act_bench_baselines.common.data import select_data
from act_bench_tasks.pacific import task
from helpers import register_scripted_backend
from typer.testing import CliRunner

from act_bench.cli import app
from act_bench.errors import ConfigError, DataError

SELECTION = ["--task", "pacific", "--conversations", "2", "--seed", "3"]


def _build(data_dir: Path, output: Path, *extra: str) -> Path:
    args = ["data", "build-preferences", *SELECTION, "--split", "validation",
            "--data-dir", str(data_dir), "--generator", "scripted", "--generator-shots", "1",
            "--output", str(output), "--quiet", *extra]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return output


def _training_states(data_dir: Path, conversations: int = 2, seed: int = 3):
    """The turn states `train act` selects with the same flags (and a validation sample)."""
    return select_data(
        task, data_dir=data_dir, train_split="validation", conversations=conversations,
        validation_split="validation", validation_conversations=2, seed=seed,
    ).train.turn_states  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory, tiny_data_dir) -> Path:
    register_scripted_backend()  # the autouse fixture that does it runs per test, later
    return _build(tiny_data_dir, tmp_path_factory.mktemp("dpref") / "dpref.jsonl")


def test_the_built_file_holds_the_pairs_of_the_training_selection(built, tiny_data_dir):
    states = _training_states(tiny_data_dir)
    examples, stats = preferences_for(built, states, action_labels="gold")
    assert [e.turn_state for e in examples] == list(states)
    assert {e.generator for e in examples} == {"scripted"}
    assert (stats.examples, stats.reused, stats.generated) == (len(states), len(states), 0)
    assert [e.action for e in examples] == [s.gold_action for s in states]


def test_a_file_for_another_selection_names_a_missing_turn_state(built, tiny_data_dir):
    with pytest.raises(DataError, match="have no pair") as error:
        preferences_for(built, _training_states(tiny_data_dir, seed=4), action_labels="gold")
    assert str(built) in str(error.value) and "--conversations and --seed" in error.value.hint


def test_pairs_that_do_not_match_the_run_are_refused_with_record_and_field(
    built, tiny_data_dir, tmp_path
):
    states = _training_states(tiny_data_dir)
    with pytest.raises(DataError, match="field 'action_labels'"):
        preferences_for(built, states, action_labels="random")
    lines = built.read_text().splitlines()
    record = json.loads(lines[1])
    record["turn_state"]["prompt"]["request"] = "What was the profit?"
    edited = tmp_path / "edited.jsonl"
    edited.write_text("\n".join([lines[0], json.dumps(record), *lines[2:]]) + "\n")
    with pytest.raises(DataError, match="record 2, field 'turn_state'"):
        preferences_for(edited, states, action_labels="gold")
    torn = tmp_path / "torn.jsonl"
    torn.write_text(lines[0] + "\n" + lines[1][:40] + "\n")
    with pytest.raises(DataError, match="not JSON.*record 2"):
        preferences_for(torn, states, action_labels="gold")
    assert torn.read_text().count("\n") == 2  # the user's file is not repaired
    del record["rejected"]
    edited.write_text(json.dumps(record) + "\n")
    with pytest.raises(DataError, match="record 1, field 'rejected'"):
        preferences_for(edited, states, action_labels="gold")


def test_a_missing_preferences_file_fails_before_training(tmp_path):
    with pytest.raises(ConfigError, match="is not a file"):
        parse_config(ActConfig, ["--preferences", str(tmp_path / "none.jsonl")])


@pytest.mark.slow
def test_train_act_trains_on_the_built_file_without_running_alg1(built, tiny_data_dir, tmp_path):
    out = tmp_path / "act"
    args = [*SELECTION, "--data-dir", str(tiny_data_dir), "--train-split", "validation",
            "--validation-conversations", "0", "--limit", "2", "--max-steps", "1",
            "--per-device-train-batch-size", "2", "--max-length", "384",
            "--max-new-tokens", "8", "--gradient-checkpointing", "false", "--save-only-model",
            "--no-on-policy", "--quiet", "--output-dir", str(out),
            # M is never loaded: this spec would fail if it were
            "--generator", "hf:/nonexistent/model", "--preferences", str(built)]  # fmt: skip
    record = train_act(parse_config(ActConfig, args)).record
    train = record["data"]["preferences"]["train"]
    assert (train["examples"], train["generated"], train["reused_from_cache"]) == (2, 0, 2)
    assert train["cache"] == str(built) and record["training"]["global_step"] == 1
