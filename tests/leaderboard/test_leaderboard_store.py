"""Submitting runs to the SQLite leaderboard: validation, duplicates, concurrency."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3

import pytest

from act_bench.errors import DataError
from act_bench.leaderboard import DuplicateSubmission, Leaderboard, paper_tables, read_submission


def test_a_submission_keeps_its_provenance(finished_runs, tmp_path):
    board = Leaderboard(tmp_path / "board.sqlite")
    submission = read_submission(finished_runs[0], name="scripted-seed0")
    board.submit(submission)
    [row] = board.rows(include_paper=False)
    results = json.loads((finished_runs[0] / "results.json").read_text())
    assert (row.name, row.task, row.split, row.model) == (
        "scripted-seed0",
        "pacific",
        "validation",
        "scripted",
    )
    assert (row.simulator, row.action_classifier) == ("gold", "heuristic")
    assert (row.prompt_style, row.num_shots, row.n_items) == ("standard", 0, 3)
    assert row.config_hash == results["config_hash"]
    assert row.metrics == results["metrics"]
    with sqlite3.connect(board.path) as connection:
        version, created = connection.execute(
            "SELECT act_bench_version, run_created FROM submissions WHERE id = ?", (row.id,)
        ).fetchone()
    assert (version, created) == (results["act_bench_version"], results["created"])


def test_a_duplicate_is_refused_unless_replaced(finished_runs, tmp_path):
    board = Leaderboard(tmp_path / "board.sqlite")
    first = board.submit(read_submission(finished_runs[0], name="a"))
    with pytest.raises(DuplicateSubmission, match="already on the leaderboard as 'a'"):
        board.submit(read_submission(finished_runs[0], name="b"))
    second = board.submit(read_submission(finished_runs[0], name="b"), replace=True)
    assert second != first
    assert [row.name for row in board.rows(include_paper=False)] == ["b"]


def _submit(path, run, name):
    Leaderboard(path).submit(read_submission(run, name=name))


def test_concurrent_submitters_all_land(finished_runs, tmp_path):
    path = tmp_path / "board.sqlite"
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_submit, args=(path, run, f"run{i}"))
        for i, run in enumerate(finished_runs)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0, 0]
    assert sorted(row.name for row in Leaderboard(path).rows(include_paper=False)) == [
        "run0",
        "run1",
    ]


def test_the_papers_rows_are_seeded_once_and_marked(tmp_path):
    path = tmp_path / "board.sqlite"
    Leaderboard(path)
    paper_rows = Leaderboard(path).rows()
    assert paper_rows and {row.source for row in paper_rows} == {"paper"}
    table1 = paper_tables()["table1"]
    gemini = next(row for row in paper_rows if row.reference == "table1#0")
    assert gemini.metrics == table1["rows"][0]["values"]
    assert {row.task for row in paper_rows} >= {"pacific", "abg-coqa", "ambigsql"}


def _damage(run, edit):
    path = run / "results.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["metrics"].pop("trajectory_drop_f1"), "metrics missing.*trajectory_drop_f1"),
        (lambda d: d["metrics"].update(action_accuracy=140.0), "less than or equal to 100"),
        (lambda d: d["metrics"].update(action_accuracy="high"), "valid number, got 'high'"),
        (lambda d: d.update(status="running"), "not complete"),
        (lambda d: d.pop("simulator"), "simulator: Field required"),
        (lambda d: d["config"].update(seed=99), "config_hash does not match"),
        (lambda d: d.update(n_items=7), "samples.jsonl holds 3 items, results.json says 7"),
    ],
)
def test_malformed_results_are_refused_with_the_file_and_field(run_copy, edit, message):
    _damage(run_copy, edit)
    with pytest.raises(DataError, match=message) as caught:
        read_submission(run_copy)
    assert str(run_copy / "results.json") in str(caught.value)


def test_a_missing_or_truncated_results_file_is_refused(run_copy):
    text = (run_copy / "results.json").read_text()
    (run_copy / "results.json").write_text(text[: len(text) // 2])
    with pytest.raises(DataError, match="results.json is not JSON"):
        read_submission(run_copy)
    (run_copy / "results.json").unlink()
    with pytest.raises(DataError, match="results.json is missing"):
        read_submission(run_copy)
