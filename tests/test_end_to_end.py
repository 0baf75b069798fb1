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
