"""The whole loop with the real embedded model on a few PACIFIC validation items."""

from __future__ import annotations

import json

import pytest

from act_bench.evaluation import EvalConfig, run_evaluation
from act_bench.types import Speaker, StopReason


@pytest.mark.slow
def test_smollm2_on_real_pacific_items(tmp_path, data_dir):
    # Items 1-3 of the first validation conversation: an answer turn, a clarifying
    # turn and the user's reply to it, so the loop meets both gold actions.
    config = EvalConfig(
        model="smollm2",
        data_dir=str(data_dir),
        limit=3,
        batch_size=3,
        max_new_tokens=24,
        max_turns=2,
        output_dir=str(tmp_path / "run"),
    )
    result = run_evaluation(config, show_progress=False)

    assert result.counts["n_items"] == 3
    assert {r.gold_action.value for r in result.records} == {"ANSWER", "CLARIFY"}
    for record in result.records:
        trajectory = record.trajectory
        assert trajectory.stop_reason in (StopReason.ANSWERED, StopReason.TURN_CAP)
        assert trajectory.turns[0].speaker is Speaker.POLICY and trajectory.turns[0].text
        assert trajectory.turns[0].completion_tokens > 0
        assert 0.0 <= record.turn_score <= 1.0 and 0.0 <= record.trajectory_score <= 1.0
    for name, value in result.metrics.items():
        assert value is None or 0.0 <= value <= 100.0, name
    written = json.loads((tmp_path / "run" / "results.json").read_text())
    assert written["usage"]["policy"]["completion_tokens"] > 0
    assert written["metrics"] == result.metrics


@pytest.mark.slow
def test_smollm2_trials_write_intervals_and_compare_runs(tmp_path, data_dir):
    """Issue 16's done-when: two trials write metrics_ci and pass^k; compare RUN RUN runs."""
    from typer.testing import CliRunner

    from act_bench.cli import app

    out = tmp_path / "run"
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["eval", "--task", "pacific", "--data-dir", str(data_dir), "--limit", "3",
         "--num-trials", "2", "--temperature", "0.7", "--output-dir", str(out), "--quiet"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = json.loads((out / "results.json").read_text())
    assert written["trials"]["num_trials"] == 2 and len(written["trials"]["seeds"]) == 2
    assert set(written["pass_k"]["pass_hat"]) == {"1", "2"}
    low, high = written["metrics_ci"]["trajectory_drop_f1"]
    assert low <= written["metrics"]["trajectory_drop_f1"] <= high
    lines = (out / "samples.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["trial"] for line in lines) == [0, 0, 0, 1, 1, 1]
    compared = runner.invoke(app, ["compare", str(out), str(out), "--json"])
    assert compared.exit_code == 0, compared.output
    assert json.loads(compared.output)["shared_items"] == 3
