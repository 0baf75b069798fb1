"""The local leaderboard: a SQLite file holding our submissions and the paper's reference rows.

One transaction per submission (``BEGIN IMMEDIATE``, so concurrent submitters queue on the
write lock instead of failing), WAL journaling so readers never block writers, and a
unique config hash among our runs so a run is not counted twice unless replaced.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from act_bench.errors import ConfigError
from act_bench.leaderboard.submission import Submission

LEADERBOARD_ENV = "ACT_BENCH_LEADERBOARD"
DEFAULT_PATH = Path("leaderboards") / "leaderboard.sqlite"
SCHEMA_VERSION = 2
SQLITE_HEADER = b"SQLite format 3\x00"
PAPER = "paper"
PAPER_SIMULATOR = "paper (Gemini Ultra user simulator)"
PAPER_CLASSIFIER = "paper (Gemini Ultra action classifier)"
PAPER_PROTOCOL = "act-paper"  # the paper's numbers come from the authors' evaluation code
OLDER_RUNS_PROTOCOL = "act-bench"  # rows submitted before protocols were recorded

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('ours', 'paper')),
    task TEXT NOT NULL,
    split TEXT NOT NULL,
    model TEXT NOT NULL,
    approach TEXT,
    simulator TEXT NOT NULL,
    action_classifier TEXT NOT NULL,
    prompt_style TEXT,
    num_shots INTEGER,
    conversations INTEGER,
    n_items INTEGER,
    config_hash TEXT NOT NULL UNIQUE,
    config_json TEXT NOT NULL,
    shots_json TEXT,
    act_bench_version TEXT,
    run_created TEXT,
    submitted_at TEXT NOT NULL,
    results_dir TEXT,
    reference TEXT,
    data_source TEXT,
    n_backend_errors INTEGER,
    protocol TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
    submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value REAL,
    PRIMARY KEY (submission_id, name)
);
CREATE INDEX IF NOT EXISTS submissions_task ON submissions(task, simulator, action_classifier);
CREATE TABLE IF NOT EXISTS metric_intervals (
    submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    low REAL NOT NULL,
    high REAL NOT NULL,
    PRIMARY KEY (submission_id, name)
);
"""
# Columns added after version 1, with their types: added to an older database on open.
ADDED_COLUMNS = {
    "data_source": "TEXT",
    "n_backend_errors": "INTEGER",
    "protocol": "TEXT",
    "num_trials": "INTEGER",
}


@dataclass(frozen=True, slots=True)
class Row:
    """A leaderboard row as shown: provenance plus metrics."""

    id: int
    name: str
    source: str
    task: str
    split: str
    model: str
    approach: str | None
    simulator: str
    action_classifier: str
    prompt_style: str | None
    num_shots: int | None
    conversations: int | None
    n_items: int | None
    config_hash: str
    submitted_at: str
    reference: str | None
    data_source: str | None
    n_backend_errors: int | None
    protocol: str
    metrics: dict[str, float | None]
    results_dir: str | None = None  # where the run was submitted from (ours only)
    # issue 16: 95 % bootstrap intervals by metric (runs that have them), trials per episode
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    num_trials: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "source": self.source,
            "task": self.task,
            "split": self.split,
            "model": self.model,
            "approach": self.approach,
            "simulator": self.simulator,
            "action_classifier": self.action_classifier,
            "prompt_style": self.prompt_style,
            "num_shots": self.num_shots,
            "conversations": self.conversations,
            "n_items": self.n_items,
            "config_hash": self.config_hash,
            "submitted_at": self.submitted_at,
            "reference": self.reference,
            "data_source": self.data_source,
            "n_backend_errors": self.n_backend_errors,
            "protocol": self.protocol,
            "metrics": self.metrics,
            "results_dir": self.results_dir,
            "intervals": {name: list(pair) for name, pair in self.intervals.items()},
            "num_trials": self.num_trials,
        }


class DuplicateSubmission(ConfigError):
    """A run with the same config hash is already on the board."""


def default_path() -> Path:
    return Path(os.environ.get(LEADERBOARD_ENV, DEFAULT_PATH))


