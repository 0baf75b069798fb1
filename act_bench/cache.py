"""A response cache for model calls, in SQLite under the user cache directory (issue 16).

An evaluation with an LLM user simulator and an LLM action classifier pays for every
auxiliary call again on every re-run; lm-eval users rely on its ``--use_cache`` for the
same reason. Every model call that is not the policy under test goes through this cache
(the simulator's two steps, the classifier, DPO-Dist's generators, ACT's model M, the
AmbigSQL LLM generator); the policy only with ``--cache-policy``, so trials still sample.

- **Key**: sha256 over the canonical JSON of the model spec, the backend options that
  change outputs (device, dtype, API base; not timeouts, concurrency or keys), the
  sampling parameters including the seed, and the rendered messages. Anything else that
  changes a reply changes one of these.
- **Where**: ``--cache-dir``, else ``$ACT_BENCH_CACHE``, else the user cache directory
  (``platformdirs``), file ``responses.sqlite``; ``--no-cache`` turns it off.
- **Concurrency**: SQLite in WAL mode with a busy timeout; each insert is its own
  transaction, so concurrent writers (two evaluations, a DataLoader's workers) interleave
  safely; a process opens its own connection (also after a fork).
- **Torn writes**: a row holds its value and the sha256 of that value; a row whose value
  does not match its checksum (a disk that lied about a write) is a miss and is replaced.
  Failed generations are never stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from act_bench.backends.base import BackendOptions, Generation, SamplingParams
from act_bench.errors import ConfigError
from act_bench.paths import cache_root
from act_bench.types import Message

CACHE_FILE = "responses.sqlite"
SCHEMA_VERSION = 1  # part of every key: a change of what is stored starts a fresh namespace


def default_directory() -> Path:
    """The response cache's folder without ``--cache-dir`` (the tests point it elsewhere)."""
    return cache_root()


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """Whether and where to cache responses; the same flags on every command.

    ``enabled`` is ``--cache/--no-cache``; ``directory`` is ``--cache-dir`` (None: the
    default of :func:`cache_root`); ``policy`` is ``--cache-policy``.
    """

    enabled: bool = True
    directory: str | None = None
    policy: bool = False

    def path(self) -> Path:
        root = Path(self.directory).expanduser() if self.directory else default_directory()
        return root / CACHE_FILE

    def open(self) -> ResponseCache | None:
        return ResponseCache(self.path()) if self.enabled else None


def response_key(
    spec: str,
    options: BackendOptions,
    sampling: SamplingParams,
    messages: Sequence[Message],
) -> str:
    """The cache key of one call (module docstring)."""
    material = {
        "version": SCHEMA_VERSION,
        "spec": spec,
        "backend": {"device": options.device, "dtype": options.dtype, "api_base": options.api_base},
        "sampling": sampling.to_json(),
        "messages": [[message.role.value, message.content] for message in messages],
    }
    canonical = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _encode(generation: Generation) -> str:
    return json.dumps(
        {
            "text": generation.text,
            "prompt_tokens": generation.prompt_tokens,
            "cached_prompt_tokens": generation.cached_prompt_tokens,
            "completion_tokens": generation.completion_tokens,
            "latency_s": generation.latency_s,
            "cost_usd": generation.cost_usd,
        },
        sort_keys=True,
        ensure_ascii=False,
    )


def _decode(value: str) -> Generation | None:
    try:
        data: dict[str, Any] = json.loads(value)
        return Generation(
            text=str(data["text"]),
            prompt_tokens=int(data["prompt_tokens"]),
            cached_prompt_tokens=int(data["cached_prompt_tokens"]),
            completion_tokens=int(data["completion_tokens"]),
            latency_s=float(data["latency_s"]),
            cost_usd=float(data["cost_usd"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _checksum(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class ResponseCache:
    """Stored generations by :func:`response_key` (module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid: int | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(
                    self.path, timeout=60.0, isolation_level=None, check_same_thread=False
                )
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS responses ("
                    "key TEXT PRIMARY KEY, value TEXT NOT NULL, checksum TEXT NOT NULL)"
                )
            except (OSError, sqlite3.Error) as error:
                raise ConfigError(
                    f"cannot open the response cache {self.path}: {error}",
                    hint="pass --cache-dir DIR (a writable folder), or --no-cache",
                ) from None
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    def get_many(self, keys: Sequence[str]) -> dict[str, Generation]:
        """The stored generations of those ``keys`` that have a sound row."""
        if not keys:
            return {}
        found: dict[str, Generation] = {}
        with self._lock:
            connection = self._connect()
            unique = list(dict.fromkeys(keys))
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT key, value, checksum FROM responses WHERE key IN ({marks})", chunk
                ).fetchall()
                for key, value, checksum in rows:
                    generation = _decode(value) if _checksum(value) == checksum else None
                    if generation is not None:
                        found[key] = generation
        return found

    def put_many(self, entries: Sequence[tuple[str, Generation]]) -> None:
        """Store successful generations (one transaction; failed ones are skipped)."""
        rows = [
            (key, value, _checksum(value))
            for key, generation in entries
            if generation.error is None
            for value in (_encode(generation),)
        ]
        if not rows:
            return
        with self._lock:
            connection = self._connect()
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany(
                    "INSERT OR REPLACE INTO responses (key, value, checksum) VALUES (?, ?, ?)",
                    rows,
                )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None
