"""The one results.json schema: what eval writes validates; malformed fields are refused
naming the field, on submit, on resume and on write (issue 15, "Leaderboard and score")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from act_bench.cli import app
from act_bench.errors import DataError
from act_bench.results import RunDirectory, load_results
from act_bench.results_schema import RunResults, validate_results

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    from helpers import register_scripted_backend

    register_scripted_backend()
    run = tmp_path_factory.mktemp("schema") / "run"
    with pytest.MonkeyPatch.context() as patch:  # the bundled sample, even where CI sets data
        patch.delenv("ACT_BENCH_DATA", raising=False)
        result = invoke("eval", "--model", "scripted", "--limit", 3, "--output-dir", run, "--quiet")
    assert result.exit_code == 0, result.output
    return run


@pytest.fixture
def run_copy(finished_run, tmp_path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(finished_run, target)
    return target


def edit_results(run: Path, text_edit) -> None:
    path = run / "results.json"
    path.write_text(text_edit(path.read_text()))


def set_field(run: Path, dotted: str, raw_json: str) -> None:
    """Set a field to raw JSON text (so 10**400 stays an integer literal, as a file holds it)."""
    data = json.loads((run / "results.json").read_text())
    marker = "__MARKER__"
    *parents, last = dotted.split(".")
    target = data
    for key in parents:
        target = target[key]
    target[last] = marker
    edit_results(run, lambda _: json.dumps(data, indent=2).replace(f'"{marker}"', raw_json))


def test_what_eval_writes_is_valid(finished_run):
    results = load_results(finished_run / "results.json")
    assert isinstance(results, RunResults)
    assert results.status == "complete" and results.n_items == 3
    assert results.protocol == "act-bench"  # old results without the key: the default
    assert results.data_label == "sample"
    assert results.n_backend_errors == 0


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("metrics.action_accuracy", "1" + "0" * 400, "metrics.action_accuracy: Input should be"),
        ("model", "123", "model: Input should be a valid string, got 123"),
        ("task", '["pacific"]', "task: Input should be a valid string, got ['pacific']"),
        ("prompting", "[1]", "prompting: Input should be a valid dictionary"),
        ("prompting.shots.used", '"abc"', "prompting.shots.used: Input should be a valid integer"),
        ("created", "{}", "created: Input should be a valid string, got {}"),
        ("n_items", "true", "n_items: Input should be a valid integer, got True"),
        ("n_items", "-3", "n_items: Input should be greater than or equal to 1"),
        ("counts.n_clarified", "-1", "counts.n_clarified: Input should be greater than or equal"),
        ("counts.n_items", "2.5", "counts.n_items: Input should be a valid integer"),
        ("metrics.action_accuracy", "NaN", "metrics.action_accuracy: Input should be"),
        ("metrics.action_accuracy", "true", "metrics.action_accuracy: Input should be"),
        ("status", '"done"', "status: Input should be 'running', 'complete' or 'incomplete'"),
        ("created", '"yesterday"', "created: not an ISO 8601 timestamp"),
        ("protocol", "7", "protocol: Input should be a valid string"),
        ("skipped.missing_database", "-2", "skipped.missing_database: Input should be greater"),
    ],
)
def test_malformed_fields_are_refused_on_submit_naming_the_field(
    run_copy, tmp_path, field, raw, message
):
    set_field(run_copy, field, raw)
    result = invoke("leaderboard", "submit", run_copy, "--db", tmp_path / "board.sqlite")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert message in line and f"field '{field}'" in line
    assert str(run_copy / "results.json") in line


def test_resume_reads_results_json_through_the_same_schema(run_copy):
    set_field(run_copy, "model", "123")
    result = invoke(
        "eval", "--model", "scripted", "--limit", 3, "--output-dir", run_copy, "--resume", "--quiet"
    )
    assert result.exit_code == 2 and "model: Input should be a valid string" in result.output


def test_eval_validates_before_writing(tmp_path):
    directory = RunDirectory(tmp_path / "run")
    directory.path.mkdir()
    with pytest.raises(DataError, match="n_items"):
        directory.write_results({"status": "running", "n_items": 0})
    assert not directory.results_path.exists()


def test_unknown_top_level_keys_and_usage_fields_are_kept(run_copy):
    data = json.loads((run_copy / "results.json").read_text())
    data["a_field_from_a_newer_writer"] = {"x": 1}
    data["usage"] = {"scripted": {"prefill_tokens_computed": 12, "anything": [1, 2]}}
    results = validate_results(data, file="results.json")
    assert results.model_extra == {"a_field_from_a_newer_writer": {"x": 1}}
    assert results.usage["scripted"]["prefill_tokens_computed"] == 12


def test_a_symlinked_or_non_utf8_results_file_is_refused(run_copy, tmp_path):
    path = run_copy / "results.json"
    path.write_bytes(b'{"model": "\xff"}')
    with pytest.raises(DataError, match="not UTF-8"):
        load_results(path)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("{}")
    path.unlink()
    path.symlink_to(elsewhere)
    with pytest.raises(DataError, match="symbolic link"):
        load_results(path)


def test_eval_writes_what_the_typed_model_round_trips(finished_run):
    data = json.loads((finished_run / "results.json").read_text())
    results = validate_results(data, file="results.json")
    assert results.to_json() == data  # the file is RunResults.to_json, key for key
    assert set(data) <= set(RunResults.model_fields)  # eval writes only declared fields
    assert results.prompting.shots.requested == 0 and results.prompting.shots.note is None
    assert results.trials.note.startswith("the gold simulator replays the data")


def test_a_results_model_is_built_from_declared_fields_only(finished_run):
    data = json.loads((finished_run / "results.json").read_text())
    running = {k: v for k, v in data.items() if k not in ("metrics", "counts", "slices")}
    built = RunResults.build(file="results.json", **{**running, "status": "running"})
    assert "metrics" not in built.to_json()  # unset, not null, while the run is under way
    with pytest.raises(DataError, match="n_item is not a field of RunResults") as caught:
        RunResults.build(file="results.json", **{**running, "n_item": 3})
    assert caught.value.field == "n_item"
