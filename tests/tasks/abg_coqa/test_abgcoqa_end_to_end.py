"""The whole loop with the real embedded model and embedding model on real Abg-CoQA items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from act_bench_tasks.abg_coqa import task
from helpers import shared_data_dir

from act_bench.backends import shared_backend
from act_bench.evaluation import EvalConfig, run_evaluation
from act_bench.metrics.clarification import CLARIFICATION_METRICS
from act_bench.simulators import SimulationRequest
from act_bench.simulators.llm import SUMMARY_PREFIX, LLMSimulator
from act_bench.types import Action, Speaker, StopReason


@pytest.fixture(scope="module")
def three_real_items(tmp_path_factory) -> tuple[Path, list[dict]]:
    """A data dir with three real validation items, the last one ambiguous with at least
    two interpretations: those with the shortest stories, to keep the prompts short."""
    source = shared_data_dir() / "abg_coqa" / "coqa_abg_val.json"
    if not source.exists():
        pytest.skip(f"real Abg-CoQA data not found at {source} (set ACT_BENCH_DATA)")
    items = sorted(json.loads(source.read_text())["data"], key=lambda item: len(item["story"]))
    clear = [item for item in items if item["ambiguity"] == "non_ambiguous"][:2]
    ambiguous = next(
        item
        for item in items
        if item["ambiguity"] == "ambiguous" and len(item["clarification_turn"]["answers"]) >= 2
    )
    chosen = [*clear, ambiguous]
    root = tmp_path_factory.mktemp("data")
    (root / "abg_coqa").mkdir()
    (root / "abg_coqa" / "coqa_abg_val.json").write_text(
        json.dumps({"version": "1.0", "data": chosen})
    )
    return root, chosen


@pytest.mark.slow
def test_smollm2_on_three_real_items_one_ambiguous(tmp_path, three_real_items):
    root, chosen = three_real_items
    interpretations = len(chosen[-1]["clarification_turn"]["answers"])
    config = EvalConfig(
        task="abg-coqa",
        model="smollm2",
        data_dir=str(root),
        batch_size=8,
        max_new_tokens=16,
        max_turns=2,
        output_dir=str(tmp_path / "run"),
    )
    result = run_evaluation(config, show_progress=False)

    assert result.counts["n_turn_states"] == 3
    assert result.counts["n_items"] == 2 + interpretations
    ambiguous = [r for r in result.records if r.gold_action is Action.CLARIFY]
    assert len(ambiguous) == interpretations >= 2
    assert [r.goal.answer for r in ambiguous] == [
        a["org_ans"] for a in chosen[-1]["clarification_turn"]["answers"]
    ]
    for record in result.records:
        trajectory = record.trajectory
        assert trajectory.stop_reason in (StopReason.ANSWERED, StopReason.TURN_CAP)
        assert trajectory.turns[0].speaker is Speaker.POLICY and trajectory.turns[0].text
        assert 0.0 <= record.turn_score <= 1.0 and 0.0 <= record.trajectory_score <= 1.0
    assert set(result.metrics) == {
        "action_accuracy",
        "action_macro_f1",
        "turn_similarity",
        "trajectory_similarity",
        *CLARIFICATION_METRICS,
    }
    # a rate with an empty denominator (e.g. precision when it never asks) is None
    assert all(0.0 <= value <= 100.0 for value in result.metrics.values() if value is not None)
    written = json.loads((tmp_path / "run" / "results.json").read_text())
    assert written["metrics"] == result.metrics
    assert written["usage"]["policy"]["completion_tokens"] > 0


@pytest.mark.slow
def test_smollm2_user_simulator_replies_for_an_interpretation(three_real_items):
    # One interpretation only: each step's prompt holds three stories (~1,000 tokens).
    root, chosen = three_real_items
    states = [s for c in task.load("validation", root) for s in c.turn_states]
    state = next(s for s in states if s.id == chosen[-1]["id"])
    assert state.gold_action is Action.CLARIFY
    simulator = LLMSimulator(
        shared_backend("smollm2"),
        task.simulator_examples(),
        summary_max_new_tokens=32,
        reply_max_new_tokens=12,
    )
    goal = state.goals[1]
    request = SimulationRequest(state, goal, state.prompt, state.gold_response, round=0)
    [reply] = simulator.reply([request])
    assert reply.strip() and simulator.reply_fallbacks == 0
    [summary] = simulator.summaries.values()
    assert summary.startswith(SUMMARY_PREFIX)
