"""Downloading Abg-CoQA's official files, with urlopen replaced (the tests run offline)."""

from __future__ import annotations

import io
import urllib.error
import urllib.request

import pytest
from act_bench_tasks.abg_coqa import download, task
from helpers import shared_data_dir

from act_bench.errors import DataError

NAMES = ("coqa_abg_train.json", "coqa_abg_val.json", "coqa_abg_test.json")


def test_file_urls_point_at_the_pinned_commit():
    assert download.file_url("validation") == (
        "https://raw.githubusercontent.com/MeiqiGuo/AKBC2021-Abg-CoQA/"
        "3fce317899212847c22e8a6d74dcb0f1b3cb4b56/abg-coqa/coqa_abg_val.json"
    )
    assert download.file_url("train").endswith("/abg-coqa/coqa_abg_train.json")


def test_pinned_blob_ids_match_the_shared_copies():
    folder = shared_data_dir() / "abg_coqa"
    present = [name for name in NAMES if (folder / name).is_file()]
    if not present:
        pytest.skip(f"no Abg-CoQA files under {folder}")
    for name in present:
        assert download.git_blob_id((folder / name).read_bytes()) == download.BLOB_IDS[name]


@pytest.fixture
def fake_files(monkeypatch):
    """Serve made-up contents for each file and accept them as the official blobs."""
    contents = {name: f'{{"version": "{name}", "data": []}}'.encode() for name in NAMES}
    monkeypatch.setattr(
        download, "BLOB_IDS", {name: download.git_blob_id(c) for name, c in contents.items()}
    )
    requested: list[str] = []

    def urlopen(url, timeout):
        requested.append(url)
        return io.BytesIO(contents[url.rsplit("/", 1)[-1]])

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return contents, requested


def test_download_writes_each_split_under_abg_coqa(tmp_path, fake_files):
    contents, requested = fake_files
    paths = task.download(tmp_path)
    assert paths == [tmp_path / "abg_coqa" / name for name in NAMES]
    assert [p.read_bytes() for p in paths] == [contents[p.name] for p in paths]
    assert requested == [download.file_url(split) for split in ("train", "validation", "test")]
    assert sorted(p.name for p in (tmp_path / "abg_coqa").iterdir()) == sorted(NAMES)
    # The task reads from where the download writes.
    assert task.data_files("validation", tmp_path) == paths[1]


def test_intact_files_are_not_fetched_again(tmp_path, fake_files):
    _, requested = fake_files
    task.download(tmp_path)
    (tmp_path / "abg_coqa" / "coqa_abg_test.json").write_text("damaged")
    requested.clear()
    task.download(tmp_path)
    assert requested == [download.file_url("test")]


def test_network_failure_is_a_data_error(tmp_path, monkeypatch):
    def urlopen(url, timeout):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with pytest.raises(DataError, match="could not download") as caught:
        download.download(tmp_path, ("validation",))
    assert "Name or service not known" in str(caught.value)
    assert caught.value.file == str(tmp_path / "abg_coqa" / "coqa_abg_val.json")
    assert list((tmp_path / "abg_coqa").iterdir()) == []


def test_http_error_names_the_status(tmp_path, monkeypatch):
    def urlopen(url, timeout):
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with pytest.raises(DataError, match="HTTP Error 404: Not Found"):
        download.download(tmp_path, ("train",))


def test_wrong_content_is_rejected_and_not_written(tmp_path, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b"{}"))
    with pytest.raises(DataError, match="does not match the official file"):
        download.download(tmp_path, ("validation",))
    assert list((tmp_path / "abg_coqa").iterdir()) == []
