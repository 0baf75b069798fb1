"""The exports print each headline with its interval and the tie mark (issue 16)."""

from __future__ import annotations

import csv
import io

from act_bench.evaluation import EvalConfig, run_evaluation
from act_bench.leaderboard.render import export
from act_bench.leaderboard.store import Leaderboard
from act_bench.leaderboard.submission import read_submission


def test_exports_show_intervals_and_trials(tmp_path, data_dir) -> None:
    out = tmp_path / "run"
    config = EvalConfig(
        model="scripted", data_dir=str(data_dir), limit=4, num_trials=2, output_dir=str(out)
    )
    result = run_evaluation(config, show_progress=False)
    board = Leaderboard(tmp_path / "board.sqlite")
    board.submit(read_submission(out))
    [row] = board.rows(include_paper=False)
    low, high = result.results["metrics_ci"]["trajectory_drop_f1"]
    markdown = export([row], "md")
    assert f"\\[{low:.1f}, {high:.1f}\\]" in markdown and "| 4×2 |" in markdown
    html = export([row], "html")
    assert f"[{low:.1f}, {high:.1f}]" in html and "bootstrap interval" in html
    [line] = list(csv.DictReader(io.StringIO(export([row], "csv"))))
    assert float(line["trajectory_drop_f1_ci_low"]) == low and line["num_trials"] == "2"
