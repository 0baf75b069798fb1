from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The real datasets: $ACT_BENCH_DATA, else ../shared/data beside the checkout."""
    return Path(os.environ.get("ACT_BENCH_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture
def data_dir() -> Path:
    path = shared_data_dir()
    if not (path / "pacific" / "validation.json").exists():
        pytest.skip(f"real data not found under {path} (set ACT_BENCH_DATA)")
    return path


@pytest.fixture(autouse=True)
def _scripted_backend() -> None:
    from helpers import register_scripted_backend

    register_scripted_backend()
