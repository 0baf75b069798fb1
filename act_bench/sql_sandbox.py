"""Run untrusted, model-written SQL against a SQLite database without letting it do harm.

Execution match (§4.1.3, App. D) runs whatever SQL a policy wrote. :func:`run_query` and
:func:`run_queries` run it in a separate worker process (:mod:`act_bench.sql_worker`),
so that nothing a query does (a C function that never returns, an allocation of many
gigabytes) can stall or kill the evaluation. Inside the worker every query runs on a
connection with these guards (kept open per database file, see
:class:`ReadOnlyConnections`), each enough on its own for what it covers and together
defence in depth:

1. **Read-only open.** The file is opened through a SQLite URI with ``mode=ro``: SQLite
   itself refuses to write it, to create a journal beside it, or to create it when missing.
2. **Read-only statements.** The text must be one statement that starts like a query
   (``SELECT``, ``WITH``, ``VALUES`` or a parenthesis); anything else (``ATTACH``,
   ``PRAGMA``, ``VACUUM INTO``, DML, DDL) is refused before SQLite sees it.
3. **Authorizer.** While the statement compiles, SQLite asks :func:`_authorize` about every
   action; only reading tables and columns, ``SELECT``, recursive CTEs and functions are
   allowed. Everything else (``ATTACH``, writes, ``PRAGMA``, temporary tables, transactions)
   is denied, and so are the functions of :data:`DENIED_FUNCTIONS` (``load_extension``).
   This also covers a write hidden behind a CTE (``WITH x AS (...) INSERT ...``). The JSON
   table-valued functions (``json_each``, ``json_tree``) are connected by trusted code
   before the authorizer is installed: connecting them declares a virtual table, which
   the authorizer would deny.
4. **Limits.** ``SQLITE_LIMIT_ATTACHED`` is 0 (no database can be attached at all);
   strings and blobs are capped (``randomblob(2e9)`` fails instead of allocating), and so
   is the length of the SQL text. Temporary storage (sorts, materialized subqueries) is
   kept in memory (``PRAGMA temp_store=MEMORY``, set before the authorizer), so it never
   writes files and counts against the memory caps of guard 7.
5. **Time.** A progress handler interrupts the statement once its deadline passes (an
   endless recursive CTE, a ten-way cross join); it runs inside SQLite's VM, so it also
   stops work done while rows are fetched. One expensive function call never yields to
   it (``instr`` over megabyte strings), so the worker is also killed once the deadline
   plus a short grace has passed.
6. **Rows and bytes.** At most ``max_rows`` rows are fetched, and at most
   ``max_result_bytes`` bytes of Python objects in all; a query that returns more is
   stopped.
7. **Memory.** The worker runs under an address-space cap (``RLIMIT_AS``) and SQLite's own
   heap limit (``PRAGMA hard_heap_limit``), both process-wide, which is one more reason the
   worker is a process of its own. A query that needs more ends as ``memory_limit``.

Errors never escape: :func:`run_query` returns a :class:`QueryOutcome` whose ``error`` says
what happened and ``status`` classifies it.
"""

from __future__ import annotations

import enum
import os
import re
import sqlite3
import sys
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

# Functions a query may not call even though SQLite may provide them.
DENIED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer"})
# Table-valued functions a query may use; connected before the authorizer (guard 3).
TABLE_VALUED_FUNCTIONS = ("json_each", "json_tree")

_ALLOWED_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
# A leading comment, then the first word of the statement.
_LEADING_COMMENTS = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
_QUERY_START = re.compile(r"(?:select|with|values)\b|\(", re.IGNORECASE)
# How SQLite and the sqlite3 module word a refusal (authorizer, more than one statement).
_REFUSALS = ("not authorized", "authorization denied", "one statement at a time")
_PROGRESS_EVERY = 2_000  # SQLite VM instructions between deadline checks
_MAX_OPEN_CONNECTIONS = 16
_FETCH_BATCH = 1_024


