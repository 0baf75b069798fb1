"""Download Abg-CoQA's official files (Guo et al., 2021) from
github.com/MeiqiGuo/AKBC2021-Abg-CoQA.

As for PACIFIC: the files are fetched at a fixed commit and checked against the git blob
ids of that commit, so every user evaluates on the same bytes, and each file is written
atomically (a temporary file in the same folder, then a rename), so an interrupted
download never leaves a partial file under the real name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from act_bench.errors import DataError

REPOSITORY = "MeiqiGuo/AKBC2021-Abg-CoQA"
# The repository's last commit ("Update README.md"), the one the shared development copy
# comes from.
COMMIT = "3fce317899212847c22e8a6d74dcb0f1b3cb4b56"
REPOSITORY_FOLDER = "abg-coqa"
# Where the files go under a data root; the task's name has a hyphen, the folder does not.
DATA_FOLDER = "abg_coqa"
FILE_NAMES = {
    "train": "coqa_abg_train.json",
    "validation": "coqa_abg_val.json",
    "test": "coqa_abg_test.json",
}
# Git blob ids of abg-coqa/<file> at COMMIT (``git ls-tree``).
BLOB_IDS = {
    "coqa_abg_train.json": "abcfad2a91bdecb4efc97d471cc62bea3496f777",
    "coqa_abg_val.json": "0d69ebae94e027793161317336982fb671ddb615",
    "coqa_abg_test.json": "83fbb9da39414478b6fae43b2674f5b3e5a9d8f2",
}
TIMEOUT_S = 60.0


def file_url(split: str) -> str:
    """The raw URL of a split's file at the pinned commit."""
    return (
        f"https://raw.githubusercontent.com/{REPOSITORY}/{COMMIT}/"
        f"{REPOSITORY_FOLDER}/{FILE_NAMES[split]}"
    )


def git_blob_id(content: bytes) -> str:
    """The id git gives a file's content (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def download(data_dir: Path, splits: tuple[str, ...] = tuple(FILE_NAMES)) -> list[Path]:
    """Write ``data_dir/abg_coqa/<file>`` for each split; a file already intact is kept."""
    folder = data_dir / DATA_FOLDER
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
