"""Fixtures for the AmbigSQL tests: our own Spider-layout folder and the real Spider json."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from act_bench_tasks.ambigsql.spider import materialize_databases
from helpers import shared_data_dir

FIXTURE_SPIDER = Path(__file__).parent / "fixtures" / "spider"


@pytest.fixture
def fixture_spider(tmp_path: Path) -> Path:
    """A writable copy of ``fixtures/spider`` with its SQLite files created.

    Three databases written for the tests, and ``observatory``, which ``tables.json``
    declares but whose database file is absent (as Spider's ``wta_1`` is here).
    """
    target = tmp_path / "spider"
    shutil.copytree(FIXTURE_SPIDER, target)
    materialize_databases(target)
    return target


@pytest.fixture
def real_spider() -> Path:
    """The Spider json and databases under $ACT_BENCH_DATA/spider (skips when absent)."""
    path = shared_data_dir() / "spider"
    if not (path / "dev.json").is_file() or not (path / "tables.json").is_file():
        pytest.skip(f"Spider not found under {path} (set ACT_BENCH_DATA)")
    return path


def release_zip(extra: dict[str, bytes | str] | None = None, top: str = "spider_data") -> bytes:
    """A zip laid out like Spider's spider_data.zip, holding the fixture's files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path in sorted(FIXTURE_SPIDER.rglob("*")):
            if path.is_file():
                bundle.write(path, f"{top}/{path.relative_to(FIXTURE_SPIDER).as_posix()}")
        bundle.writestr(f"{top}/test.json", "[]")  # the test set: not extracted
        bundle.writestr(f"{top}/test_database/x/x.sqlite", "not needed")
        for name, content in (extra or {}).items():
            bundle.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture
def spider_release() -> Callable[..., bytes]:
    return release_zip
