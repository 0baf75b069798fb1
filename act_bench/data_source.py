"""Which data a run read: a fingerprint that is part of the run's identity.

A run on the bundled sample and a run on the official files with the same flags are
different runs, and so are two runs over different versions of the same file. The
fingerprint names every data file the task read (path relative to the data root, size,
sha256), or for the bundled sample its kind and the act-bench version it ships with plus
the same per-file hashes; its ``digest`` enters the config hash (``evaluation.py``).

Files are recorded as the task opens them, through a Python audit hook, rather than
through a per-task "which files do you read" method: every task, present and future,
is covered without declaring anything, and what is recorded is what was actually read
(AmbigSQL, for instance, reads Spider's ``tables.json`` and schemas besides its split).
Recording is scoped to the calling thread and to a ``with recording_reads():`` block.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from act_bench import __version__

BUNDLED = "bundled-sample"
FILES = "files"
_CODE_SUFFIXES = frozenset({".py", ".pyc", ".pyo", ".so", ".pyd", ".pth"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


@dataclass(frozen=True, slots=True)
class DataFile:
    path: str  # relative to the data root when under it, else absolute
    bytes: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "bytes": self.bytes, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class DataSource:
    """The data a run read. ``kind`` is ``bundled-sample`` or ``files`` (a data root)."""

    kind: str
    root: str | None
    version: str | None
    files: tuple[DataFile, ...]

    @property
    def digest(self) -> str:
        """sha256 over the kind, version and file contents: equal iff the same data was read.

        Absolute locations are left out, so the same files at another path hash the same.
        """
        lines = [self.kind, self.version or ""]
        lines += sorted(f"{Path(f.path).name}\t{f.bytes}\t{f.sha256}" for f in self.files)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()

    @property
    def label(self) -> str:
        """Short text for the leaderboard: ``sample`` or ``data:<digest prefix>``."""
        return "sample" if self.kind == BUNDLED else f"data:{self.digest[:8]}"

    def identity(self) -> dict[str, Any]:
        """What enters the config hash."""
        return {"kind": self.kind, "version": self.version, "digest": self.digest}

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "root": self.root,
            "version": self.version,
            "digest": self.digest,
            "label": self.label,
            "files": [f.to_json() for f in self.files],
        }


class _Recorder:
    """One process-wide audit hook; each thread records only inside its own block."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._installed = False
        self._install_lock = threading.Lock()

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if event != "open":
            return
        reads = getattr(self._local, "reads", None)
        if reads is None:
            return
        path, mode, flags = args
        if isinstance(path, int) or path is None:
            return
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            return
        if mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS:
            return
        reads.append(os.fsdecode(path))

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        with self._install_lock:
            if not self._installed:
                sys.addaudithook(self._hook)
                self._installed = True
        outer = getattr(self._local, "reads", None)
        self._local.reads = reads = []
        try:
            yield reads
        finally:
            self._local.reads = outer
            if outer is not None:
                outer.extend(reads)


_RECORDER = _Recorder()


@contextmanager
def recording_reads() -> Iterator[list[str]]:
    """Collect the paths of files opened for reading by this thread inside the block."""
    with _RECORDER.recording() as reads:
        yield reads


def _sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def fingerprint(reads: list[str], data_dir: Path | None) -> DataSource:
    """The data source of a run that read ``reads`` (paths) from ``data_dir`` (None: sample)."""
    files: dict[str, DataFile] = {}
    for raw in reads:
        path = Path(raw).resolve()
        if path.suffix in _CODE_SUFFIXES or "__pycache__" in path.parts or not path.is_file():
            continue
        key = str(path)
        if key not in files:
            size, sha = _sha256(path)
            files[key] = DataFile(_relative(path, data_dir), size, sha)
    ordered = tuple(sorted(files.values(), key=lambda f: f.path))
    if data_dir is None:
        return DataSource(BUNDLED, None, __version__, ordered)
    return DataSource(FILES, str(data_dir), None, ordered)
