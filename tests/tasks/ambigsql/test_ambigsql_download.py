"""Downloading the official Spider release, with urlopen replaced (the tests run offline)."""

from __future__ import annotations

import io
import json
import urllib.error
import zipfile
from pathlib import Path

import pytest
from act_bench_tasks.ambigsql import download, task

from act_bench.errors import DataError

FIXTURE = Path(__file__).parent / "fixtures" / "spider"


@pytest.fixture
def serve(monkeypatch):
    """Make urlopen return ``payload`` (or raise it), recording the URLs asked for."""
    requested: list[str] = []

    def install(payload):
        def urlopen(url, timeout):
            requested.append(url)
            if isinstance(payload, Exception):
                raise payload
            return io.BytesIO(payload)

        monkeypatch.setattr(download.urllib.request, "urlopen", urlopen)
        return requested

    return install


def test_download_unpacks_the_release_into_spider(tmp_path, serve, spider_release):
    requested = serve(spider_release())
    written = download.download_spider(tmp_path)
    target = tmp_path / "spider"
    assert requested == [download.RELEASE_URL]
    assert (target / "tables.json").read_bytes() == (FIXTURE / "tables.json").read_bytes()
    assert (target / "database" / "bakery_chain" / "schema.sql").is_file()
    assert not (target / "test.json").exists() and not (target / "test_database").exists()
    assert set(written) == {
        target / p.relative_to(FIXTURE) for p in FIXTURE.rglob("*") if p.is_file()
    }
    assert [p.name for p in tmp_path.iterdir()] == ["spider"]  # no temporary files left
    assert download.download_spider(tmp_path) == []  # complete: nothing fetched again
    assert len(requested) == 1


def test_a_partial_copy_is_completed_not_overwritten(tmp_path, serve, spider_release):
    serve(spider_release())
    (tmp_path / "spider").mkdir()
    (tmp_path / "spider" / "dev.json").write_text("[] ")
    written = download.download_spider(tmp_path)
    assert (tmp_path / "spider" / "dev.json").read_text() == "[] "
    assert tmp_path / "spider" / "dev.json" not in written
    assert tmp_path / "spider" / "train_spider.json" in written


def test_a_web_page_instead_of_the_zip_is_a_clear_error(tmp_path, serve):
    serve(b"<html>Google Drive can't scan this file for viruses</html>")
    with pytest.raises(DataError, match="did not return a zip file") as raised:
        download.download_spider(tmp_path)
    assert download.LANDING_PAGE in raised.value.hint
    assert not (tmp_path / "spider").exists()


def test_network_errors_name_the_url(tmp_path, serve):
    serve(urllib.error.URLError("no route to host"))
    with pytest.raises(DataError, match="no route to host"):
        download.download_spider(tmp_path)


def test_members_outside_the_folder_are_refused(tmp_path, serve, spider_release):
    serve(spider_release({"spider_data/../../escape.txt": "x"}))
    with pytest.raises(DataError, match="unsafe path"):
        download.download_spider(tmp_path)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_an_archive_without_spider_layout_is_refused(tmp_path, serve):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("readme.txt", "nothing here")
    serve(buffer.getvalue())
    with pytest.raises(DataError, match="no tables.json"):
        download.download_spider(tmp_path)


def test_downloading_ambigsql_downloads_spider_and_builds(tmp_path, serve, spider_release):
    serve(spider_release())
    written = task.download(tmp_path)
    assert tmp_path / "spider" / "dev.json" in written
    assert tmp_path / "ambigsql" / "validation.jsonl" in written
    stats = json.loads((tmp_path / "ambigsql" / "stats.json").read_text())
    assert stats["build"]["spider_dir"] == str((tmp_path / "spider").resolve())
    # the fixture's databases ship as schema.sql only: all of its pairs lack a database
    assert stats["splits"]["train"]["pairs_without_database"] == 8
