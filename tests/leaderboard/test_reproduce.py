"""``act-bench reproduce``: runnable cells run and are submitted, the rest say why not."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from act_bench.cli import app
from act_bench.errors import ConfigError
from act_bench.evaluation import EvalConfig
from act_bench.leaderboard import Leaderboard
from act_bench.reproduce import (
    ReproduceOptions,
    cells_of,
    load_table,
    parse_checkpoint,
    plan,
    reproduce,
    side_by_side,
)


@pytest.fixture(autouse=True)
def _bundled_sample(monkeypatch):
    """Evaluate the bundled sample (the shot counts below depend on it), even where CI sets
    $ACT_BENCH_DATA."""
    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)


def options(tmp_path, **kwargs) -> ReproduceOptions:
    return ReproduceOptions(
        output_root=str(tmp_path / "runs"),
        db=str(tmp_path / "board.sqlite"),
        base=EvalConfig(limit=2, batch_size=4),
        **kwargs,
    )


def test_prompting_cells_run_per_model_and_tuned_cells_need_checkpoints(tmp_path):
    opts = options(tmp_path, models=("scripted",), checkpoints={"sft:50": "scripted"})
    runs = reproduce("table1", opts, show_progress=False)
    ran = {(run.cell.key, run.model) for run in runs if run.model}
    assert ran == {("standard:10", "scripted"), ("sft:50", "scripted")}
    not_run = {run.cell.key: run.not_run for run in runs if run.model is None}
    assert set(not_run) == {f"{a}:{n}" for a in ("sft", "irpo", "act") for n in (50, 100, 250)} - {
        "sft:50"
    }
    assert "--checkpoint act:50=hf:DIR" in not_run["act:50"] and "--train" in not_run["act:50"]

    ours = Leaderboard(opts.db).rows(include_paper=False)
    assert sorted((row.approach, row.num_shots) for row in ours) == [("sft", 0), ("standard", 2)]
    standard = next(run for run in runs if run.cell.key == "standard:10")
    assert "2 of the 10 requested shots" in standard.shots_note

    header, rows = side_by_side("table1", runs)
    assert header[5:] == load_table("table1")["metrics"]
    mine = next(row for row in rows if row[0] == "ours" and row[2] == "standard")
    paper_value = load_table("table1")["rows"][0]["values"]["action_macro_f1"]
    ours_value = standard.metrics["action_macro_f1"]
    assert mine[5] == f"{ours_value:.1f} ({ours_value - paper_value:+.1f})"


def test_a_second_run_resumes_and_replaces_instead_of_duplicating(tmp_path):
    opts = options(tmp_path, models=("scripted",))
    first = reproduce("table1", opts, show_progress=False)
    second = reproduce("table1", opts, show_progress=False)
    assert [r.output_dir for r in first] == [r.output_dir for r in second]
    assert len(Leaderboard(opts.db).rows(include_paper=False)) == 1


def test_cells_run_under_the_act_paper_protocol_unless_told_otherwise(tmp_path):
    import json
    from pathlib import Path

    [paper_run] = [r for r in reproduce("table1", options(tmp_path, models=("scripted",)),
                                        show_progress=False) if r.model]  # fmt: skip
    results = json.loads((Path(paper_run.output_dir) / "results.json").read_text())
    assert results["protocol"] == "act-paper" and results["config"]["max_new_tokens"] == 128
    assert "trajectory_drop_f1_pacific" in results["metrics"]
    [row] = Leaderboard(tmp_path / "board.sqlite").rows(include_paper=False)
    assert row.protocol == "act-paper"

    ours = options(tmp_path / "ours", models=("scripted",), protocol="act-bench")
    [bench_run] = [r for r in reproduce("table1", ours, show_progress=False) if r.model]
    results = json.loads((Path(bench_run.output_dir) / "results.json").read_text())
    assert results["protocol"] == "act-bench" and "trajectory_drop_f1_act" in results["metrics"]


def test_every_table_has_cells_and_bad_requests_are_clear_errors(tmp_path):
    for table_id in ("table1", "table2", "table3", "table-a7", "table-a8", "table-a9"):
        assert cells_of(load_table(table_id))
    with pytest.raises(ConfigError, match="unknown table 'tabel1'") as caught:
        load_table("tabel1")
    assert caught.value.hint == "did you mean 'table1'?"
    with pytest.raises(ConfigError, match="APPROACH:N=SPEC"):
        parse_checkpoint("sft=hf:x")
    with pytest.raises(ConfigError, match="does not have: act:75"):
        plan("table1", options(tmp_path, checkpoints={"act:75": "hf:x"}))
    assert parse_checkpoint("dpo-dist:100=hf:ckpt/a=b") == ("dpo-dist:100", "hf:ckpt/a=b")


@pytest.mark.slow
def test_reproduce_table1_on_the_embedded_model(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "reproduce",
            "table1",
            "--model",
            "smollm2",
            "--limit",
            "2",
            "--num-shots",
            "1",
            "--max-new-tokens",
            "16",
            "--protocol",
            "act-bench",  # act-paper generates 128 tokens; 16 keeps this test fast
            "--output-dir",
            str(tmp_path / "runs"),
            "--db",
            str(tmp_path / "board.sqlite"),
            "--quiet",
        ],
        env={"COLUMNS": "200"},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "Gemini Pro" in result.output and "smollm2" in result.output
    assert "not run" in result.output and "1 cell run(s)" in result.output
    [row] = Leaderboard(tmp_path / "board.sqlite").rows(include_paper=False)
    assert (row.model, row.approach, row.num_shots, row.n_items) == ("smollm2", "standard", 1, 2)
