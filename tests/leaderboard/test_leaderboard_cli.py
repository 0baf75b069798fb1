"""``act-bench leaderboard submit / show / export`` round trip, and the HTML page in Chromium."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from act_bench.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(
        app, [str(a) for a in args], catch_exceptions=False, env={"COLUMNS": "300"}
    )


def submit_both(finished_runs, db):
    for index, run in enumerate(finished_runs):
        result = invoke("leaderboard", "submit", run, "--name", f"seed{index}", "--db", db)
        assert result.exit_code == 0, result.output


def test_submit_show_export_round_trip(finished_runs, tmp_path):
    db = tmp_path / "board.sqlite"
    submit_both(finished_runs, db)
    again = invoke("leaderboard", "submit", finished_runs[0], "--db", db)
    assert again.exit_code == 2 and "--replace" in again.output

    shown = invoke("leaderboard", "show", "--task", "pacific", "--no-paper", "--db", db)
    assert shown.exit_code == 0
    assert "seed0" in shown.output and "seed1" in shown.output
    assert "simulator gold" in shown.output and "trajectory_drop_f1" in shown.output

    exported = invoke("leaderboard", "export", "--format", "csv", "--no-paper", "--db", db)
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    assert sorted(row["name"] for row in rows) == ["seed0", "seed1"]
    assert {row["simulator"] for row in rows} == {"gold"}
    assert {row["protocol"] for row in rows} == {"act-bench"}

    markdown = invoke("leaderboard", "export", "--format", "md", "--task", "pacific", "--db", db)
    assert "## pacific · protocol act-bench · simulator gold · classifier heuristic" in (
        markdown.output
    )
    assert "## pacific · protocol act-paper · simulator paper" in markdown.output
    assert "Ranked by trajectory\\_drop\\_f1." in markdown.output
    assert "Gemini Pro" in markdown.output  # the paper's rows, in their own group


def test_groups_never_rank_across_simulators(finished_runs, tmp_path):
    from act_bench.leaderboard import group_rows
    from act_bench.leaderboard.store import Leaderboard

    db = tmp_path / "board.sqlite"
    submit_both(finished_runs, db)
    groups = group_rows(Leaderboard(db).rows(task="pacific"))
    scopes = [(g.simulator, g.action_classifier) for g in groups]
    assert len(scopes) == len(set(scopes)) >= 2
    for group in groups:
        assert {(r.simulator, r.action_classifier) for r in group.rows} == {
            scopes[groups.index(group)]
        }
        values = [r.metrics.get(group.headline) for r in group.rows]
        present = [v for v in values if v is not None]
        assert present == sorted(present, reverse=True)


def test_unknown_export_format_is_a_clear_error(tmp_path):
    result = invoke("leaderboard", "export", "--format", "pdf", "--db", tmp_path / "b.sqlite")
    assert result.exit_code == 2 and "md, csv, html" in result.output


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow  # two headless Chromium runs: ~7 s
@pytest.mark.skipif(CHROMIUM is None, reason="Debian package chromium not installed")
def test_html_page_renders_and_sorts_in_headless_chromium(finished_runs, tmp_path):
    db = tmp_path / "board.sqlite"
    submit_both(finished_runs, db)
    page = tmp_path / "leaderboard.html"
    assert (
        invoke(
            "leaderboard",
            "export",
            "--format",
            "html",
            "--task",
            "pacific",
            "--output",
            page,
            "--db",
            db,
        ).exit_code
        == 0
    )
    common = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--user-data-dir=" + str(tmp_path / "profile"),
    ]
    screenshot = tmp_path / "leaderboard.png"
    subprocess.run(
        [*common, f"--screenshot={screenshot}", "--window-size=1400,1000", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert (
        screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 10_000
    )

    # Sort the first table by its "name" column (index 1), descending, through the page's own JS.
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri() + "#sort=t0:1:desc"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    first_table = dom.split('<table id="t0"')[1].split("</table>")[0]
    names = re.findall(r"<tr class=\"ours\"><td>\d+</td><td>([^<]+)</td>", first_table)
    assert names == ["seed1", "seed0"]
    assert re.search(r'<th data-col="1" class="[^"]*\bdesc\b', first_table)


def test_groups_never_rank_across_protocols(tmp_path):
    from dataclasses import replace

    from act_bench.leaderboard import group_rows
    from act_bench.leaderboard.store import Leaderboard
    from act_bench.leaderboard.submission import Submission

    base = Submission(
        name="bench",
        task="pacific",
        split="validation",
        model="m",
        simulator="gold",
        action_classifier="heuristic",
        prompt_style="standard",
        num_shots=0,
        n_items=2,
        config_hash="a" * 64,
        config={},
        metrics={"trajectory_drop_f1": 10.0},
        act_bench_version=None,
        run_created=None,
        results_dir=None,
    )
    paper = replace(
        base,
        name="paper-rules",
        config_hash="b" * 64,
        metrics={"trajectory_drop_f1": 90.0},
        protocol="act-paper",
    )
    board = Leaderboard(tmp_path / "board.sqlite")
    board.submit(base)
    board.submit(paper)
    groups = group_rows(board.rows(task="pacific", include_paper=False))
    assert [(g.protocol, [r.name for r in g.rows]) for g in groups] == [
        ("act-bench", ["bench"]),
        ("act-paper", ["paper-rules"]),
    ]
    published = {r.protocol for r in board.rows(task="pacific") if r.source == "paper"}
    assert published == {"act-paper"}
