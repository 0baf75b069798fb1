"""`act-bench eval --task ambigsql --limit 4` with the embedded model, on the bundled sample."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from act_bench.cli import app


@pytest.mark.slow
def test_embedded_model_on_the_bundled_sample(tmp_path, monkeypatch):
    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        ["eval", "--task", "ambigsql", "--limit", "4", "--batch-size", "4",
         "--max-new-tokens", "16", "--max-turns", "2", "--output-dir", str(out), "--quiet"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["data_source"]["kind"] == "bundled-sample" and results["n_items"] == 4
    assert results["counts"]["n_gold_clarify"] == 2  # two clear requests, two ambiguous twins
    for name in ("action_accuracy", "action_macro_f1", "execution_match"):
        assert 0.0 <= results["metrics"][name] <= 100.0
    assert results["usage"]["policy"]["completion_tokens"] > 0
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert [s["gold_action"] for s in samples] == ["ANSWER", "CLARIFY", "ANSWER", "CLARIFY"]
    assert all(s["prediction"] and s["trajectory_score"] in (0.0, 1.0) for s in samples)
