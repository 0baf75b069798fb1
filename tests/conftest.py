from __future__ import annotations

from pathlib import Path

import pytest
from helpers import shared_data_dir


@pytest.fixture
def data_dir() -> Path:
    path = shared_data_dir()
    if not (path / "pacific" / "validation.json").exists():
        pytest.skip(f"real data not found under {path} (set ACT_BENCH_DATA)")
    return path


@pytest.fixture
def bundled_sample(monkeypatch) -> None:
    """Read the tasks' bundled samples (``data_dir=None``), even where $ACT_BENCH_DATA
    points at the real data: the test then runs, and sees the same items, everywhere."""
    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)


@pytest.fixture(autouse=True)
def _scripted_backend() -> None:
    from helpers import register_scripted_backend

    register_scripted_backend()


@pytest.fixture(autouse=True)
def _response_cache_in_tmp(tmp_path_factory, monkeypatch) -> None:
    """Each test's response cache is its own (never the user's, never another test's)."""
    import act_bench.cache

    folder = tmp_path_factory.mktemp("response-cache")
    monkeypatch.setattr(act_bench.cache, "default_directory", lambda: folder)
