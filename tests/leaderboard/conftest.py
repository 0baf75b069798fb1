from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from act_bench.evaluation import EvalConfig, run_evaluation


@pytest.fixture(scope="session")
def finished_runs(tmp_path_factory) -> list[Path]:
    """Two real, finished runs of the scripted policy on the bundled sample (distinct configs)."""
    from helpers import register_scripted_backend

    register_scripted_backend()
    root = tmp_path_factory.mktemp("runs")
    runs = []
    for seed in (0, 1):
        config = EvalConfig(model="scripted", limit=3, seed=seed, output_dir=str(root / f"s{seed}"))
        run_evaluation(config, show_progress=False)
        runs.append(root / f"s{seed}")
    return runs


@pytest.fixture(scope="session")
def two_trial_run(tmp_path_factory) -> tuple[Path, dict]:
    """A finished scripted run with two trials per item (metrics_ci, num_trials): its
    directory and its results.json."""
    from helpers import register_scripted_backend

    register_scripted_backend()
    out = tmp_path_factory.mktemp("trials") / "run"
    config = EvalConfig(model="scripted", limit=4, num_trials=2, output_dir=str(out))
    result = run_evaluation(config, show_progress=False)
    return out, result.results


@pytest.fixture
def run_copy(finished_runs, tmp_path) -> Path:
    """A copy of a finished run that a test may damage."""
    target = tmp_path / "run"
    shutil.copytree(finished_runs[0], target)
    return target
