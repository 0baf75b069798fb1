"""A run killed with SIGKILL and resumed gives the same metrics as an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import REPO_ROOT

RUN_CLI = (
    "import sys; sys.path.insert(0, 'tests'); import helpers; helpers.register_scripted_backend(); "
    "from act_bench.cli import main; sys.argv = ['act-bench'] + sys.argv[1:]; main()"
)


def eval_args(data_dir: Path, output_dir: Path) -> list[str]:
    return [
        sys.executable, "-c", RUN_CLI, "eval", "--task", "pacific", "--model", "scripted",
        "--data-dir", str(data_dir), "--limit", "12", "--batch-size", "2",
        "--output-dir", str(output_dir), "--quiet",
    ]  # fmt: skip


def run_cli(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=REPO_ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


def sample_lines(output_dir: Path) -> list[dict]:
    path = output_dir / "samples.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_resume_after_sigkill_matches_an_uninterrupted_run(tmp_path, data_dir):
    whole = run_cli(eval_args(data_dir, tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr
    expected = json.loads((tmp_path / "whole" / "results.json").read_text())

    killed_dir = tmp_path / "killed"
    process = subprocess.Popen(
        eval_args(data_dir, killed_dir),
        cwd=REPO_ROOT,
        env={**os.environ, "SCRIPTED_BACKEND_DELAY_S": "0.5"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(sample_lines(killed_dir)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished_before = len(sample_lines(killed_dir))
    assert 3 <= finished_before < 12

    resumed = run_cli(eval_args(data_dir, killed_dir) + ["--resume"])
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads((killed_dir / "results.json").read_text())
    lines = sample_lines(killed_dir)

    assert result["metrics"] == expected["metrics"]
    assert result["counts"] == expected["counts"]
    assert result["timings"]["resumed_items"] == finished_before
    assert len(lines) == 12 and len({line["id"] for line in lines}) == 12


def test_a_second_run_into_the_same_directory_is_refused(tmp_path, data_dir):
    first = run_cli(eval_args(data_dir, tmp_path / "run"))
    assert first.returncode == 0, first.stderr
    again = run_cli(eval_args(data_dir, tmp_path / "run"))
    assert again.returncode == 2
    assert "already holds a run" in again.stderr and "--resume" in again.stderr


def test_resume_with_other_flags_is_refused(tmp_path, data_dir):
    first = run_cli(eval_args(data_dir, tmp_path / "run"))
    assert first.returncode == 0, first.stderr
    other = eval_args(data_dir, tmp_path / "run") + ["--resume", "--max-turns", "2"]
    refused = run_cli(other)
    assert refused.returncode == 2
    assert "different configuration" in refused.stderr
