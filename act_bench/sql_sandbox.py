"""Run untrusted, model-written SQL against a SQLite database without letting it do harm.

Execution match (§4.1.3, App. D) runs whatever SQL a policy wrote. Every query gets its own
connection, opened and closed around it, with these guards, each enough on its own for
what it covers and together defence in depth:

1. **Read-only open.** The file is opened through a SQLite URI with ``mode=ro``: SQLite
   itself refuses to write it, to create a journal beside it, or to create it when missing.
2. **Read-only statements.** The text must be one statement that starts like a query
   (``SELECT``, ``WITH``, ``VALUES`` or a parenthesis); anything else (``ATTACH``,
   ``PRAGMA``, ``VACUUM INTO``, DML, DDL) is refused before SQLite sees it.
3. **Authorizer.** While the statement compiles, SQLite asks :func:`_authorize` about every
   action; only reading tables and columns, ``SELECT``, recursive CTEs and functions are
   allowed. Everything else (``ATTACH``, writes, ``PRAGMA``, temporary tables, transactions)
   is denied, and so are the functions of :data:`DENIED_FUNCTIONS` (``load_extension``).
   This also covers a write hidden behind a CTE (``WITH x AS (...) INSERT ...``).
4. **Limits.** ``SQLITE_LIMIT_ATTACHED`` is 0 (no database can be attached at all);
   strings and blobs are capped (``randomblob(2e9)`` fails instead of allocating), and so
   is the length of the SQL text.
5. **Time.** A progress handler interrupts the statement once its deadline passes (an
   endless recursive CTE, a ten-way cross join); it runs inside SQLite's VM, so it also
   stops work done while rows are fetched.
6. **Rows.** At most ``max_rows`` rows are fetched; a query that returns more is stopped.

Errors never escape: :func:`run_query` returns a :class:`QueryOutcome` whose ``error`` says
what happened and ``status`` classifies it.
"""

from __future__ import annotations

import enum
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Functions a query may not call even though SQLite may provide them.
DENIED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer"})

_ALLOWED_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
# A leading comment, then the first word of the statement.
_LEADING_COMMENTS = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
_QUERY_START = re.compile(r"(?:select|with|values)\b|\(", re.IGNORECASE)
# How SQLite and the sqlite3 module word a refusal (authorizer, more than one statement).
_REFUSALS = ("not authorized", "authorization denied", "one statement at a time")
_PROGRESS_EVERY = 2_000  # SQLite VM instructions between deadline checks
_FETCH_BATCH = 1_024


class QueryStatus(enum.StrEnum):
    """How a sandboxed query ended."""

    OK = "ok"
    REFUSED = "refused"  # not a read-only query, or denied by the authorizer
    TIMEOUT = "timeout"
    ROW_LIMIT = "row_limit"
    SQL_ERROR = "sql_error"  # invalid SQL, unknown table, a runtime error
    DATABASE_MISSING = "database_missing"


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Bounds on one query. ``timeout_s`` covers executing and fetching."""

    timeout_s: float = 5.0
    max_rows: int = 100_000
    max_value_bytes: int = 10_000_000
    max_sql_bytes: int = 100_000


DEFAULT_LIMITS = SandboxLimits()


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    """The rows a query returned (``status`` OK), or why there are none."""

    status: QueryStatus
    rows: tuple[tuple[Any, ...], ...] | None = None
    error: str | None = None
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is QueryStatus.OK


def _authorize(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
    """SQLite's authorizer callback: allow reads, deny everything else (guard 3)."""
    if action not in _ALLOWED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def looks_like_query(sql: str) -> bool:
    """Whether the statement starts like a read-only query (guard 2)."""
    body = _LEADING_COMMENTS.sub("", sql, count=1)
    return bool(_QUERY_START.match(body))


def open_read_only(db_path: Path, limits: SandboxLimits = DEFAULT_LIMITS) -> sqlite3.Connection:
    """A private read-only connection with the authorizer and limits installed (guards 1, 3, 4).

    The text factory decodes invalid UTF-8 leniently, as Spider's evaluator does (several
    Spider databases hold such bytes).
    """
    uri = f"{Path(db_path).resolve().as_uri()}?mode=ro"
    connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        if hasattr(connection, "enable_load_extension"):
            connection.enable_load_extension(False)
        connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, limits.max_value_bytes)
        connection.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, limits.max_sql_bytes)
        connection.set_authorizer(_authorize)
        connection.text_factory = lambda raw: raw.decode(errors="ignore")
    except BaseException:
        connection.close()
        raise
    return connection


def run_query(
    db_path: str | Path, sql: str, limits: SandboxLimits = DEFAULT_LIMITS
) -> QueryOutcome:
    """Execute ``sql`` on ``db_path`` inside the sandbox; never raises for a bad query."""
    started = time.monotonic()
    path = Path(db_path)
    if not path.is_file():
        return QueryOutcome(QueryStatus.DATABASE_MISSING, error=f"no database file at {path}")
    if not looks_like_query(sql):
        return QueryOutcome(
            QueryStatus.REFUSED,
            error="only read-only queries (SELECT, WITH, VALUES) are executed",
            elapsed_s=time.monotonic() - started,
        )
    deadline = started + limits.timeout_s
    timed_out = False

    def past_deadline() -> int:
        nonlocal timed_out
        timed_out = time.monotonic() > deadline
        return int(timed_out)

    try:
        connection = open_read_only(path, limits)
    except sqlite3.Error as error:
        return QueryOutcome(QueryStatus.SQL_ERROR, error=f"cannot open database: {error}")
    connection.set_progress_handler(past_deadline, _PROGRESS_EVERY)
    try:
        rows, status = _fetch(connection, sql, limits.max_rows)
    except sqlite3.DatabaseError as error:
        status = _classify(error, timed_out)
        return QueryOutcome(
            status, error=_message(status, error, limits), elapsed_s=_since(started)
        )
    except (sqlite3.Error, ValueError, OverflowError) as error:
        return QueryOutcome(QueryStatus.SQL_ERROR, error=str(error), elapsed_s=_since(started))
    finally:
        connection.close()
    if status is QueryStatus.ROW_LIMIT:
        return QueryOutcome(
            status,
            error=f"the query returned more than {limits.max_rows} rows",
            elapsed_s=_since(started),
        )
    return QueryOutcome(QueryStatus.OK, rows=rows, elapsed_s=_since(started))


def _fetch(
    connection: sqlite3.Connection, sql: str, max_rows: int
) -> tuple[tuple[tuple[Any, ...], ...] | None, QueryStatus]:
    cursor = connection.execute(sql)
    rows: list[tuple[Any, ...]] = []
    while batch := cursor.fetchmany(_FETCH_BATCH):
        rows.extend(batch)
        if len(rows) > max_rows:
            return None, QueryStatus.ROW_LIMIT
    return tuple(rows), QueryStatus.OK


def _classify(error: sqlite3.DatabaseError, timed_out: bool) -> QueryStatus:
    if timed_out or "interrupted" in str(error):
        return QueryStatus.TIMEOUT
    if any(reason in str(error) for reason in _REFUSALS):
        return QueryStatus.REFUSED
    return QueryStatus.SQL_ERROR


def _message(status: QueryStatus, error: Exception, limits: SandboxLimits) -> str:
    if status is QueryStatus.TIMEOUT:
        return f"the query ran longer than {limits.timeout_s:g} s and was stopped"
    return str(error)


def _since(started: float) -> float:
    return time.monotonic() - started
