"""Worker processes that run sandboxed SQL, killed when a query outlives its deadline.

The guards of :mod:`act_bench.sql_sandbox` run inside SQLite, in one process. Two harms
need a process boundary: a single C-level function call (``instr`` over megabyte
strings) never yields to SQLite's progress handler, so only killing the process stops
it; and memory caps (``RLIMIT_AS``, SQLite's ``hard_heap_limit``) are process-wide, so
in the evaluating process they would cap the evaluation itself.

A :class:`SqlWorkerPool` keeps a few workers (``python -m act_bench.sql_worker FD``)
alive and reuses them, because starting one costs far more than a query. A request
carries a database and a batch of queries (an execution-match pair is one round trip);
the worker answers each query as it finishes, so each has its own deadline. A worker
that is not done ``KILL_GRACE_S`` after a query's deadline is killed with SIGKILL, and
the pool starts a fresh one when it is next needed.

Replies are decoded by an unpickler that refuses every class, so a worker subverted by
a query can send values (tuples, numbers, strings, bytes) but not code; their size is
capped by ``recv_bytes``.
"""

from __future__ import annotations

import atexit
import io
import os
import pickle
import resource
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import astuple
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from act_bench.errors import ActBenchError
from act_bench.sql_sandbox import (
    QueryOutcome,
    QueryStatus,
    ReadOnlyConnections,
    SandboxLimits,
    execute_query,
    memory_message,
    timeout_message,
)

KILL_GRACE_S = 0.5  # after a query's deadline, before its worker is killed
STARTUP_TIMEOUT_S = 60.0  # for a fresh worker to import and report ready
DEFAULT_POOL_SIZE = 2
_READY = b"ready"
_REPLY_OVERHEAD_BYTES = 1 << 20  # pickling's framing around the capped result
_ORPHAN_CHECK_S = 0.5
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class _ValuesOnly(pickle.Unpickler):
    """Unpickles tuples, numbers, strings, bytes and None; refuses every class."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"a SQL worker's reply may not name {module}.{name}")


class SqlWorker:
    """One worker process and the socket to it; used by one caller at a time."""

    def __init__(self, max_memory_bytes: int) -> None:
        self.max_memory_bytes = max_memory_bytes
        self.owner_pid = os.getpid()  # a forked child must not kill its parent's workers
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH")) if p
        )
        command = [sys.executable, "-m", "act_bench.sql_worker"]
        command += [str(theirs.fileno()), str(max_memory_bytes), str(os.getpid())]
        try:
            self.process = subprocess.Popen(
                command, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env
            )
        finally:
            theirs.close()
        self.connection = Connection(ours.detach())
        ready = self.connection.poll(STARTUP_TIMEOUT_S) and self._receive_ready()
        if not ready:
            code = self.kill()
            raise ActBenchError(
                f"the SQL sandbox worker did not start (exit code {code})",
                hint=f"check that `{sys.executable} -c 'import act_bench.sql_worker'` works",
            )

    def run(self, db_path: Path, sqls: Sequence[str], limits: SandboxLimits) -> list[QueryOutcome]:
        """Outcomes of the queries in order; fewer than asked when the worker had to die.

        The last outcome of a short list says why (a timeout, a crash); the worker is then
        dead, and the caller runs the rest elsewhere.
        """
        # absolute: the worker's working directory is the one this process had at its start
        request = pickle.dumps((os.path.abspath(db_path), list(sqls), astuple(limits)))
        try:
            self.connection.send_bytes(request)
        except OSError:  # it died while idle; the caller runs the queries elsewhere
            self.kill()
            return []
        outcomes: list[QueryOutcome] = []
        started = time.monotonic()
        for _ in sqls:
            outcome = self._await_reply(started, limits)
            outcomes.append(outcome)
            if not self.alive:
                break
            started = time.monotonic()
        return outcomes

    def _await_reply(self, started: float, limits: SandboxLimits) -> QueryOutcome:
        wait_s = limits.timeout_s + KILL_GRACE_S
        if not self.connection.poll(wait_s):
            self.kill()
            elapsed = time.monotonic() - started
            return QueryOutcome(
                QueryStatus.TIMEOUT, error=timeout_message(limits), elapsed_s=elapsed
            )
        try:
            status, rows, error, elapsed = self._receive(
                limits.max_result_bytes * 2 + _REPLY_OVERHEAD_BYTES
            )
            return QueryOutcome(QueryStatus(status), rows, error, elapsed)
        except (EOFError, OSError):
            code = self.kill()
            message = f"the SQL worker died (exit code {code}) while running the query"
            elapsed = time.monotonic() - started
            return QueryOutcome(QueryStatus.SQL_ERROR, error=message, elapsed_s=elapsed)
        except (pickle.UnpicklingError, ValueError, TypeError) as error:
            self.kill()
            message = f"the SQL worker sent an invalid reply: {error}"
            elapsed = time.monotonic() - started
            return QueryOutcome(QueryStatus.SQL_ERROR, error=message, elapsed_s=elapsed)

    def _receive_ready(self) -> bool:
        try:
            return self.connection.recv_bytes(len(_READY)) == _READY
        except (EOFError, OSError):
            return False

    def _receive(self, max_bytes: int) -> Any:
        payload = self.connection.recv_bytes(max_bytes)
        return _ValuesOnly(io.BytesIO(payload)).load()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> int | None:
        """Kill the process (if it still runs) and reap it; its exit code."""
        if os.getpid() != self.owner_pid:
            self.connection.close()
            return None
        if self.process.poll() is None:
            self.process.kill()
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.connection.close()
        return code


class SqlWorkerPool:
    """Up to ``size`` reusable workers; one that was killed is replaced at once, in the
    background, so the next query does not wait for a worker to start."""

    def __init__(self, size: int = DEFAULT_POOL_SIZE) -> None:
        self.size = size
        self._idle: list[SqlWorker] = []
        self._busy = 0
        self._starting = 0  # replacements being started in the background
        self._closed = False
        self._available = threading.Condition()

    def run(self, db_path: Path, sqls: Sequence[str], limits: SandboxLimits) -> list[QueryOutcome]:
        outcomes: list[QueryOutcome] = []
        idle_deaths = 0
        while len(outcomes) < len(sqls):
            worker = self._acquire(limits)
            try:
                answered = worker.run(db_path, sqls[len(outcomes) :], limits)
            finally:
                self._release(worker)
            idle_deaths = 0 if answered else idle_deaths + 1
            if idle_deaths > 1:
                raise ActBenchError("SQL sandbox workers die before they receive a query")
            outcomes += answered
        return outcomes

    def _acquire(self, limits: SandboxLimits) -> SqlWorker:
        with self._available:
            while not self._idle and (self._busy >= self.size or self._starting):
                self._available.wait()
            self._busy += 1
            worker = self._idle.pop() if self._idle else None
        if worker is not None and worker.max_memory_bytes != limits.max_memory_bytes:
            worker.kill()
            worker = None
        try:
            return worker or SqlWorker(limits.max_memory_bytes)
        except BaseException:
            self._release(None)
            raise

    def _release(self, worker: SqlWorker | None) -> None:
        if worker is not None and not worker.alive:
            with self._available:
                self._busy -= 1
                self._starting += 1
            replace = threading.Thread(target=self._replace, args=(worker.max_memory_bytes,))
            replace.start()
            return
        self._put_back(worker, started=False)

    def _put_back(self, worker: SqlWorker | None, *, started: bool) -> None:
        with self._available:
            if started:
                self._starting -= 1
            else:
                self._busy -= 1
            if worker is not None and not self._closed:
                self._idle.append(worker)
            elif worker is not None:
                worker.kill()
            self._available.notify_all()

    def _replace(self, max_memory_bytes: int) -> None:
        try:
            replacement: SqlWorker | None = SqlWorker(max_memory_bytes)
        except (ActBenchError, OSError):
            replacement = None  # the next caller tries again, and sees why
        self._put_back(replacement, started=True)

    def close(self) -> None:
        with self._available:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


_default_pool: SqlWorkerPool | None = None
_default_pool_pid = 0
_default_pool_lock = threading.Lock()


def default_pool() -> SqlWorkerPool:
    """The process's shared pool, started on first use and closed at exit.

    A forked child gets a pool of its own: the inherited one's workers answer its parent.
    """
    global _default_pool, _default_pool_pid
    with _default_pool_lock:
        if _default_pool is None or _default_pool_pid != os.getpid():
            _default_pool = SqlWorkerPool()
            _default_pool_pid = os.getpid()
            atexit.register(_default_pool.close)
        return _default_pool


def _exit_when_orphaned(parent_pid: int) -> None:
    """End this worker soon after the evaluating process dies, even mid-query.

    A watchdog thread rather than ``PR_SET_PDEATHSIG``, which fires when the *thread* that
    started the worker ends (the pool may start one from a short-lived thread). It gets
    to run because the sqlite3 module releases the GIL while SQLite works.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(_ORPHAN_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="orphan-watchdog", daemon=True).start()


