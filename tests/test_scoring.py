"""``act-bench score`` and ``data build-ambigsql --out``: malformed input ends in one named
error, never a traceback or a silently averaged score (issue 15, "Leaderboard and score")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import one_line_error
from typer.testing import CliRunner

from act_bench.cli import app
from act_bench.task import get_task, turn_states

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(autouse=True)
def _bundled_sample(monkeypatch) -> None:
    """Score against the bundled sample, even where CI sets ``ACT_BENCH_DATA``."""
    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)


@pytest.fixture(scope="module")
def state():
    return turn_states(get_task("pacific").load("validation", None))[0]


def write_lines(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def score(path: Path):
    return invoke("score", "--task", "pacific", "--predictions", path, "--json")


def test_one_prediction_scores_as_itself(tmp_path, state):
    right = write_lines(tmp_path / "p.jsonl", [{"id": state.id, "prediction": "zzz"}])
    result = score(right)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[-1])["turn_drop_f1"] == 0.0


def test_two_lines_for_one_id_are_a_named_error_not_an_average(tmp_path, state):
    path = write_lines(
        tmp_path / "p.jsonl",
        [
            {"id": state.id, "prediction": state.gold_response},
            {"id": state.id, "prediction": "something else entirely"},
        ],
    )
    line = one_line_error(score(path), "appears twice, first on line 1", "line 2")
    assert state.id in line and "field 'id'" in line


def test_the_same_id_under_two_goal_indices_is_two_items(tmp_path):
    """An eval's samples.jsonl holds one line per (turn state, goal): not a repeat."""
    from act_bench.scoring import read_predictions

    path = write_lines(
        tmp_path / "p.jsonl",
        [{"turn_state_id": "t1", "prediction": "a", "goal_index": i} for i in (0, 1)],
    )
    assert [(p.turn_state_id, p.goal_index) for p in read_predictions(path)] == [
        ("t1", 0),
        ("t1", 1),
    ]


def test_a_non_utf8_predictions_file_is_a_named_error(tmp_path, state):
    path = tmp_path / "p.jsonl"
    good = json.dumps({"id": state.id, "prediction": "x"}).encode() + b"\n"
    path.write_bytes(good + b'{"id": "\xff\xfe", "prediction": "y"}\n')
    one_line_error(score(path), "not UTF-8", "line 2", str(path))


@pytest.mark.parametrize("goal_index", ["abc", 1.5, True, None])
def test_a_goal_index_that_is_not_an_integer_is_a_named_error(tmp_path, state, goal_index):
    path = write_lines(
        tmp_path / "p.jsonl", [{"id": state.id, "prediction": "x", "goal_index": goal_index}]
    )
    one_line_error(score(path), "goal_index must be an integer", "field 'goal_index'", "line 1")


def test_a_directory_as_predictions_is_a_named_error(tmp_path):
    one_line_error(score(tmp_path), "predictions file not found")


def test_build_ambigsql_out_at_an_existing_file_is_refused_before_any_work(tmp_path):
    out = tmp_path / "ambigsql"
    out.write_text("not a folder")
    result = invoke(
        "data", "build-ambigsql", "--spider-dir", tmp_path / "no-spider-here", "--out", out
    )
    one_line_error(result, f"--out {out} exists and is not a folder")
    assert out.read_text() == "not a folder"
    result = invoke("data", "build-ambigsql", "--spider-dir", tmp_path, "--out", out / "sub")
    one_line_error(result, "is a file, not a folder")


def test_the_trials_of_a_multi_trial_run_all_count(tmp_path, state):
    """A --num-trials run's samples.jsonl holds one line per (item, trial): score reads it."""
    lines = [
        {"id": state.id, "prediction": state.gold_response, "trial": 0},
        {"id": state.id, "prediction": "something else entirely", "trial": 1},
    ]
    result = score(write_lines(tmp_path / "p.jsonl", lines))
    assert result.exit_code == 0, result.output
    both = json.loads(result.output.splitlines()[-1])["turn_drop_f1"]
    alone = score(write_lines(tmp_path / "one.jsonl", lines[:1]))
    assert 0 < both < json.loads(alone.output.splitlines()[-1])["turn_drop_f1"]
    repeated = write_lines(tmp_path / "r.jsonl", [lines[1], lines[1]])
    one_line_error(score(repeated), "(goal_index 0, trial 1) appears twice", "line 2")
    negative = write_lines(tmp_path / "n.jsonl", [{**lines[0], "trial": -1}])
    one_line_error(score(negative), "trial must be a non-negative integer", "field 'trial'")
