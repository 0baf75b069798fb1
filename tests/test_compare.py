"""act-bench compare: a paired comparison finds a planted difference, finds none between
identical runs, and refuses runs that measure different things (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from act_bench.cli import app
from act_bench.compare import compare_runs
from act_bench.errors import ConfigError
from act_bench.evaluation import EvalConfig, run_evaluation
from act_bench.report.run import RunView, load_run
from act_bench.results_schema import RunResults
from act_bench.types import Action, EpisodeRecord, Goal, StopReason, Trajectory


def _record(index: int, score: float, trial: int = 0) -> EpisodeRecord:
    return EpisodeRecord(
        id=f"item-{index}",
        turn_state_id=f"item-{index}",
        conversation_id=f"conv-{index}",
        goal_index=0,
        gold_action=Action.ANSWER,
        predicted_action=Action.ANSWER,
        gold_response="",
        goal=Goal(answer="", request=""),
        trajectory=Trajectory(turns=(), stop_reason=StopReason.ANSWERED),
        turn_score=score,
        trajectory_score=score,
        trial=trial,
    )


def _run(name: str, scores, **results) -> RunView:
    fields = {"task": "pacific", "split": "validation", "protocol": "act-bench", "prompts": {}}
    fields |= results
    records = tuple(_record(i, s) for i, s in enumerate(scores))
    return RunView(Path(name), RunResults.model_construct(**fields), records)


def mean_score(records):
    return {"score": 100 * sum(r.trajectory_score for r in records) / len(records)}


def test_compare_finds_a_planted_difference() -> None:
    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.8, size=40)
    better = base + 0.1 + rng.normal(0, 0.02, size=40)  # +10 points on every item
    comparison = compare_runs(
        _run("a", base), _run("b", better), metrics_of=mean_score, resamples=500
    )
    (row,) = comparison.metrics
    assert row.difference == pytest.approx(100 * float(np.mean(better - base)), abs=1e-3)
    assert 8 < row.low < row.difference < row.high < 12
    assert row.p_value is not None and row.p_value < 0.01
    assert comparison.n_shared == 40 and comparison.n_only_a == comparison.n_only_b == 0


def test_compare_finds_nothing_between_identical_scores() -> None:
    scores = np.random.default_rng(1).uniform(0, 1, size=30)
    comparison = compare_runs(_run("a", scores), _run("b", scores), metrics_of=mean_score)
    (row,) = comparison.metrics
    assert row.difference == 0 and row.low == row.high == 0
    assert row.p_value == 1.0


def test_compare_uses_shared_items_only() -> None:
    a = _run("a", [0.5, 0.5, 0.5, 0.9])
    b = _run("b", [0.5, 0.5, 0.5])
    comparison = compare_runs(a, b, metrics_of=mean_score, resamples=50)
    assert comparison.n_shared == 3 and comparison.n_only_a == 1
    assert comparison.metrics[0].a == pytest.approx(50.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("task", "abg_coqa"),
        ("split", "test"),
        ("protocol", "act-paper"),
        ("data_source", "data:feedbeef"),
        ("prompts", {"simulator": "b" * 64}),
    ],
)
def test_compare_refuses_runs_that_measure_different_things(field, value) -> None:
    a = _run("a", [0.5, 0.6], prompts={"simulator": "a" * 64})
    b = _run("b", [0.5, 0.6], **{"prompts": {"simulator": "a" * 64}, field: value})
    with pytest.raises(ConfigError, match=field.replace("_", " ").replace("prompts", "prompt")):
        compare_runs(a, b, metrics_of=mean_score)


def test_compare_command_on_one_run_twice(tmp_path, bundled_sample) -> None:
    out = tmp_path / "run"
    config = EvalConfig(model="scripted", data_dir=None, limit=5, output_dir=str(out))
    run_evaluation(config, show_progress=False)
    result = CliRunner().invoke(
        app,
        ["compare", str(out), str(out), "--metric", "action_accuracy", "--json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["shared_items"] == 5 and data["metrics"][0]["difference"] == 0
    table = CliRunner().invoke(app, ["compare", str(out), str(out)], catch_exceptions=False)
    assert "5 shared items" in table.output and "trajectory_drop_f1" in table.output
    unknown = CliRunner().invoke(app, ["compare", str(out), str(out), "--metric", "acuracy"])
    assert unknown.exit_code != 0 and "action_accuracy" in unknown.output
    assert load_run(out).records