class Leaderboard:
    """Open (and create on first use) the leaderboard database at ``path``."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        _check_database_path(self.path)
        with self._connection() as connection:
            connection.executescript(SCHEMA)
        with self._transaction() as connection:  # serialised: two openers never both ALTER
            _add_missing_columns(connection)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._seed_paper_rows()

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A connection; SQLite's own failures (not a database, unwritable, I/O) become one
        clear error naming the file instead of a traceback."""
        try:
            connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            with closing(connection):
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA foreign_keys=ON")
                connection.execute("PRAGMA busy_timeout=60000")
                yield connection
        except sqlite3.Error as error:
            raise ConfigError(
                f"cannot use the leaderboard database {self.path}: {error}",
                hint="pass --db with a writable .sqlite file path",
            ) from None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def submit(self, submission: Submission, *, replace: bool = False) -> int:
        """Store a run in one transaction; a duplicate config hash is refused unless ``replace``."""
        with self._transaction() as connection:
            existing = connection.execute(
                "SELECT id, name FROM submissions WHERE config_hash = ?", (submission.config_hash,)
            ).fetchone()
            if existing is not None and not replace:
                raise DuplicateSubmission(
                    f"a run with config hash {submission.config_hash[:12]} is already on the "
                    f"leaderboard as {existing[1]!r} (id {existing[0]})",
                    hint="pass --replace to overwrite it",
                )
            if existing is not None:
                connection.execute("DELETE FROM submissions WHERE id = ?", (existing[0],))
            return _insert(connection, submission)

    def remove(self, identifier: str) -> Row:
        """Delete one of our submissions, by id or by (a prefix of at least 8 of) its config
        hash; the paper's rows are not removable (hide them with ``--no-paper``)."""
        rows = [row for row in self.rows() if _matches(row, identifier)]
        if not rows:
            raise ConfigError(
                f"no leaderboard row has id or config hash {identifier!r}",
                hint="`act-bench leaderboard show` lists the rows; export --format csv their ids",
            )
        if len(rows) > 1:
            raise ConfigError(
                f"{identifier!r} matches {len(rows)} rows (ids "
                f"{', '.join(str(row.id) for row in rows)})",
                hint="pass the row's id or a longer config hash",
            )
        [row] = rows
        if row.source == PAPER:
            raise ConfigError(
                f"row {row.id} is one of the paper's published rows and cannot be removed",
                hint="hide the paper's rows with --no-paper",
            )
        with self._transaction() as connection:
            connection.execute("DELETE FROM submissions WHERE id = ?", (row.id,))
        return row

    def rows(
        self,
        *,
        task: str | None = None,
        simulator: str | None = None,
        include_paper: bool = True,
    ) -> list[Row]:
        clauses, params = [], []
        if task is not None:
            clauses.append("task = ?")
            params.append(task)
        if simulator is not None:
            clauses.append("simulator = ?")
            params.append(simulator)
        if not include_paper:
            clauses.append("source = 'ours'")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._connection() as connection:
            records = connection.execute(
                f"SELECT id, name, source, task, split, model, approach, simulator, "
                f"action_classifier, prompt_style, num_shots, conversations, n_items, config_hash, "
                f"submitted_at, reference, data_source, n_backend_errors, "
                f"CASE WHEN source = 'paper' THEN '{PAPER_PROTOCOL}' "
                f"ELSE COALESCE(protocol, '{OLDER_RUNS_PROTOCOL}') END, results_dir, num_trials "
                f"FROM submissions {where} ORDER BY id",
                params,
            ).fetchall()
            values: dict[int, dict[str, float | None]] = {}
            for submission_id, name, value in connection.execute(
                "SELECT submission_id, name, value FROM metrics"
            ):
                values.setdefault(submission_id, {})[name] = value
            intervals: dict[int, dict[str, tuple[float, float]]] = {}
            for submission_id, name, low, high in connection.execute(
                "SELECT submission_id, name, low, high FROM metric_intervals"
            ):
                intervals.setdefault(submission_id, {})[name] = (low, high)
        return [
            Row(
                *record[:-2],
                metrics=values.get(record[0], {}),
                results_dir=record[-2],
                intervals=intervals.get(record[0], {}),
                num_trials=record[-1],
            )
            for record in records
        ]

    def _seed_paper_rows(self) -> None:
        """The paper's published numbers, once per database, as rows marked ``paper``."""
        with self._transaction() as connection:
            for submission in paper_submissions():
                seen = connection.execute(
                    "SELECT 1 FROM submissions WHERE config_hash = ?", (submission.config_hash,)
                ).fetchone()
                if seen is None:
                    _insert(connection, submission)


