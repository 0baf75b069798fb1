"""The run report and the comparison page on hand-made run directories (fast, no browser)."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from typer.testing import CliRunner

from act_bench.cli import app
from act_bench.errors import ConfigError, DataError
from act_bench.metrics.bootstrap import bootstrap_mean_interval
from act_bench.report import ReportRequest, build_report, figures, write_report
from act_bench.report.compare import comparison_report, shared_items
from act_bench.report.run import episode_frame, load_run
from tests.report.conftest import similarity

FIGURES = ("fig-confusion", "fig-scores", "fig-rounds", "fig-clarification")


def episode_rows(page: str) -> list[str]:
    return re.findall(r'<tr class="episode[^"]*"[^>]*>', page)


def test_one_row_per_episode_each_with_its_trajectory(hand_made_run):
    page = build_report([hand_made_run])
    rows = episode_rows(page)
    assert len(rows) == 8
    assert [re.search(r'data-predicted="(\w+)"', r).group(1) for r in rows].count("CLARIFY") == 3
    assert 'data-id="p3-amb#g0"' in page and 'data-slice="ambiguity_type=presentation"' in page
    detail = page.split('data-for="ep-5"')[1].split("</tr>")[0]  # p3-amb: two rounds
    assert detail.count('class="turn policy"') == 3 and detail.count('class="turn user"') == 2
    assert "Question 1?" in detail and "trajectory score</dt><dd>1.000" in detail


def test_every_figure_inline_and_nothing_fetched(hand_made_run):
    page = build_report([hand_made_run])
    for figure_id in (*FIGURES, "fig-slice-ambiguity_type"):
        figure = page.split(f'id="{figure_id}"')[1].split("</figure>")[0]
        assert "<svg" in figure and "</svg>" in figure
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    assert "@import" not in page and "url(http" not in page


def test_headline_with_its_interval_and_provenance(hand_made_run):
    page = build_report([hand_made_run])
    headline = page.split('id="headline"')[1].split("</div></div>")[0]
    assert "execution_match" in headline and ">50.0<" in headline  # 4 of 8 episodes
    interval = re.search(r"95% CI (\d+\.\d) – (\d+\.\d)", headline)
    assert interval and float(interval.group(1)) < 50 < float(interval.group(2))
    assert "<dt>simulator</dt><dd>gold</dd>" in page
    assert "<dt>data source</dt><dd>sample</dd>" in page


def test_confusion_matrix_counts_and_shares(hand_made_run):
    frame = episode_frame(load_run(hand_made_run).records)
    texts = [t.get_text() for t in figures.confusion_matrix(frame).axes[0].texts]
    # gold CLARIFY: 2 asked, 1 answered, 1 unlabelled; gold ANSWER: 1 asked, 3 answered
    assert texts == ["2\n50%", "1\n25%", "1\n25%", "1\n25%", "3\n75%", "0\n0%"]


def test_score_by_rounds_bars(hand_made_run):
    frame = episode_frame(load_run(hand_made_run).records)
    axes = figures.score_by_rounds(frame).axes[0]
    heights = [round(p.get_height(), 4) for p in axes.patches]
    assert heights == [40.0, 50.0, 100.0]  # 0 rounds: 2 of 5; 1 round: 1 of 2; 2 rounds: 1 of 1
    assert [t.get_text() for t in axes.get_xticklabels()] == ["0", "1", "2"]


def test_slice_table_counts(hand_made_run):
    page = build_report([hand_made_run])
    table = page.split("<h3>ambiguity_type</h3>")[1].split("</table>")[0]
    cells = re.findall(r"<td>([^<]*)</td>", table)
    assert cells[:3] == ["clear", "4", "50.0"] and cells[6:9] == ["information", "2", "50.0"]


def test_metric_table_defines_each_metric(hand_made_run):
    page = build_report([hand_made_run])
    over = re.search(
        r"<td>over_clarification_rate</td>\s*<td>([\d.]+)</td>\s*<td>([^<]+)</td>", page
    )
    assert over.groups() == ("25.0", "predicted CLARIFY among gold-ANSWER items (x100)")
    assert "<td>execution_match</td>" in page and "gold result (App. D, x100)" in page


def test_bootstrap_interval_resamples_groups():
    flat = bootstrap_mean_interval({"a": [1.0], "b": [1.0], "c": [1.0]})
    assert (flat.estimate, flat.low, flat.high) == (100.0, 100.0, 100.0)
    # a group of three equal scores moves as one: the estimate weighs records, the
    # resampling draws groups, so one draw can give 0 (only "b") or 100 (only "a")
    clustered = bootstrap_mean_interval({"a": [1.0, 1.0, 1.0], "b": [0.0]}, resamples=500)
    assert clustered.estimate == 75.0 and clustered.low == 0.0 and clustered.high == 100.0
    assert bootstrap_mean_interval({}) is None


def flipped_copy(run, tmp_path):
    """Run B: run A with p2-amb answered right and p1-clear wrong."""
    copy = tmp_path / "b"
    shutil.copytree(run, copy)
    lines = (copy / "samples.jsonl").read_text().splitlines()
    changed = []
    for line in lines:
        data = json.loads(line)
        if data["id"] == "p2-amb#g0":
            data["trajectory_score"] = 1.0
        if data["id"] == "p1-clear#g0":
            data["trajectory_score"] = 0.0
        changed.append(json.dumps(data))
    (copy / "samples.jsonl").write_text("\n".join(changed[:-1]) + "\n")  # B lacks p4-amb
    return copy


def test_comparison_shared_items_disagreements_first(hand_made_run, tmp_path):
    other = flipped_copy(hand_made_run, tmp_path)
    a, b = load_run(hand_made_run), load_run(other)
    items = shared_items(a, b)
    assert len(items) == 7
    assert [item.a.id for item in items[:2]] == ["p1-clear#g0", "p2-amb#g0"]
    assert [item.disagree for item in items] == [True, True] + [False] * 5
    page = comparison_report(a, b, similarity=similarity)
    assert len(episode_rows(page)) == 7 and page.count('data-agreement="disagree"') == 2
    metrics = page.split('class="dataframe metrics"')[1].split("</table>")[0]
    row = re.search(r"<td>execution_match</td>\s*<td>([\d.]+)</td>\s*<td>([\d.]+)</td>", metrics)
    assert row.groups() == ("57.1", "57.1")  # 4 of 7 in both: one won, one lost
    assert 'id="fig-confusion-A"' in page and 'id="fig-confusion-B"' in page


def test_comparison_refuses_other_tasks(hand_made_run, tmp_path):
    from tests.report.conftest import hand_made_records, write_run

    other = write_run(tmp_path / "pacific", hand_made_records(), task="pacific")
    with pytest.raises(ConfigError, match="their task differs"):
        shared_items(load_run(hand_made_run), load_run(other))


def test_comparison_refuses_another_protocol_as_compare_does(hand_made_run, tmp_path):
    """Side by side only what `act-bench compare` would pair: same task, split, protocol,
    data source and simulator / classifier prompts."""
    other = tmp_path / "other"
    shutil.copytree(hand_made_run, other)
    results = json.loads((other / "results.json").read_text())
    results["protocol"] = "act-paper"
    (other / "results.json").write_text(json.dumps(results))
    with pytest.raises(ConfigError, match=r"their protocol differs \(act-bench vs act-paper\)"):
        shared_items(load_run(hand_made_run), load_run(other))


def test_cli_writes_the_page_and_reports_a_missing_run(hand_made_run, tmp_path):
    runner = CliRunner()
    target = tmp_path / "out" / "report.html"
    result = runner.invoke(app, ["report", str(hand_made_run), "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text().count('<tr class="episode"') == 8
    assert ReportRequest((hand_made_run,)).target() == hand_made_run / "report.html"
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    unwritable = runner.invoke(
        app, ["report", str(hand_made_run), "--output", str(blocked / "r.html")]
    )
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.output
    missing = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "not a run directory" in missing.output
    with pytest.raises(DataError, match="no finished items"):
        (hand_made_run / "samples.jsonl").write_text("")
        write_report(ReportRequest((hand_made_run,)))


def test_recorded_interval_is_used_and_trials_are_rows_of_their_own(tmp_path):
    from dataclasses import replace

    from tests.report.conftest import hand_made_records, write_run

    records = hand_made_records()
    records.append(replace(records[0], trial=1, trajectory_score=0.0))
    run = write_run(tmp_path / "trials", records)
    results = json.loads((run / "results.json").read_text())
    results["metrics_ci"] = {"execution_match": [12.5, 87.5]}
    (run / "results.json").write_text(json.dumps(results))
    page = build_report([run])
    assert "95% CI 12.5 – 87.5 (recorded in results.json" in page
    assert len(episode_rows(page)) == 9
    assert 'data-id="p1-clear#g0"' in page and 'data-id="p1-clear#g0 · trial 1"' in page


def test_provenance_counts_lines_of_every_trial(tmp_path):
    from dataclasses import replace

    from tests.report.conftest import hand_made_records, write_run

    records = hand_made_records()
    records += [replace(r, trial=1) for r in records]
    run = write_run(tmp_path / "trials", records)
    results = json.loads((run / "results.json").read_text())
    results["n_items"] = 8
    results["trials"] = {"num_trials": 2, "seeds": [0, 1], "simulator_deterministic": True}
    (run / "results.json").write_text(json.dumps(results))
    page = build_report([run])
    assert "<dt>items</dt><dd>16 finished of 16 (8 items x 2 trials)</dd>" in page
    assert "<dt>items</dt><dd>8 finished of 8</dd>" in build_report(
        [write_run(tmp_path / "one", records[:8])]
    )
