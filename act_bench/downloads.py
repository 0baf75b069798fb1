"""Downloading a dataset's official files at a pinned commit, checked by git blob id.

A task that ships its data in a git repository names the commit and the blob id of each
file there (``git ls-tree``); every user then evaluates on the same bytes. A file already
present with the right blob id is kept; one fetched with the wrong content is refused and
not written; each file is written atomically (:func:`act_bench.files.write_atomic`), so an
interrupted download never leaves a partial file under the real name.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from act_bench.errors import DataError
from act_bench.files import write_atomic

TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class PinnedFile:
    """One file to download: where from, where to, and the git blob id it must have."""

    url: str
    target: Path
    blob_id: str


def git_blob_id(content: bytes) -> str:
    """The id git gives a file's content (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def download_pinned(files: Sequence[PinnedFile], *, timeout_s: float = TIMEOUT_S) -> list[Path]:
    """Write each file whose target is missing or differs from its blob; returns every target."""
    written = []
    for file in files:
        target = Path(file.target)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not (target.exists() and git_blob_id(target.read_bytes()) == file.blob_id):
            content = fetch(file.url, target, timeout_s=timeout_s)
            if git_blob_id(content) != file.blob_id:
                raise DataError(
                    f"downloaded {file.url} does not match the official file "
                    f"(git blob {file.blob_id})",
                    file=str(target),
                    hint="try again; if it persists, the repository has changed",
                )
            write_atomic(target, content)
        written.append(target)
    return written


def fetch(url: str, target: Path, *, timeout_s: float = TIMEOUT_S) -> bytes:
    """The body at ``url``; a network or HTTP failure is a DataError naming ``target``."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.read()
    except (urllib.error.URLError, OSError) as error:
        # "HTTP Error 404: Not Found" for an HTTP error, the socket's reason otherwise.
        reason = (
            error
            if isinstance(error, urllib.error.HTTPError)
            else getattr(error, "reason", None) or error
        )
        raise DataError(
            f"could not download {url}: {reason}",
            file=str(target),
            hint=f"check the network connection, or save {url} as {target} by hand",
        ) from error