class QueryStatus(enum.StrEnum):
    """How a sandboxed query ended."""

    OK = "ok"
    REFUSED = "refused"  # not a read-only query, or denied by the authorizer
    TIMEOUT = "timeout"
    ROW_LIMIT = "row_limit"
    MEMORY_LIMIT = "memory_limit"  # SQLite's heap, the worker's address space, result bytes
    SQL_ERROR = "sql_error"  # invalid SQL, unknown table, a runtime error
    DATABASE_MISSING = "database_missing"


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Bounds on one query. ``timeout_s`` covers executing and fetching.

    ``max_memory_bytes`` caps the worker process's address space; SQLite's own heap is
    capped at half of it, so that SQLite fails cleanly before the process runs out.
    ``max_result_bytes`` caps the Python objects of all fetched rows together.
    """

    timeout_s: float = 5.0
    max_rows: int = 100_000
    max_value_bytes: int = 10_000_000
    max_sql_bytes: int = 100_000
    max_result_bytes: int = 100_000_000
    max_memory_bytes: int = 1_000_000_000

    @property
    def sqlite_heap_bytes(self) -> int:
        return self.max_memory_bytes // 2


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


def run_query(
    db_path: str | Path, sql: str, limits: SandboxLimits = DEFAULT_LIMITS
) -> QueryOutcome:
    """Execute ``sql`` on ``db_path`` in a sandbox worker; never raises for a bad query."""
    return run_queries(db_path, [sql], limits)[0]


def run_queries(
    db_path: str | Path, sqls: Sequence[str], limits: SandboxLimits = DEFAULT_LIMITS
) -> list[QueryOutcome]:
    """Execute each of ``sqls`` on ``db_path`` in a sandbox worker, in one round trip.

    Each query has its own deadline, connection and limits; one outcome per query.
    """
    # Imported here: the worker process imports this module for the guards below.
    from act_bench.sql_worker import default_pool

    return default_pool().run(Path(db_path), sqls, limits)


def run_queries_in_process(
    db_path: str | Path, sqls: Sequence[str], limits: SandboxLimits = DEFAULT_LIMITS
) -> list[QueryOutcome]:
    """Guards 1-6 in the calling process, without a worker: for the worker itself, and to
    measure what the worker costs. Not for untrusted SQL in the evaluating process."""
    return [execute_query(db_path, sql, limits) for sql in sqls]


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
        connection.execute("PRAGMA temp_store = MEMORY")
        for function in TABLE_VALUED_FUNCTIONS:
            connection.execute(f"SELECT 1 FROM {function}('[]')").fetchall()
        connection.set_authorizer(_authorize)
        connection.text_factory = lambda raw: raw.decode(errors="ignore")
    except BaseException:
        connection.close()
        raise
    return connection


class ReadOnlyConnections:
    """Sandbox connections kept open per database file, for a process that runs many
    queries (the worker): opening one with its guards costs some 30 times a typical Spider
    query.

    A connection is reused only for the same file (device, inode, size, modification
    time) under the same limits. Nothing a query may do outlives it on the connection: the
    authorizer denies PRAGMA, ATTACH, temporary objects and transactions, and the query's
    cursor is closed however it ended; a connection whose query hit a limit is closed. So a
    verdict never depends on the queries before it (the worker's outcomes equal fresh
    connections' on every Spider dev gold query, ``tests/test_sql_sandbox.py``).
    """

    def __init__(self, max_open: int = _MAX_OPEN_CONNECTIONS) -> None:
        self.max_open = max_open
        self._open: OrderedDict[str, tuple[tuple[int, ...], sqlite3.Connection]] = OrderedDict()

    def open(self, path: Path, limits: SandboxLimits) -> sqlite3.Connection:
        stat = os.stat(path)
        identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        identity += (limits.max_value_bytes, limits.max_sql_bytes)
        key = str(path)
        entry = self._open.get(key)
        if entry is not None and entry[0] == identity:
            self._open.move_to_end(key)
            return entry[1]
        self.discard(path)
        connection = open_read_only(path, limits)
        self._open[key] = (identity, connection)
        while len(self._open) > self.max_open:
            _, (_, oldest) = self._open.popitem(last=False)
            oldest.close()
        return connection

    def discard(self, path: Path) -> None:
        entry = self._open.pop(str(path), None)
        if entry is not None:
            entry[1].close()

    def close(self) -> None:
        for _, connection in self._open.values():
            connection.close()
        self._open.clear()


# Outcomes after which a kept connection is as it was before the query.
_CONNECTION_CLEAN = frozenset({QueryStatus.OK, QueryStatus.SQL_ERROR, QueryStatus.REFUSED})


def execute_query(
    db_path: str | Path,
    sql: str,
    limits: SandboxLimits = DEFAULT_LIMITS,
    connections: ReadOnlyConnections | None = None,
) -> QueryOutcome:
    """Guards 1-6 around one query, in this process; never raises for a bad query.

    Without ``connections`` the query gets a connection of its own, closed after it.
    """
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
    try:
        if connections is None:
            connection = open_read_only(path, limits)
        else:
            connection = connections.open(path, limits)
    except (sqlite3.Error, OSError) as error:
        return QueryOutcome(QueryStatus.SQL_ERROR, error=f"cannot open database: {error}")
    outcome = _execute(connection, sql, limits, started)
    if connections is None:
        connection.close()
    elif outcome.status not in _CONNECTION_CLEAN:
        connections.discard(path)
    return outcome


def _execute(
    connection: sqlite3.Connection, sql: str, limits: SandboxLimits, started: float
) -> QueryOutcome:
    deadline = started + limits.timeout_s
    timed_out = False

    def past_deadline() -> int:
        nonlocal timed_out
        timed_out = time.monotonic() > deadline
        return int(timed_out)

    connection.set_progress_handler(past_deadline, _PROGRESS_EVERY)
    try:
        rows, status = _fetch(connection, sql, limits)
    except MemoryError:
        status = QueryStatus.MEMORY_LIMIT
        return QueryOutcome(status, error=memory_message(limits), elapsed_s=_since(started))
    except sqlite3.DatabaseError as error:
        status = _classify(error, timed_out)
        return QueryOutcome(
            status, error=_message(status, error, limits), elapsed_s=_since(started)
        )
    except (sqlite3.Error, ValueError, OverflowError) as error:
        return QueryOutcome(QueryStatus.SQL_ERROR, error=str(error), elapsed_s=_since(started))
    finally:
        connection.set_progress_handler(None, 0)
    if status is QueryStatus.ROW_LIMIT:
        error = f"the query returned more than {limits.max_rows} rows"
        return QueryOutcome(status, error=error, elapsed_s=_since(started))
    if status is QueryStatus.MEMORY_LIMIT:
        error = f"the query returned more than {limits.max_result_bytes} bytes"
        return QueryOutcome(status, error=error, elapsed_s=_since(started))
    return QueryOutcome(QueryStatus.OK, rows=rows, elapsed_s=_since(started))


def memory_message(limits: SandboxLimits) -> str:
    return f"the query needed more than {limits.max_memory_bytes} bytes of memory"


def timeout_message(limits: SandboxLimits) -> str:
    return f"the query ran longer than {limits.timeout_s:g} s and was stopped"


def _fetch(
    connection: sqlite3.Connection, sql: str, limits: SandboxLimits
) -> tuple[tuple[tuple[Any, ...], ...] | None, QueryStatus]:
    cursor = connection.cursor()
    try:
        cursor.execute(sql)
        rows: list[tuple[Any, ...]] = []
        result_bytes = 0
        while batch := cursor.fetchmany(_FETCH_BATCH):
            rows.extend(batch)
            if len(rows) > limits.max_rows:
                return None, QueryStatus.ROW_LIMIT
            result_bytes += sum(map(sys.getsizeof, chain.from_iterable(batch)))
            if result_bytes > limits.max_result_bytes:
                return None, QueryStatus.MEMORY_LIMIT
        return tuple(rows), QueryStatus.OK
    finally:
        cursor.close()  # ends the statement, and with it the read transaction


def _classify(error: sqlite3.DatabaseError, timed_out: bool) -> QueryStatus:
    if timed_out or "interrupted" in str(error):
        return QueryStatus.TIMEOUT
    if any(reason in str(error) for reason in _REFUSALS):
        return QueryStatus.REFUSED
    return QueryStatus.SQL_ERROR


def _message(status: QueryStatus, error: Exception, limits: SandboxLimits) -> str:
    if status is QueryStatus.TIMEOUT:
        return timeout_message(limits)
    return str(error)


def _since(started: float) -> float:
    return time.monotonic() - started
