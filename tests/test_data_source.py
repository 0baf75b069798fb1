"""The data-source fingerprint: part of the config hash, refused on resume when it changes,
shown on the leaderboard (issue 15, "Run directories")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from act_bench.cli import app
from act_bench.data_source import fingerprint, recording_reads
from act_bench.task import get_task

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "tasks" / "pacific" / "sample" / "validation.json"


def invoke(*args: object, **env: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, env=env)


def eval_args(output_dir: Path, *extra: object) -> list[object]:
    return [
        "eval", "--model", "scripted", "--limit", 3, "--output-dir", output_dir, "--quiet", *extra,
    ]  # fmt: skip


@pytest.fixture
def data_root(tmp_path) -> Path:
    """A data root holding the bundled PACIFIC sample as if it were the official file."""
    root = tmp_path / "data"
    (root / "pacific").mkdir(parents=True)
    shutil.copy(SAMPLE, root / "pacific" / "validation.json")
    return root


def results(run: Path) -> dict:
    return json.loads((run / "results.json").read_text())


def test_the_fingerprint_lists_the_files_read_with_their_hashes(data_root):
    task = get_task("pacific")
    with recording_reads() as reads:
        task.load("validation", data_root)
    source = fingerprint(reads, data_root)
    [file] = source.files
    assert file.path == "pacific/validation.json"
    assert file.bytes == SAMPLE.stat().st_size
    assert source.kind == "files" and source.label == f"data:{source.digest[:8]}"

    moved = data_root.parent / "moved"
    shutil.copytree(data_root, moved)
    with recording_reads() as reads:
        task.load("validation", moved)
    assert fingerprint(reads, moved).digest == source.digest  # same files, another place

    edited = moved / "pacific" / "validation.json"
    edited.write_text(edited.read_text().replace("  ", " ", 1))
    with recording_reads() as reads:
        task.load("validation", moved)
    assert fingerprint(reads, moved).digest != source.digest


def test_recording_is_scoped_to_its_block(data_root):
    with recording_reads() as reads:
        pass
    get_task("pacific").load("validation", data_root)
    assert reads == []


def test_sample_and_real_data_runs_never_share_a_config_hash(tmp_path, data_root):
    sample, real = tmp_path / "sample", tmp_path / "real"
    assert invoke(*eval_args(sample), ACT_BENCH_DATA="").exit_code == 0
    assert invoke(*eval_args(real), ACT_BENCH_DATA=str(data_root)).exit_code == 0
    on_sample, on_data = results(sample), results(real)
    # same flags, same items, yet different runs: the data read, not its location, is
    # the identity (data_source.root records where it lay)
    assert "data_dir" not in on_sample["config"] and "data_dir" not in on_data["config"]
    assert on_sample["config_hash"] != on_data["config_hash"]
    assert on_sample["data_source"]["kind"] == "bundled-sample"
    assert on_sample["data_source"]["version"] == on_sample["act_bench_version"]
    assert on_data["data_source"]["root"] == str(data_root)
    assert [f["path"] for f in on_data["data_source"]["files"]] == ["pacific/validation.json"]

    db = tmp_path / "board.sqlite"
    for run in (sample, real):
        submitted = invoke("leaderboard", "submit", run, "--db", db)
        assert submitted.exit_code == 0, submitted.output  # not refused as a duplicate
    shown = invoke("leaderboard", "show", "--no-paper", "--db", db, COLUMNS="250")
    digest = on_data["data_source"]["digest"][:8]
    assert "sample" in shown.output and f"data:{digest}" in shown.output


def test_resuming_a_real_data_run_without_the_variable_is_refused(tmp_path, data_root):
    run = tmp_path / "run"
    assert invoke(*eval_args(run), ACT_BENCH_DATA=str(data_root)).exit_code == 0
    samples_before = (run / "samples.jsonl").read_text()
    refused = invoke(*eval_args(run, "--resume"), ACT_BENCH_DATA="")
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert "it read a data root, this run would read the bundled sample" in refused.output
    assert (run / "samples.jsonl").read_text() == samples_before
    resumed = invoke(*eval_args(run, "--resume"), ACT_BENCH_DATA=str(data_root))
    assert resumed.exit_code == 0, resumed.output


def test_the_same_files_at_another_path_are_the_same_run(tmp_path, data_root):
    """--data-dir DIR and $ACT_BENCH_DATA=COPY of DIR read the same files: one identity,
    so the run resumes (nothing is redone) and its config hash is the same."""
    run = tmp_path / "run"
    assert invoke(*eval_args(run, "--data-dir", data_root)).exit_code == 0
    first = results(run)
    moved = tmp_path / "elsewhere"
    shutil.copytree(data_root, moved)
    resumed = invoke(*eval_args(run, "--resume"), ACT_BENCH_DATA=str(moved))
    assert resumed.exit_code == 0, resumed.output
    assert results(run)["config_hash"] == first["config_hash"]
    assert len((run / "samples.jsonl").read_text().splitlines()) == 3


def test_resuming_over_changed_data_files_is_refused(tmp_path, data_root):
    run = tmp_path / "run"
    assert invoke(*eval_args(run, "--data-dir", data_root)).exit_code == 0
    path = data_root / "pacific" / "validation.json"
    path.write_text(path.read_text().replace("  ", " ", 1))
    refused = invoke(*eval_args(run, "--data-dir", data_root, "--resume"))
    assert refused.exit_code == 2
    assert "the data files differ from the ones it read" in refused.output


def test_a_repeated_item_id_in_the_data_is_a_named_error(tmp_path, data_root):
    path = data_root / "pacific" / "validation.json"
    conversations = json.loads(path.read_text())
    path.write_text(json.dumps([*conversations, conversations[0]]))
    result = invoke(
        "eval", "--model", "scripted", "--data-dir", data_root, "--quiet",
        "--output-dir", tmp_path / "run",
    )  # fmt: skip
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "duplicate" in result.output and str(path) in result.output


def test_the_core_refuses_repeated_item_ids_whatever_the_task_loader_does(data_root):
    """A task whose loader lets a repeated id through is still stopped before any scoring."""
    from act_bench.episode import episodes_for
    from act_bench.errors import DataError
    from act_bench.evaluation import _unique_items
    from act_bench.task import turn_states

    task = get_task("pacific")
    with recording_reads() as reads:
        states = turn_states(task.load("validation", data_root))
    source = fingerprint(reads, data_root)
    _unique_items(episodes_for(states), source)  # the real data: fine
    with pytest.raises(DataError, match="appears twice in the data") as caught:
        _unique_items(episodes_for([*states, states[2]]), source)
    assert "pacific/validation.json" in str(caught.value)
    assert episodes_for([states[2]])[0].id in str(caught.value)


def test_a_run_from_before_the_fingerprint_is_refused_saying_why(tmp_path):
    from act_bench.results import config_hash

    run = tmp_path / "run"
    assert invoke(*eval_args(run)).exit_code == 0
    data = results(run)
    del data["config"]["data_source"]
    data["config_hash"] = config_hash(data["config"])
    (run / "results.json").write_text(json.dumps(data))
    refused = invoke(*eval_args(run, "--resume"))
    assert refused.exit_code == 2
    assert "did not record its data source" in refused.output
