"""A run directory: ``results.json`` (metrics, config, provenance) and ``samples.jsonl``.

Samples are appended and flushed one line per finished item, so a killed run loses at
most the line being written; ``--resume`` reads them back, skips finished ids and
recomputes metrics over every line (STYLE.md, "Results and resumption").
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from act_bench.errors import ConfigError, DataError
from act_bench.types import EpisodeRecord

RESULTS_FILE = "results.json"
SAMPLES_FILE = "samples.jsonl"


def config_hash(config: dict[str, Any]) -> str:
    """A stable hash of a config: sha256 over its canonical JSON."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON through a temporary file and a rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, sort_keys=False)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_samples(path: Path, *, repair: bool = False) -> list[EpisodeRecord]:
    """Read ``samples.jsonl``. A truncated last line (a run killed mid-write) is dropped,
    and with ``repair`` cut from the file; a bad line anywhere else is an error."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    records: list[EpisodeRecord] = []
    for number, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            records.append(EpisodeRecord.from_json(json.loads(line)))
        except (json.JSONDecodeError, KeyError, ValueError, TypeError) as error:
            raise DataError(
                f"invalid sample line: {error}", file=str(path), record=f"line {number}"
            ) from error
    if tail.strip() and repair:
        with path.open("r+b") as handle:
            handle.truncate(len(raw) - len(tail))
    return records


class RunDirectory:
    """The files of one evaluation run."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.results_path = self.path / RESULTS_FILE
        self.samples_path = self.path / SAMPLES_FILE

    def prepare(self, config: dict[str, Any], *, resume: bool) -> list[EpisodeRecord]:
        """Create the directory and return the records already finished (when resuming).

        Resuming under a different config is refused: the metrics would mix two runs.
        Starting afresh over an existing run is refused too, so nothing is lost silently.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        existing = self.read_results()
        if not resume:
            if self.samples_path.exists() and self.samples_path.stat().st_size > 0:
                raise ConfigError(
                    f"{self.path} already holds a run",
                    hint="pass --resume to continue it, or choose another --output-dir",
                )
            return []
        if existing is not None and existing.get("config_hash") != config_hash(config):
            raise ConfigError(
                f"cannot resume {self.path}: it was started with a different configuration",
                hint="resume with the same flags, or choose another --output-dir",
            )
        return read_samples(self.samples_path, repair=True)

    def read_results(self) -> dict[str, Any] | None:
        if not self.results_path.exists():
            return None
        try:
            return json.loads(self.results_path.read_text())
        except json.JSONDecodeError as error:
            raise DataError(f"invalid JSON: {error}", file=str(self.results_path)) from error

    def append(self, records: Iterable[EpisodeRecord]) -> None:
        """Append finished records and flush them to disk."""
        with self.samples_path.open("a") as handle:
            for record in records:
                handle.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def write_results(self, results: dict[str, Any]) -> None:
        write_json_atomic(self.results_path, results)