def _set_sqlite_heap_limit(limit_bytes: int) -> None:
    """``hard_heap_limit`` is process-wide; set from a trusted connection of our own."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute(f"PRAGMA hard_heap_limit = {int(limit_bytes)}").fetchall()
    finally:
        connection.close()


def _encode(outcome: QueryOutcome) -> bytes:
    reply = (str(outcome.status), outcome.rows, outcome.error, outcome.elapsed_s)
    return pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)


def serve(fd: int, max_memory_bytes: int, parent_pid: int) -> None:
    """The worker's loop: read a request, answer each of its queries, until EOF."""
    _exit_when_orphaned(parent_pid)
    resource.setrlimit(resource.RLIMIT_AS, (max_memory_bytes, max_memory_bytes))
    connection = Connection(fd)
    connection.send_bytes(_READY)
    heap_limit = None
    connections = ReadOnlyConnections()
    while True:
        try:
            request = connection.recv_bytes()
        except EOFError:
            return
        db_path, sqls, limit_fields = pickle.loads(request)
        limits = SandboxLimits(*limit_fields)
        if heap_limit != limits.sqlite_heap_bytes:
            heap_limit = limits.sqlite_heap_bytes
            _set_sqlite_heap_limit(heap_limit)
        for sql in sqls:
            outcome = execute_query(db_path, sql, limits, connections)
            try:
                reply = _encode(outcome)
            except MemoryError:
                memory = QueryOutcome(QueryStatus.MEMORY_LIMIT, error=memory_message(limits))
                reply = _encode(memory)
            del outcome
            connection.send_bytes(reply)


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
