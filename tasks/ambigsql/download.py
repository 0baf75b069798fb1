"""``act-bench data download spider``: the official Spider 1.0 release (Yu et al., 2018).

The release is one zip file on Google Drive, linked from yale-lily.github.io/spider
(``spider_data.zip``: ``tables.json``, ``train_spider.json``, ``train_others.json``,
``dev.json``, the gold SQL files and ``database/``). It is streamed to a temporary file,
checked to be a zip (Drive answers some requests with an HTML page instead), and the files
AmbigSQL needs are extracted, refusing any member whose path would leave the target
folder. They land in ``<data_dir>/spider``; files already there are kept, so a partial
copy is completed rather than overwritten. Drive publishes no checksum, so the result is
checked by its layout: ``tables.json``, ``dev.json``, ``train_spider.json`` and
``database/`` must be present.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

from act_bench_tasks.ambigsql.spider import DEV_FILE, TABLES_FILE, SpiderLayout

from act_bench.errors import DataError

DRIVE_FILE_ID = "1403EGqzIDoHMdQF4c9Bkyl7dZLZ5Wt6J"
RELEASE_URL = (
    f"https://drive.usercontent.google.com/download?id={DRIVE_FILE_ID}&export=download&confirm=t"
)
LANDING_PAGE = "https://yale-lily.github.io/spider"
TIMEOUT_S = 120.0
CHUNK_BYTES = 1 << 20
# Members of the release that AmbigSQL uses (the test set and its databases are not).
WANTED_FILES = frozenset(
    {
        TABLES_FILE,
        DEV_FILE,
        "train_spider.json",
        "train_others.json",
        "dev_gold.sql",
        "train_gold.sql",
        "README.txt",
    }
)
WANTED_FOLDER = "database"


def download_spider(data_dir: Path, url: str = RELEASE_URL) -> list[Path]:
    """Download and unpack Spider into ``data_dir/spider``; returns the paths written."""
    target = Path(data_dir) / "spider"
    layout = SpiderLayout(target)
    if _complete(layout):
        return []
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".spider-download.") as scratch:
        archive = Path(scratch) / "spider.zip"
        _fetch(url, archive)
        extracted = Path(scratch) / "extracted"
        root = _extract(archive, extracted)
        written = _merge(root, target)
    if not _complete(layout):
        raise DataError(
            "the downloaded archive does not hold Spider's layout (tables.json, dev.json, "
            "train_spider.json, database/)",
            file=str(target),
            hint=f"download the release by hand from {LANDING_PAGE} and unzip it into {target}",
        )
    return written


def _complete(layout: SpiderLayout) -> bool:
    return (
        layout.tables_path.is_file()
        and layout.dev_path.is_file()
        and (layout.root / "train_spider.json").is_file()
        and (layout.root / WANTED_FOLDER).is_dir()
    )


def _fetch(url: str, destination: Path) -> None:
    try:
        with (
            urllib.request.urlopen(url, timeout=TIMEOUT_S) as response,
            destination.open("wb") as handle,
        ):
            while chunk := response.read(CHUNK_BYTES):
                handle.write(chunk)
    except (urllib.error.URLError, OSError) as error:
        raise DataError(
            f"could not download {url}: {getattr(error, 'reason', None) or error}",
            file=str(destination),
            hint=f"check the network connection, or download the release from {LANDING_PAGE}",
        ) from error
    if not zipfile.is_zipfile(destination):
        raise DataError(
            f"{url} did not return a zip file (Google Drive may have answered with a web page)",
            file=str(destination),
            hint=f"download spider_data.zip by hand from {LANDING_PAGE} and unzip it into "
            f"{destination.parent.parent.parent / 'spider'}",
        )


def _member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise DataError(f"unsafe path in the archive: {name!r}", record=name)
    return path


def _extract(archive: Path, destination: Path) -> Path:
    """Extract the wanted members; returns the folder that holds ``tables.json``."""
    with zipfile.ZipFile(archive) as bundle:
        names = [_member_path(n) for n in bundle.namelist()]
        tables = [p for p in names if p.name == TABLES_FILE and WANTED_FOLDER not in p.parts]
        if not tables:
            raise DataError(f"no {TABLES_FILE} in the archive", file=str(archive))
        root = min(tables, key=lambda p: len(p.parts)).parent
        for info, path in zip(bundle.infolist(), names, strict=True):
            relative = path.relative_to(root) if path.is_relative_to(root) else None
            if relative is None or info.is_dir() or not _wanted(relative):
                continue
            out = destination.joinpath(*relative.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(info) as source, out.open("wb") as sink:
                shutil.copyfileobj(source, sink, CHUNK_BYTES)
    return destination


def _wanted(relative: PurePosixPath) -> bool:
    if len(relative.parts) == 1:
        return relative.name in WANTED_FILES
    return relative.parts[0] == WANTED_FOLDER and not relative.name.startswith(".")


def _merge(source: Path, target: Path) -> list[Path]:
    """Move every file of ``source`` into ``target`` where ``target`` lacks it."""
    written = []
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        destination = target / path.relative_to(source)
        if destination.exists():
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, destination)
        written.append(destination)
    return written
