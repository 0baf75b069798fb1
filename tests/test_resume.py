"""A run killed with SIGKILL and resumed gives the same metrics as an uninterrupted run;
a run directory refuses a second run and a resume under other settings.

All on PACIFIC's bundled sample (15 items), so they run wherever the real data is absent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import REPO_ROOT

from act_bench.errors import ConfigError
from act_bench.evaluation import EvalConfig, run_evaluation

RUN_CLI = (
    "import sys; sys.path.insert(0, 'tests'); import helpers; helpers.register_scripted_backend(); "
    "from act_bench.cli import main; sys.argv = ['act-bench'] + sys.argv[1:]; main()"
)


def eval_args(output_dir: Path) -> list[str]:
    return [
        sys.executable, "-c", RUN_CLI, "eval", "--task", "pacific", "--model", "scripted",
        "--limit", "12", "--batch-size", "2", "--output-dir", str(output_dir), "--quiet",
    ]  # fmt: skip


def sample_environment(**env: str) -> dict[str, str]:
    """The environment of a CLI run on the bundled sample (no $ACT_BENCH_DATA)."""
    return {**{k: v for k, v in os.environ.items() if k != "ACT_BENCH_DATA"}, **env}


def run_cli(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=REPO_ROOT, env=sample_environment(**env), capture_output=True, text=True
    )


def sample_lines(output_dir: Path) -> list[dict]:
    path = output_dir / "samples.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.slow  # three CLI processes, one killed after three batches of 0.5 s
def test_resume_after_sigkill_matches_an_uninterrupted_run(tmp_path):
    whole = run_cli(eval_args(tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr
    expected = json.loads((tmp_path / "whole" / "results.json").read_text())

    killed_dir = tmp_path / "killed"
    process = subprocess.Popen(
        eval_args(killed_dir),
        cwd=REPO_ROOT,
        env=sample_environment(SCRIPTED_BACKEND_DELAY_S="0.5"),
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

    resumed = run_cli(eval_args(killed_dir) + ["--resume"])
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads((killed_dir / "results.json").read_text())
    lines = sample_lines(killed_dir)

    assert result["metrics"] == expected["metrics"]
    assert result["counts"] == expected["counts"]
    assert result["timings"]["resumed_items"] == finished_before
    assert len(lines) == 12 and len({line["id"] for line in lines}) == 12


def _config(tmp_path: Path, **changes) -> EvalConfig:
    return EvalConfig(
        model="scripted", data_dir=None, limit=4, output_dir=str(tmp_path / "run"), **changes
    )


def test_a_second_run_into_the_same_directory_is_refused(tmp_path, bundled_sample):
    run_evaluation(_config(tmp_path), show_progress=False)
    with pytest.raises(ConfigError, match="already holds a run") as raised:
        run_evaluation(_config(tmp_path), show_progress=False)
    assert "--resume" in raised.value.hint


def test_resume_with_other_flags_is_refused(tmp_path, bundled_sample):
    run_evaluation(_config(tmp_path), show_progress=False)
    with pytest.raises(ConfigError, match="different configuration.*max_turns"):
        run_evaluation(_config(tmp_path, max_turns=2), resume=True, show_progress=False)
    resumed = run_evaluation(_config(tmp_path), resume=True, show_progress=False)
    assert resumed.results["timings"]["resumed_items"] == 4
