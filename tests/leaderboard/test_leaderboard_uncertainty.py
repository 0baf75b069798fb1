"""Leaderboard rows keep their intervals and trials; show and the exports print them and
mark the rows tied with their group's best (issue 16)."""

from __future__ import annotations

import csv
import io

from act_bench.leaderboard.render import export, group_rows
from act_bench.leaderboard.store import Leaderboard, Row
from act_bench.leaderboard.submission import read_submission
from act_bench.leaderboard.uncertainty import TIED_MARK, headline_text, tied_with_best


def _row(row_id: int, value: float, interval: tuple[float, float] | None) -> Row:
    return Row(
        id=row_id,
        name=f"r{row_id}",
        source="ours",
        task="pacific",
        split="validation",
        model="m",
        approach=None,
        simulator="gold",
        action_classifier="heuristic",
        prompt_style=None,
        num_shots=0,
        conversations=None,
        n_items=20,
        config_hash=f"{row_id:064d}",
        submitted_at="2026-01-01",
        reference=None,
        data_source="sample",
        n_backend_errors=0,
        protocol="act-bench",
        metrics={"trajectory_drop_f1": value},
        intervals={} if interval is None else {"trajectory_drop_f1": interval},
        num_trials=3,
    )


def test_rows_whose_interval_overlaps_the_best_are_marked() -> None:
    rows = [
        _row(1, 50.0, (44.0, 56.0)),
        _row(2, 47.0, (41.0, 53.0)),  # overlaps the best's
        _row(3, 30.0, (25.0, 35.0)),  # clearly below
        _row(4, 49.0, None),  # no interval: never marked
    ]
    [group] = group_rows(rows)
    assert [row.id for row in group.rows] == [1, 4, 2, 3]
    tied = tied_with_best(group)
    assert tied == {2}
    assert headline_text(group, rows[1], "47.0", tied) == f"47.0 [41.0, 53.0] {TIED_MARK}"
    assert headline_text(group, rows[2], "30.0", tied) == "30.0 [25.0, 35.0]"
    # a best row without an interval counts as its point
    [no_interval_best] = group_rows([_row(4, 49.0, None), _row(2, 47.0, (41.0, 53.0))])
    assert tied_with_best(no_interval_best) == {2}


def test_submit_stores_intervals_and_trials(tmp_path, two_trial_run) -> None:
    out, results = two_trial_run
    board = Leaderboard(tmp_path / "board.sqlite")
    board.submit(read_submission(out))
    [row] = board.rows(include_paper=False)
    assert row.num_trials == 2 and row.n_items == 4
    expected = results["metrics_ci"]
    assert {name: list(pair) for name, pair in row.intervals.items()} == {
        name: pair for name, pair in expected.items() if pair is not None
    }
    # removing the row removes its intervals
    board.remove(str(row.id))
    assert board.rows(include_paper=False) == []


def test_exports_show_intervals_and_trials(tmp_path, two_trial_run) -> None:
    out, results = two_trial_run
    board = Leaderboard(tmp_path / "board.sqlite")
    board.submit(read_submission(out))
    [row] = board.rows(include_paper=False)
    low, high = results["metrics_ci"]["trajectory_drop_f1"]
    markdown = export([row], "md")
    assert f"\\[{low:.1f}, {high:.1f}\\]" in markdown and "| 4×2 |" in markdown
    html = export([row], "html")
    assert f"[{low:.1f}, {high:.1f}]" in html and "bootstrap interval" in html
    [line] = list(csv.DictReader(io.StringIO(export([row], "csv"))))
    assert float(line["trajectory_drop_f1_ci_low"]) == low and line["num_trials"] == "2"
