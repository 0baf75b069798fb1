"""A run directory: ``results.json`` (metrics, config, provenance) and ``samples.jsonl``.

Samples are appended and flushed one line per finished item, so a killed run loses at
most the line being written; ``--resume`` reads them back, skips finished ids and
recomputes metrics over every line (STYLE.md, "Results and resumption").
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from act_bench.errors import ConfigError, DataError
from act_bench.files import append_jsonl, read_jsonl_lines, write_atomic, write_json_atomic
from act_bench.results_schema import RunResults, validate_results
from act_bench.types import EpisodeRecord

RESULTS_FILE = "results.json"
SAMPLES_FILE = "samples.jsonl"
LOCK_FILE = ".lock"


def config_hash(config: dict[str, Any]) -> str:
    """A stable hash of a config: sha256 over its canonical JSON."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def read_samples(path: Path, *, repair: bool = False, strict: bool = False) -> list[EpisodeRecord]:
    """Read ``samples.jsonl``. A truncated last line (a run killed mid-write) is dropped,
    and with ``repair`` cut from the file; with ``strict`` (a finished run being submitted)
    it is an error, as is a bad line anywhere else. An id that appears twice is an error:
    metrics over it would count one item twice."""
    records: list[EpisodeRecord] = []
    first_line: dict[tuple[str, int], int] = {}
    for number, line in read_jsonl_lines(path, repair=repair, strict=strict):
        try:
            record = EpisodeRecord.from_json(json.loads(line))
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, ValueError, TypeError) as error:
            raise DataError(
                f"invalid sample line: {error}", file=str(path), record=f"line {number}"
            ) from error
        if record.key in first_line:
            trial = f" in trial {record.trial}" if record.trial else ""
            raise DataError(
                f"item id {record.id!r} appears twice{trial} "
                f"(first on line {first_line[record.key]})",
                file=str(path),
                record=f"line {number}",
                field="id",
                hint="remove the repeated line (or the run directory) and --resume again",
            )
        first_line[record.key] = number
        records.append(record)
    return records


def regular_file(path: Path, what: str) -> Path:
    """``path`` if it is a regular file (not a symlink, a directory or a device), else an error."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        raise DataError(f"{what} is missing", file=str(path)) from None
    if stat.S_ISLNK(mode):
        raise DataError(f"{what} is a symbolic link, not a regular file", file=str(path))
    if not stat.S_ISREG(mode):
        raise DataError(f"{what} is not a regular file", file=str(path))
    return path


def load_results(path: Path) -> RunResults:
    """Read and validate a ``results.json`` (schema, then config hash against config)."""
    regular_file(path, "results.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        problem = f"results.json is not UTF-8 text ({error.reason})"
        raise DataError(problem, file=str(path)) from None
    except json.JSONDecodeError as error:
        problem = f"results.json is not JSON ({error.msg} at line {error.lineno})"
        raise DataError(problem, file=str(path)) from None
    results = validate_results(data, file=str(path))
    if config_hash(results.config) != results.config_hash:
        raise DataError("config_hash does not match config", file=str(path), field="config_hash")
    return results


class RunDirectory:
    """The files of one evaluation run."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.results_path = self.path / RESULTS_FILE
        self.samples_path = self.path / SAMPLES_FILE
        self.lock_path = self.path / LOCK_FILE

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold an exclusive lock on the directory for the block; a second writer is refused.

        ``flock`` on ``.lock``: released by the kernel when the process dies, so a killed
        run never leaves a stale lock behind. The lock file itself is never removed (removing
        it would let two writers lock two different files).
        """
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError(f"--output-dir {self.path} exists and is not a directory")
        self.path.mkdir(parents=True, exist_ok=True)
        handle = self.lock_path.open("a+")
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise ConfigError(
                    f"{self.path} is in use by another act-bench run ({holder})",
                    hint="wait for it to finish, or choose another --output-dir",
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}\n")
            handle.flush()
            yield
        finally:
            handle.close()

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
        if existing is not None and existing.config_hash != config_hash(config):
            raise ConfigError(
                f"cannot resume {self.path}: it was started with a different configuration"
                f"{_difference(existing.config, config)}",
                hint="resume with the same flags and data, or choose another --output-dir",
            )
        return read_samples(self.samples_path, repair=True)

    def read_results(self) -> RunResults | None:
        if not self.results_path.exists() and not self.results_path.is_symlink():
            return None
        return load_results(self.results_path)

    def append(self, records: Iterable[EpisodeRecord]) -> None:
        """Append finished records and flush them to disk."""
        append_jsonl(self.samples_path, (record.to_json() for record in records))

    def drop_samples(self, keys: set[tuple[str, int]]) -> None:
        """Rewrite samples.jsonl without the lines of ``keys`` ((id, trial) pairs;
        atomically, other lines kept byte for byte), so those episodes can be run again
        without repeating a line."""

        def key(line: bytes) -> tuple[str, int]:
            data = json.loads(line)
            return (data["id"], data.get("trial", 0))

        kept = [
            line
            for line in self.samples_path.read_bytes().splitlines(keepends=True)
            if line.strip() and key(line) not in keys
        ]
        write_atomic(self.samples_path, b"".join(kept))

    def write_results(self, results: RunResults | dict[str, Any]) -> None:
        """Write the run's results atomically; a dict is validated against the shared
        schema first (:class:`RunResults`, which is what evaluation builds)."""
        if not isinstance(results, RunResults):
            results = validate_results(results, file=str(self.results_path))
        write_json_atomic(self.results_path, results.to_json())


def _difference(before: dict[str, Any], now: dict[str, Any]) -> str:
    """Which settings changed, for the refusal message (the data source first)."""
    changed = sorted(
        (key for key in before.keys() | now.keys() if before.get(key) != now.get(key)),
        key=lambda key: (key != "data_source", key),
    )
    if not changed:
        return ""
    if changed[0] == "data_source" and "data_source" not in before:
        return ": it was started by an act-bench that did not record its data source"
    if changed[0] == "data_source":
        was, is_now = (_data_kind(before), _data_kind(now))
        if was != is_now:
            return (
                f": it read {was}, this run would read {is_now} "
                "(set $ACT_BENCH_DATA or pass --data-dir as when it started)"
            )
        return ": the data files differ from the ones it read"
    return f" ({', '.join(changed)} changed)"


def _data_kind(config: dict[str, Any]) -> str:
    kind = (config.get("data_source") or {}).get("kind")
    return "the bundled sample" if kind == "bundled-sample" else "a data root"
