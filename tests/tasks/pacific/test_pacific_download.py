"""Downloading the official files, with urlopen replaced (the tests run offline)."""

from __future__ import annotations

import io
import urllib.error
import urllib.request

import pytest
from act_bench_tasks.pacific import download, task

from act_bench.errors import DataError


def test_file_urls_point_at_the_pinned_commit():
    assert download.file_url("validation") == (
        "https://raw.githubusercontent.com/dengyang17/PACIFIC/"
        "66a52ad4fd9eb7ad71e82a5c0bfb1de226366827/data/pacific/validation.json"
    )
    assert download.file_url("train").endswith("/data/pacific/train.json")


def test_git_blob_id_matches_git_hash_object():
    # `printf 'hello\n' | git hash-object --stdin`
    assert download.git_blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


@pytest.fixture
def fake_files(monkeypatch):
    """Serve made-up contents for each file and accept them as the official blobs."""
    contents = {name: f'[{{"file": "{name}"}}]'.encode() for name in download.BLOB_IDS}
    monkeypatch.setattr(
        download, "BLOB_IDS", {name: download.git_blob_id(c) for name, c in contents.items()}
    )
    requested: list[str] = []

    def urlopen(url, timeout):
        requested.append(url)
        return io.BytesIO(contents[url.rsplit("/", 1)[-1]])

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return contents, requested


def test_download_writes_each_split(tmp_path, fake_files):
    contents, requested = fake_files
    paths = task.download(tmp_path)
    names = ("train.json", "validation.json", "test.json")
    assert paths == [tmp_path / "pacific" / name for name in names]
    assert [p.read_bytes() for p in paths] == [contents[p.name] for p in paths]
    assert requested == [download.file_url(split) for split in ("train", "validation", "test")]
    assert sorted(p.name for p in (tmp_path / "pacific").iterdir()) == sorted(contents)


def test_intact_files_are_not_fetched_again(tmp_path, fake_files):
    _, requested = fake_files
    task.download(tmp_path)
    (tmp_path / "pacific" / "test.json").write_text("damaged")
    requested.clear()
    task.download(tmp_path)
    assert requested == [download.file_url("test")]


def test_network_failure_is_a_data_error(tmp_path, monkeypatch):
    def urlopen(url, timeout):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with pytest.raises(DataError, match="could not download") as caught:
        download.download(tmp_path, ("validation",))
    assert download.file_url("validation") in str(caught.value)
    assert "Name or service not known" in str(caught.value)
    assert caught.value.file == str(tmp_path / "pacific" / "validation.json")
    assert list((tmp_path / "pacific").iterdir()) == []


def test_http_error_names_the_status(tmp_path, monkeypatch):
    def urlopen(url, timeout):
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with pytest.raises(DataError, match="HTTP Error 404: Not Found"):
        download.download(tmp_path, ("train",))


def test_wrong_content_is_rejected_and_not_written(tmp_path, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b"[]"))
    with pytest.raises(DataError, match="does not match the official file"):
        download.download(tmp_path, ("validation",))
    assert list((tmp_path / "pacific").iterdir()) == []
