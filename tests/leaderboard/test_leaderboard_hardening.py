"""The leaderboard takes any input: samples.jsonl validated, incomplete runs refused unless
asked, rows removable, markup and export formats escaped, bad --db paths answered clearly
(issue 15, "Leaderboard and score")."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from helpers import one_line_error
from typer.testing import CliRunner

from act_bench.cli import app
from act_bench.results import load_results

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(
        app, [str(a) for a in args], catch_exceptions=False, env={"COLUMNS": "300"}
    )


def submit(run: Path, db: Path, *extra: object):
    return invoke("leaderboard", "submit", run, "--db", db, *extra)


# --- samples.jsonl --------------------------------------------------------------------


def test_a_symlinked_samples_file_is_refused(run_copy, tmp_path):
    samples = run_copy / "samples.jsonl"
    decoy = tmp_path / "decoy.txt"
    decoy.write_text("a\nb\nc\n")  # the right number of lines
    samples.unlink()
    samples.symlink_to(decoy)
    one_line_error(submit(run_copy, tmp_path / "b.sqlite"), "symbolic link", "samples.jsonl")


def test_a_samples_line_that_is_not_a_record_is_refused(run_copy, tmp_path):
    samples = run_copy / "samples.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    samples.write_text("".join([lines[0], '{"id": "x"}\n', lines[2]]))
    one_line_error(submit(run_copy, tmp_path / "b.sqlite"), "invalid sample line", "line 2")


def test_repeated_ids_in_samples_are_refused_even_with_the_right_count(run_copy, tmp_path):
    samples = run_copy / "samples.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    samples.write_text("".join([lines[0], lines[1], lines[0]]))
    one_line_error(submit(run_copy, tmp_path / "b.sqlite"), "appears twice", "line 3")


def test_a_missing_samples_line_is_refused(run_copy, tmp_path):
    samples = run_copy / "samples.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    samples.write_text("".join(lines[:2]))
    one_line_error(
        submit(run_copy, tmp_path / "b.sqlite"), "samples.jsonl holds 2 items, results.json says 3"
    )


# --- incomplete runs --------------------------------------------------------------------


def mark_incomplete(run: Path, errors: int) -> None:
    path = run / "results.json"
    data = json.loads(path.read_text())
    data["status"] = "incomplete"
    data["counts"]["n_backend_errors"] = errors
    path.write_text(json.dumps(data))


def test_an_incomplete_run_is_refused_unless_allowed_and_shows_its_errors(run_copy, tmp_path):
    db = tmp_path / "b.sqlite"
    mark_incomplete(run_copy, 2)
    refused = submit(run_copy, db, "--name", "flaky")
    one_line_error(refused, "incomplete", "2 item(s) ended in a backend error")
    assert "--allow-errors" in refused.output and "--resume" in refused.output

    assert submit(run_copy, db, "--name", "flaky", "--allow-errors").exit_code == 0
    shown = invoke("leaderboard", "show", "--no-paper", "--db", db)
    header = next(line for line in shown.output.splitlines() if "errors" in line)
    row = next(line for line in shown.output.splitlines() if "flaky" in line)
    cells = [cell.strip() for cell in row.split("│")]
    names = [cell.strip() for cell in header.split("┃")]
    assert cells[names.index("errors")] == "2"
    exported = invoke("leaderboard", "export", "--format", "csv", "--no-paper", "--db", db)
    [record] = csv.DictReader(io.StringIO(exported.output))
    assert record["n_backend_errors"] == "2"


# --- remove ---------------------------------------------------------------------------


def test_remove_by_id_or_hash_and_refusals(finished_runs, tmp_path):
    db = tmp_path / "b.sqlite"
    for index, run in enumerate(finished_runs):
        assert submit(run, db, "--name", f"seed{index}").exit_code == 0
    rows = list(
        csv.DictReader(
            io.StringIO(invoke("leaderboard", "export", "--format", "csv", "--db", db).output)
        )
    )
    ours = {row["name"]: row for row in rows if row["source"] == "ours"}
    paper = next(row for row in rows if row["source"] == "paper")

    removed = invoke("leaderboard", "remove", ours["seed0"]["id"], "--db", db)
    assert removed.exit_code == 0 and "removed 'seed0'" in removed.output
    removed = invoke("leaderboard", "remove", ours["seed1"]["config_hash"][:10], "--db", db)
    assert removed.exit_code == 0 and "removed 'seed1'" in removed.output
    shown = invoke("leaderboard", "show", "--no-paper", "--db", db)
    assert "seed0" not in shown.output and "seed1" not in shown.output

    one_line_error(invoke("leaderboard", "remove", "99999", "--db", db), "no leaderboard row")
    one_line_error(
        invoke("leaderboard", "remove", paper["id"], "--db", db), "paper's published rows"
    )
    assert submit(finished_runs[0], db).exit_code == 0  # the hash is free again


# --- markup and exports -----------------------------------------------------------------


def test_rich_markup_in_a_name_is_shown_as_written(finished_runs, tmp_path):
    db = tmp_path / "b.sqlite"
    submitted = submit(finished_runs[0], db, "--name", "run [/x]")
    assert submitted.exit_code == 0 and "run [/x]" in submitted.output
    assert submit(finished_runs[1], db, "--name", "[tag] [bold]kept").exit_code == 0
    shown = invoke("leaderboard", "show", "--no-paper", "--db", db)
    assert shown.exit_code == 0
    assert "run [/x]" in shown.output and "[tag] [bold]kept" in shown.output


def test_markdown_export_escapes_newlines_and_raw_html(finished_runs, tmp_path):
    db = tmp_path / "b.sqlite"
    name = "evil\n| x | y |\n<script>alert(1)</script> [link](http://x)"
    assert submit(finished_runs[0], db, "--name", name).exit_code == 0
    markdown = invoke("leaderboard", "export", "--format", "md", "--no-paper", "--db", db).output
    assert "<script>" not in markdown
    [row] = [line for line in markdown.splitlines() if "evil" in line]
    assert "&lt;script&gt;" in row and "\\[link\\]" in row
    header = next(line for line in markdown.splitlines() if line.startswith("| # |"))
    cells = re.split(r"(?<!\\)\|", row)  # split on unescaped pipes only
    assert len(cells) == len(header.split("|"))  # the name stayed one cell of one row


def test_csv_export_neutralises_formula_cells(finished_runs, tmp_path):
    db = tmp_path / "b.sqlite"
    assert submit(finished_runs[0], db, "--name", '=HYPERLINK("http://x")').exit_code == 0
    assert submit(finished_runs[1], db, "--name", "@SUM(A1)").exit_code == 0
    exported = invoke("leaderboard", "export", "--format", "csv", "--no-paper", "--db", db)
    names = sorted(row["name"] for row in csv.DictReader(io.StringIO(exported.output)))
    assert names == ['\'=HYPERLINK("http://x")', "'@SUM(A1)"]
    from act_bench.leaderboard.render import csv_cell

    cells = [csv_cell(v) for v in ("+1", "-1", "\tx", "ok", 12.5)]
    assert cells == ["'+1", "'-1", "'\tx", "ok", 12.5]


# --- --db -----------------------------------------------------------------------------


def test_db_at_a_directory_device_or_non_database_file_is_a_clear_error(tmp_path):
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("these are notes\n")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    cases = [
        (tmp_path, "is a directory"),
        (Path(os.devnull), "is not a regular file"),
        (not_a_db, "is not an SQLite database"),
        (a_file / "board.sqlite", "Not a directory"),
        (Path("/proc/board.sqlite"), "cannot use the leaderboard database"),
    ]
    for db, expected in cases:
        for command in (["show"], ["export", "--format", "csv"], ["remove", "1"]):
            one_line_error(invoke("leaderboard", *command, "--db", db), expected)
    assert not_a_db.read_text() == "these are notes\n"


def test_an_older_database_gains_the_new_columns(finished_runs, tmp_path):
    db = tmp_path / "old.sqlite"
    from act_bench.leaderboard import store

    schema_v1 = store.SCHEMA.replace(",\n    data_source TEXT,\n    n_backend_errors INTEGER", "")
    assert "data_source" not in schema_v1
    with sqlite3.connect(db) as connection:
        connection.executescript(schema_v1)
    assert submit(finished_runs[0], db, "--name", "after-upgrade").exit_code == 0
    exported = invoke("leaderboard", "export", "--format", "csv", "--no-paper", "--db", db)
    assert exported.exit_code == 0, exported.output
    rows = csv.DictReader(io.StringIO(exported.output))
    [row] = [r for r in rows if r["name"] == "after-upgrade"]
    # the new column, filled for a run submitted after the upgrade
    expected = load_results(finished_runs[0] / "results.json").data_label
    assert row["data_source"] == expected and expected.startswith(("sample", "data:"))
    assert row["n_backend_errors"] == "0"


def test_export_to_a_directory_is_a_clear_error(tmp_path):
    one_line_error(
        invoke("leaderboard", "export", "--output", tmp_path, "--db", tmp_path / "b.sqlite"),
        "is a directory",
    )


@pytest.fixture
def run_copy_with_markup(finished_runs, tmp_path) -> Path:
    target = tmp_path / "[red]run"
    shutil.copytree(finished_runs[0], target)
    return target


def test_a_folder_name_with_markup_is_a_default_row_name(run_copy_with_markup, tmp_path):
    db = tmp_path / "b.sqlite"
    assert submit(run_copy_with_markup, db).exit_code == 0
    assert "[red]run" in invoke("leaderboard", "show", "--no-paper", "--db", db).output
