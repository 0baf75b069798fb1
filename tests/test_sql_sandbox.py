"""Model-written SQL is untrusted: the hostile corpus is refused or stopped, the files untouched."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from helpers import shared_data_dir

from act_bench.metrics import execution_match_result
from act_bench.sql_sandbox import QueryStatus, SandboxLimits, looks_like_query, run_query

LIMITS = SandboxLimits(timeout_s=0.5, max_rows=10_000)
SLACK_S = 1.5  # scheduling on a busy machine; a query that is not stopped runs for minutes

EVIL = "evil.sqlite"
CROSS_JOIN = "SELECT count(*) FROM " + ", ".join(f"item t{i}" for i in range(10))
HOSTILE = {
    "attach a new file": (f"ATTACH DATABASE '{{folder}}/{EVIL}' AS evil", QueryStatus.REFUSED),
    "attach after a select": (
        f"WITH x AS (SELECT 1) SELECT * FROM x; ATTACH '{{folder}}/{EVIL}' AS e",
        QueryStatus.REFUSED,
    ),
    "insert": ("INSERT INTO item VALUES (99, 'x')", QueryStatus.REFUSED),
    "insert behind a CTE": (
        "WITH x(a, b) AS (SELECT 98, 'y') INSERT INTO item SELECT * FROM x",
        QueryStatus.REFUSED,
    ),
    "update": ("UPDATE item SET name = 'pwned'", QueryStatus.REFUSED),
    "delete": ("DELETE FROM item", QueryStatus.REFUSED),
    "drop": ("DROP TABLE item", QueryStatus.REFUSED),
    "drop after a select": ("SELECT 1; DROP TABLE item", QueryStatus.REFUSED),
    "create a temporary table": ("CREATE TEMP TABLE t AS SELECT 1", QueryStatus.REFUSED),
    "pragma writable_schema": ("PRAGMA writable_schema = 1", QueryStatus.REFUSED),
    "pragma journal_mode": ("PRAGMA journal_mode = WAL", QueryStatus.REFUSED),
    "pragma in a comment-led statement": ("/* hi */ PRAGMA user_version = 7", QueryStatus.REFUSED),
    "vacuum into a new file": (f"VACUUM INTO '{{folder}}/{EVIL}'", QueryStatus.REFUSED),
    "load_extension": ("SELECT load_extension('/tmp/evil.so')", QueryStatus.REFUSED),
    "endless recursive CTE": (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        QueryStatus.TIMEOUT,
    ),
    "endless recursive CTE, rows streamed": (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c",
        QueryStatus.ROW_LIMIT,
    ),
    "10-way cross join": (CROSS_JOIN, QueryStatus.TIMEOUT),
    "huge blob": ("SELECT randomblob(2000000000)", QueryStatus.SQL_ERROR),
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
    connection.executemany("INSERT INTO item VALUES (?, ?)", [(i, f"n{i}") for i in range(30)])
    connection.commit()
    connection.close()
    return path


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_query_is_refused_or_stopped_and_changes_nothing(db, case):
    folder = db.parent
    sql, expected = HOSTILE[case]
    sql = sql.format(folder=folder)
    before_files = sorted(p.name for p in folder.iterdir())
    before = _digest(db)
    outcome = run_query(db, sql, LIMITS)
    assert outcome.status is expected, (outcome.status, outcome.error)
    assert outcome.rows is None and outcome.error
    assert outcome.elapsed_s < LIMITS.timeout_s + SLACK_S
    assert _digest(db) == before
    assert sorted(p.name for p in folder.iterdir()) == before_files
    assert run_query(db, "SELECT count(*) FROM item", LIMITS).rows == ((30,),)


def test_hostile_prediction_scores_as_a_recorded_non_match(db):
    verdict = execution_match_result("DROP TABLE item", "SELECT name FROM item", db, limits=LIMITS)
    assert not verdict.match and "read-only" in verdict.pred_error


def test_spider_databases_are_byte_identical_after_the_corpus(tmp_path):
    """The corpus against a real Spider database (read-only: it is never written)."""
    path = shared_data_dir() / "spider" / "database" / "concert_singer" / "concert_singer.sqlite"
    if not path.is_file():
        pytest.skip(f"{path} not found (set ACT_BENCH_DATA)")
    before = _digest(path)
    before_files = sorted(p.name for p in path.parent.iterdir())
    for sql, _ in HOSTILE.values():
        text = sql.format(folder=tmp_path).replace("item", "singer")
        assert not run_query(path, text, LIMITS).ok, text
    assert _digest(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == before_files
    assert not (tmp_path / EVIL).exists()


def test_only_queries_pass_the_statement_check():
    assert looks_like_query("  -- note\n SELECT 1")
    assert looks_like_query("with x as (select 1) select * from x")
    assert looks_like_query("(SELECT 1) UNION (SELECT 2)")
    assert looks_like_query("VALUES (1)")
    assert not looks_like_query("/* SELECT */ DELETE FROM t")
    assert not looks_like_query("selectx FROM t")
