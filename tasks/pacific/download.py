"""Download PACIFIC's official files (Deng et al., 2022) from github.com/dengyang17/PACIFIC.

The files are fetched at a fixed commit and checked against the git blob ids of that
commit, so every user evaluates on the same bytes; each file is written atomically (a
temporary file in the same folder, then a rename), so an interrupted download never
leaves a partial file under the real name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from act_bench.errors import DataError

REPOSITORY = "dengyang17/PACIFIC"
# The commit the shared development copy comes from (its last, "Create LICENSE").
COMMIT = "66a52ad4fd9eb7ad71e82a5c0bfb1de226366827"
FILE_NAMES = {"train": "train.json", "validation": "validation.json", "test": "test.json"}
# Git blob ids of data/pacific/<file> at COMMIT (``git ls-tree``).
BLOB_IDS = {
    "train.json": "1fd0a1c33b982688564fdcde49f7f3101e74c282",
    "validation.json": "f3431ba51054abcd6919622a549833420ba9a47d",
    "test.json": "ab49cc94f0c5055db952b82f49ff9b6838942d9a",
}
TIMEOUT_S = 60.0


def file_url(split: str) -> str:
    """The raw URL of a split's file at the pinned commit."""
    return (
        f"https://raw.githubusercontent.com/{REPOSITORY}/{COMMIT}/data/pacific/{FILE_NAMES[split]}"
    )


def git_blob_id(content: bytes) -> str:
    """The id git gives a file's content (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def download(data_dir: Path, splits: tuple[str, ...] = tuple(FILE_NAMES)) -> list[Path]:
    """Write ``data_dir/pacific/<split>.json`` for each split; a file already intact is kept."""
    folder = data_dir / "pacific"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for split in splits:
        target = folder / FILE_NAMES[split]
        expected = BLOB_IDS[target.name]
        if not (target.exists() and git_blob_id(target.read_bytes()) == expected):
            content = _fetch(file_url(split), target)
            if git_blob_id(content) != expected:
                raise DataError(
                    f"downloaded {file_url(split)} does not match the official file "
                    f"(git blob {expected})",
                    file=str(target),
                    hint="try again; if it persists, the repository has changed",
                )
            _write_atomically(target, content)
        written.append(target)
    return written


def _fetch(url: str, target: Path) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return response.read()
    except (urllib.error.URLError, OSError) as error:
        # "HTTP Error 404: Not Found" for an HTTP error, the socket's reason otherwise.
        reason = error if isinstance(error, urllib.error.HTTPError) else _reason(error)
        raise DataError(
            f"could not download {url}: {reason}",
            file=str(target),
            hint=f"check the network connection, or save {url} as {target} by hand",
        ) from error


def _reason(error: OSError) -> object:
    return getattr(error, "reason", None) or error


def _write_atomically(target: Path, content: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes the file private to its owner
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
