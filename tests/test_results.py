"""Run directories: unique item ids on read, an exclusive lock, and the options checked
before anything is loaded (issue 15, "Run directories")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import REPO_ROOT, one_line_error
from typer.testing import CliRunner

from act_bench.cli import app
from act_bench.errors import DataError
from act_bench.results import RunDirectory, read_samples

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def eval_args(output_dir: Path, *extra: object) -> list[object]:
    return [
        "eval", "--model", "scripted", "--limit", 4, "--output-dir", output_dir, "--quiet", *extra,
    ]  # fmt: skip


def test_a_duplicated_samples_line_then_resume_is_a_named_error(tmp_path):
    out = tmp_path / "run"
    assert invoke(*eval_args(out)).exit_code == 0
    samples = out / "samples.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    assert len(lines) == 4
    samples.write_text("".join([*lines, lines[1]]))
    before = (out / "results.json").read_text()

    line = one_line_error(invoke(*eval_args(out), "--resume"), "appears twice", "line 5")
    assert json.loads(lines[1])["id"] in line and str(samples) in line
    # nothing was recomputed over the five lines: results.json is as the first run left it
    assert (out / "results.json").read_text() == before
    assert json.loads(before)["counts"]["n_items"] == 4


def test_read_samples_names_the_repeated_id_and_both_lines(tmp_path):
    out = tmp_path / "run"
    assert invoke(*eval_args(out)).exit_code == 0
    samples = out / "samples.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    samples.write_text("".join([lines[0], lines[1], lines[2], lines[0]]))
    with pytest.raises(DataError, match=r"appears twice \(first on line 1\)") as caught:
        read_samples(samples)
    assert caught.value.record == "line 4" and caught.value.field == "id"


def test_a_truncated_last_line_is_an_error_only_when_strict(tmp_path):
    out = tmp_path / "run"
    assert invoke(*eval_args(out)).exit_code == 0
    samples = out / "samples.jsonl"
    samples.write_text(samples.read_text() + '{"id": "cut')
    assert len(read_samples(samples)) == 4
    with pytest.raises(DataError, match="last line is incomplete"):
        read_samples(samples, strict=True)


def test_a_record_of_another_run_in_samples_is_refused_on_resume(tmp_path):
    out = tmp_path / "run"
    assert invoke(*eval_args(out)).exit_code == 0
    samples = out / "samples.jsonl"
    record = json.loads(samples.read_text().splitlines()[0])
    record["id"] = "not-an-item-of-this-run"
    samples.write_text(samples.read_text() + json.dumps(record) + "\n")
    one_line_error(invoke(*eval_args(out), "--resume"), "not-an-item-of-this-run", "not an item")


def test_a_second_writer_is_refused_while_the_lock_is_held(tmp_path):
    out = tmp_path / "run"
    with RunDirectory(out).locked():
        line = one_line_error(invoke(*eval_args(out)), "in use by another act-bench run")
        assert f"pid {os.getpid()}" in line
    assert not (out / "results.json").exists()
    assert invoke(*eval_args(out)).exit_code == 0  # released when the block ends


RUN_CLI = (
    "import sys; sys.path.insert(0, 'tests'); import helpers; helpers.register_scripted_backend(); "
    "from act_bench.cli import main; sys.argv = ['act-bench'] + sys.argv[1:]; main()"
)


@pytest.mark.slow  # two subprocesses with a scripted delay: ~35 s
def test_two_concurrent_evals_into_one_directory_write_each_item_once(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-c", RUN_CLI, *map(str, eval_args(out, "--batch-size", 1))]
    env = {**os.environ, "SCRIPTED_BACKEND_DELAY_S": "2"}
    first = subprocess.Popen(command, cwd=REPO_ROOT, env=env, text=True, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        samples = out / "samples.jsonl"
        while not (samples.exists() and samples.read_text()) and time.monotonic() < deadline:
            assert first.poll() is None, first.stderr.read()
            time.sleep(0.1)
        second = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        assert first.poll() is None, "the first run ended before the second tried to start"
    finally:
        first.wait(timeout=120)
    assert first.returncode == 0, first.stderr.read()
    assert second.returncode == 2, second.stderr
    assert "in use by another act-bench run" in second.stderr
    assert "Traceback" not in second.stderr
    ids = [json.loads(line)["id"] for line in samples.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 4


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--max-turns", "0"], "--max-turns must be a positive integer, got 0"),
        (["--max-new-tokens", "0"], "--max-new-tokens must be a positive integer, got 0"),
        (["--temperature", "-1"], "--temperature must be >= 0"),
        (["--temperature", "nan"], "--temperature must be >= 0"),
        (["--top-p", "0"], "--top-p must be in (0, 1]"),
        (["--top-p", "1.5"], "--top-p must be in (0, 1]"),
        (["--batch-size", "0"], "--batch-size must be a positive integer"),
        (["--max-concurrency", "-2"], "--max-concurrency must be a positive integer"),
        (["--limit", "0"], "--limit must be a positive integer"),
        (["--seed", "-1"], "--seed must be a non-negative integer"),
        (["--num-shots", "-3"], "--num-shots must be a non-negative integer"),
        (["--split", "tets"], "--split 'tets' is not a split of pacific"),
        (["--shot-pool", "nope"], "--shot-pool 'nope' is not a split of pacific"),
        (["--prompt-style", "cto"], "'cto'"),
        (["--simulator", "nonsense:x"], "--simulator 'nonsense:x' is neither 'gold'"),
        (["--action-classifier", "nonsense"], "--action-classifier 'nonsense' is neither"),
        (["--data-dir", "/nonexistent/data"], "--data-dir /nonexistent/data is not a directory"),
    ],
)
def test_bad_options_are_refused_before_anything_loads(tmp_path, flags, expected):
    out = tmp_path / "run"
    args = [a for a in eval_args(out) if a not in ("--limit", 4)] + flags
    one_line_error(invoke(*args), expected)
    assert not (out / "results.json").exists()  # no `running` results.json left behind


def test_options_are_checked_before_the_model_loads(tmp_path, monkeypatch):
    import act_bench.evaluation as evaluation

    loads: list[str] = []
    monkeypatch.setattr(evaluation, "shared_backend", lambda spec, options: loads.append(spec))
    one_line_error(invoke(*eval_args(tmp_path / "run"), "--max-turns", "0"), "--max-turns")
    assert loads == []


def test_an_output_dir_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    one_line_error(invoke(*eval_args(target)), "exists and is not a directory")


def test_a_cache_dir_that_is_a_file_is_refused_before_anything_loads(tmp_path):
    target = tmp_path / "cache-file"
    target.write_text("x")
    out = tmp_path / "run"
    line = one_line_error(invoke(*eval_args(out), "--cache-dir", str(target)), "--cache-dir")
    assert "is not a directory" in line
    assert not (out / "results.json").exists()
