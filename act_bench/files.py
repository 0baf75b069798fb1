"""Writing files so that a crash never leaves half of one: atomic replacement and JSONL logs.

Two habits, each written once here and used by every module that writes data:

- **Atomic replacement** (``results.json``, downloaded files, built AmbigSQL splits, Spider
  databases): the content goes to a temporary file in the target's folder, is flushed to
  disk, made world-readable (``mkstemp`` creates it private) and renamed over the target.
  A reader sees the old file or the whole new one, never a partial file under the real name.
- **Append-only JSONL** (``samples.jsonl``, trainer caches): finished records are appended,
  flushed and fsynced, so a killed run loses at most the line being written. Reading back
  drops that torn last line (no newline), and with ``repair`` cuts it from the file so the
  next append starts on a fresh line (STYLE.md, "Results and resumption").
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from act_bench.errors import DataError

FILE_MODE = 0o644


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path next to ``target`` to write into; renamed over ``target`` when the
    block finishes, deleted when it raises. For writers that need a path rather than bytes
    (SQLite); the block must close what it opened on the path before it ends."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    os.close(descriptor)
    try:
        yield Path(temporary)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomic(target: Path, content: bytes | str) -> Path:
    """Replace ``target`` with ``content`` (text is written as UTF-8), flushed to disk first."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    with atomic_path(target) as temporary, temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(target)


def write_json_atomic(target: Path, data: Any) -> Path:
    """Replace ``target`` with ``data`` as indented JSON and a final newline."""
    return write_atomic(target, json.dumps(data, indent=2) + "\n")


def append_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    """Append one JSON line per record, then flush and fsync: a finished line survives a kill."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_jsonl_lines(
    path: Path, *, repair: bool = False, strict: bool = False
) -> list[tuple[int, bytes]]:
    """The complete, non-blank lines of a JSONL file with their 1-based numbers.

    A last line without its newline (a run killed mid-write) is left out; with ``repair``
    it is also cut from the file; with ``strict`` (a file that should be finished) it is
    an error. A missing file has no lines.
    """
    path = Path(path)
    if not path.exists():
        return []
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    if tail.strip() and strict:
        raise DataError(
            "the last line is incomplete (no newline)", file=str(path), record=f"line {len(lines)}"
        )
    numbered = [(number, line) for number, line in enumerate(complete, start=1) if line.strip()]
    if tail.strip() and repair:
        with path.open("r+b") as handle:
            handle.truncate(len(raw) - len(tail))
    return numbered


def read_jsonl(path: Path, required: Sequence[str] = (), *, repair: bool = True) -> list[dict]:
    """The JSON objects of a JSONL file (torn last line handled as :func:`read_jsonl_lines`);
    a bad line, or one without a ``required`` field, raises naming the file, line and field."""
    records = []
    for number, line in read_jsonl_lines(path, repair=repair):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(
                f"invalid JSON: {error}", file=str(path), record=f"line {number}"
            ) from error
        if not isinstance(record, dict):
            raise DataError("expected a JSON object", file=str(path), record=f"line {number}")
        for key in required:
            if key not in record:
                raise DataError("missing field", file=str(path), record=f"line {number}", field=key)
        records.append(record)
    return records
