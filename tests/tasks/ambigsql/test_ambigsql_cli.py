"""The AmbigSQL commands: data download spider, data build-ambigsql, eval, analyze."""

from __future__ import annotations

import io
import json

from typer.testing import CliRunner

from act_bench.cli import app
from act_bench.metrics.clarification import CLARIFICATION_METRICS

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_build_then_eval_on_the_build(fixture_spider, tmp_path):
    root = tmp_path / "data"
    result = invoke(
        "data", "build-ambigsql", "--spider-dir", str(fixture_spider),
        "--out", str(root / "ambigsql"), "--seed", "1", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    flat = result.output.replace("\n", "")
    assert "AmbigSQL" in flat and f"wrote {root / 'ambigsql' / 'stats.json'}" in flat
    stats = json.loads((root / "ambigsql" / "stats.json").read_text())
    assert stats["build"]["seed"] == 1 and stats["build"]["generator"] == "rule"
    result = invoke(
        "eval", "--task", "ambigsql", "--model", "scripted", "--data-dir", str(root),
        "--split", "train", "--limit", "4", "--output-dir", str(tmp_path / "run"), "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert set(results["metrics"]) == {
        "action_accuracy",
        "action_macro_f1",
        "turn_execution_match",
        "execution_match",
        "post_clarify_execution_match",
        *CLARIFICATION_METRICS,
    }
    assert results["n_items"] == 4 and results["skipped"] == {}


def test_eval_without_a_build_names_the_build_command(fixture_spider, tmp_path):
    (tmp_path / "root").mkdir()
    fixture_spider.rename(tmp_path / "root" / "spider")
    result = invoke("eval", "--task", "ambigsql", "--data-dir", str(tmp_path / "root"))
    assert result.exit_code == 2
    flat = result.output.replace("\n", "")
    assert "validation.jsonl not found" in flat
    assert "act-bench data build-ambigsql --spider-dir" in flat


def test_download_spider_uses_the_source_dataset_entry_point(tmp_path, monkeypatch, spider_release):
    from act_bench_tasks.ambigsql import download

    served = spider_release()
    monkeypatch.setattr(download.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(served))
    result = invoke("data", "download", "spider", "--data-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'spider' / 'tables.json'}" in result.output.replace("\n", "")
    assert (tmp_path / "spider" / "database" / "cycling_club" / "schema.sql").is_file()


def test_recovery_analysis_on_the_sample(tmp_path, monkeypatch):
    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)
    result = invoke(
        "analyze", "ambigsql-recovery", "--model", "scripted", "--split", "validation",
        "--limit", "2", "--output-dir", str(tmp_path / "r"), "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "with_clarification_turns_execution_match" in result.output
    written = json.loads((tmp_path / "r" / "recovery.json").read_text())
    assert written["counts"]["n_items"] == 2 and written["config"]["model"] == "scripted"