def _insert(connection: sqlite3.Connection, s: Submission) -> int:
    cursor = connection.execute(
        "INSERT INTO submissions (name, source, task, split, model, approach, simulator, "
        "action_classifier, prompt_style, num_shots, conversations, n_items, config_hash, "
        "config_json, shots_json, act_bench_version, run_created, submitted_at, results_dir, "
        "reference, data_source, n_backend_errors, protocol, num_trials) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            s.name,
            s.source,
            s.task,
            s.split,
            s.model,
            s.approach,
            s.simulator,
            s.action_classifier,
            s.prompt_style,
            s.num_shots,
            s.conversations,
            s.n_items,
            s.config_hash,
            json.dumps(s.config, sort_keys=True),
            json.dumps(s.shots) if s.shots is not None else None,
            s.act_bench_version,
            s.run_created,
            datetime.now(UTC).isoformat(timespec="seconds"),
            s.results_dir,
            s.reference,
            s.data_source,
            s.n_backend_errors,
            s.protocol,
            s.num_trials if s.source != PAPER else None,
        ),
    )
    submission_id = int(cursor.lastrowid)
    connection.executemany(
        "INSERT INTO metrics (submission_id, name, value) VALUES (?, ?, ?)",
        [(submission_id, name, value) for name, value in s.metrics.items()],
    )
    connection.executemany(
        "INSERT INTO metric_intervals (submission_id, name, low, high) VALUES (?, ?, ?, ?)",
        [(submission_id, name, low, high) for name, (low, high) in s.intervals.items()],
    )
    return submission_id


def _check_database_path(path: Path) -> None:
    """The path can hold the leaderboard: absent (created here), or an SQLite file."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(
                f"cannot create the leaderboard database {path}: {error.strerror}",
                hint="pass --db with a path in a writable folder",
            ) from None
        return
    except OSError as error:
        raise ConfigError(f"cannot use the leaderboard database {path}: {error.strerror}") from None
    if stat.S_ISDIR(mode):
        raise ConfigError(
            f"--db {path} is a directory, not a database file",
            hint=f"pass a file path such as {path / 'leaderboard.sqlite'}",
        )
    if not stat.S_ISREG(mode):
        raise ConfigError(f"--db {path} is not a regular file (a device, pipe or socket)")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise ConfigError(
            f"cannot read the leaderboard database {path}: {error.strerror}"
        ) from None
    if header and header != SQLITE_HEADER:
        raise ConfigError(
            f"--db {path} is not an SQLite database",
            hint="pass a new path to create a leaderboard there",
        )


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    present = {row[1] for row in connection.execute("PRAGMA table_info(submissions)")}
    for column, kind in ADDED_COLUMNS.items():
        if column not in present:
            connection.execute(f"ALTER TABLE submissions ADD COLUMN {column} {kind}")


def _matches(row: Row, identifier: str) -> bool:
    text = identifier.strip()
    if text.isdigit() and int(text) == row.id:
        return True
    return len(text) >= 8 and row.config_hash.startswith(text)


def paper_tables() -> dict[str, Any]:
    """Tables 1-5 and A6-A9 of the paper as published (``paper_tables.json``)."""
    text = resources.files("act_bench.leaderboard").joinpath("paper_tables.json").read_text()
    return json.loads(text)["tables"]


def paper_submissions() -> list[Submission]:
    """One reference submission per row of the paper's tables."""
    submissions, seen = [], set()
    for table_id, table in paper_tables().items():
        for index, row in enumerate(table["rows"]):
            reference = f"{table_id}#{index}"
            key = (
                table["task"],
                row["base_model"],
                row["approach_id"],
                row["conversations"],
                _plain(row["approach"]),
            )
            if key in seen:  # Table 1's rows are repeated in Tables 4, 5, A7...
                continue
            seen.add(key)
            submissions.append(
                Submission(
                    name=f"{row['base_model']} · {row['approach']} · {row['conversations']}",
                    task=table["task"],
                    split=table["split"],
                    model=row["base_model"],
                    simulator=PAPER_SIMULATOR,
                    action_classifier=PAPER_CLASSIFIER,
                    prompt_style=None,
                    num_shots=row["conversations"] if _is_prompting(row) else 0,
                    conversations=None if _is_prompting(row) else row["conversations"],
                    n_items=None,
                    config_hash=f"paper:{reference}",
                    config={"reference": reference, "conversations": row["conversations"]},
                    metrics=dict(row["values"]),
                    act_bench_version=None,
                    run_created=None,
                    results_dir=None,
                    source=PAPER,
                    approach=row["approach_id"],
                    reference=reference,
                    protocol=PAPER_PROTOCOL,
                )
            )
    return submissions


def _is_prompting(row: dict[str, Any]) -> bool:
    return row["approach_id"] in {"standard", "cot", "proactive", "many-shot-icl"}


def _plain(approach: str) -> str:
    return re.sub(r"\((ours|full)\)", "", approach.lower()).strip()
