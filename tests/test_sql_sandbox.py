"""Model-written SQL is untrusted: the hostile corpus is refused or stopped, the files untouched."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from helpers import shared_data_dir

from act_bench.metrics import execution_match_result
from act_bench.sql_sandbox import (
    QueryStatus,
    SandboxLimits,
    looks_like_query,
    open_read_only,
    run_queries,
    run_queries_in_process,
    run_query,
)

LIMITS = SandboxLimits(timeout_s=0.5, max_rows=10_000)
SLACK_S = 1.0  # the bound: every query ends within its deadline + 1 s
STOPPED = {QueryStatus.TIMEOUT, QueryStatus.MEMORY_LIMIT}

EVIL = "evil.sqlite"
CROSS_JOIN = "SELECT count(*) FROM " + ", ".join(f"item t{i}" for i in range(10))
INSTR = (
    "SELECT instr(replace(hex(zeroblob({n})),'0','a'), replace(hex(zeroblob({m})),'0','a')||'b')"
)
SORT_BIG_ROWS = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 500) "
    "SELECT x, zeroblob(9000000) FROM c ORDER BY randomblob(4)"
)
MEMORY_HOSTILE = ("200 copies of a 9 MB blob", "2,000 copies of a 9 MB blob", "sorting 9 MB rows")
CPU_HOSTILE = ("quadratic instr", "quadratic instr, minutes long", "printf of 6 GB")
RESOURCE_HOSTILE = MEMORY_HOSTILE + CPU_HOSTILE


def copies(n: int) -> str:
    return "WITH t(a) AS (SELECT zeroblob(9000000)) SELECT " + ",".join(["a"] * n) + " FROM t"


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
    # one C-level call that never yields to the progress handler: the worker is killed
    "quadratic instr": (INSTR.format(n=800_000, m=400_000), QueryStatus.TIMEOUT),
    "quadratic instr, minutes long": (INSTR.format(n=2_000_000, m=400_000), QueryStatus.TIMEOUT),
    "printf of 6 GB": (
        "SELECT printf('%.*c%.*c%.*c',2000000000,'a',2000000000,'a',2000000000,'a')",
        STOPPED,
    ),
    # memory: one small query, gigabytes of result
    "200 copies of a 9 MB blob": (copies(200), STOPPED),
    "2,000 copies of a 9 MB blob": (copies(2_000), STOPPED),
    "sorting 9 MB rows": (SORT_BIG_ROWS, STOPPED),
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
    started = time.monotonic()
    outcome = run_query(db, sql, LIMITS)
    waited = time.monotonic() - started
    assert outcome.status in (expected if isinstance(expected, set) else {expected}), (
        outcome.status,
        outcome.error,
    )
    assert outcome.rows is None and outcome.error
    assert waited < LIMITS.timeout_s + SLACK_S
    assert _digest(db) == before
    assert sorted(p.name for p in folder.iterdir()) == before_files
    assert run_query(db, "SELECT count(*) FROM item", LIMITS).rows == ((30,),)


def test_hostile_prediction_scores_as_a_recorded_non_match(db):
    verdict = execution_match_result("DROP TABLE item", "SELECT name FROM item", db, limits=LIMITS)
    assert not verdict.match and "read-only" in verdict.pred_error


def test_spider_databases_are_byte_identical_after_the_corpus(tmp_path):
    """The corpus against a real Spider database (read-only: it is never written). The
    queries that only cost time or memory are left to the per-query test above, which
    checks its own database's bytes after each."""
    path = shared_data_dir() / "spider" / "database" / "concert_singer" / "concert_singer.sqlite"
    if not path.is_file():
        pytest.skip(f"{path} not found (set ACT_BENCH_DATA)")
    before = _digest(path)
    before_files = sorted(p.name for p in path.parent.iterdir())
    for case, (sql, _) in HOSTILE.items():
        if case in RESOURCE_HOSTILE:
            continue
        text = sql.replace("item", "singer").format(folder=tmp_path)
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


def test_memory_hostile_queries_leave_the_evaluating_process_small(tmp_path):
    """Run from a fresh process (``act_bench.sql_sandbox`` only, so it starts fast): its
    peak RSS stays within 1 GB of its baseline, and each query ends within the deadline
    + 1 s, stopped, with the reason recorded."""
    script = textwrap.dedent(
        f"""
        import json, resource, sqlite3, sys, time
        from act_bench.sql_sandbox import SandboxLimits, run_queries
        db = {str(tmp_path / "t.sqlite")!r}
        sqlite3.connect(db).execute("CREATE TABLE t (a)").connection.close()
        limits = SandboxLimits(timeout_s=1.0)
        run_queries(db, ["SELECT 1"], limits)  # start the worker
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        report = []
        for sql in json.loads(sys.argv[1]):
            started = time.monotonic()
            gold, pred = run_queries(db, ["SELECT 1", sql], limits)  # a pair, as scored
            report.append([gold.ok, pred.status, time.monotonic() - started])
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({{"growth": peak - baseline, "report": report}}))
        """
    )
    import json

    queries = [HOSTILE[case][0] for case in MEMORY_HOSTILE]
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(queries)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["growth"] < 1_000_000_000
    assert len(result["report"]) == len(queries)
    for gold_ok, status, seconds in result["report"]:
        assert gold_ok and status in STOPPED
        assert seconds < 1.0 + SLACK_S


def test_a_prediction_that_never_yields_scores_as_a_timed_out_non_match(db):
    started = time.monotonic()
    verdict = execution_match_result(
        HOSTILE["quadratic instr"][0], "SELECT name FROM item", db, limits=LIMITS
    )
    assert time.monotonic() - started < LIMITS.timeout_s + SLACK_S
    assert not verdict.match and verdict.gold_rows == 30
    assert verdict.pred_error == "the query ran longer than 0.5 s and was stopped"


def test_sorting_spills_to_memory_not_to_files(db):
    """With a long deadline, a sort of 4.5 GB ends at the memory cap: no temporary files."""
    connection = open_read_only(db)
    connection.set_authorizer(None)
    assert connection.execute("PRAGMA temp_store").fetchone() == (2,)  # MEMORY
    connection.close()
    outcome = run_query(db, SORT_BIG_ROWS, SandboxLimits(timeout_s=30))
    assert outcome.status is QueryStatus.MEMORY_LIMIT, outcome
    assert "1000000000 bytes of memory" in outcome.error
    assert outcome.elapsed_s < 20


def test_total_result_bytes_are_capped_not_only_each_value(db):
    query = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 2000) "
        "SELECT x, printf('%.*c', 1000, 'v') FROM c"
    )
    capped = run_query(db, query, SandboxLimits(max_result_bytes=1_000_000))
    assert capped.status is QueryStatus.MEMORY_LIMIT
    assert capped.error == "the query returned more than 1000000 bytes"
    whole = run_query(db, query, SandboxLimits(max_result_bytes=10_000_000))
    assert whole.ok and len(whole.rows) == 2000 and whole.rows[-1][0] == 2000


def test_json_table_functions_run_and_pragma_functions_stay_refused(db):
    assert run_query(db, "SELECT key, value FROM json_each('[1,2]')").rows == ((0, 1), (1, 2))
    tree = run_query(db, """SELECT fullkey FROM json_tree('{"a":[5]}')""")
    assert tree.rows == (("$",), ("$.a",), ("$.a[0]",))
    pragma = run_query(db, "SELECT * FROM pragma_table_info('item')")
    assert pragma.status is QueryStatus.REFUSED


def test_a_killed_worker_is_replaced_and_the_batch_goes_on(db):
    slow = INSTR.format(n=800_000, m=400_000)
    outcomes = run_queries(
        db, ["SELECT count(*) FROM item", slow, "SELECT max(id) FROM item"], LIMITS
    )
    assert [o.status for o in outcomes] == [QueryStatus.OK, QueryStatus.TIMEOUT, QueryStatus.OK]
    assert outcomes[0].rows == ((30,),) and outcomes[2].rows == ((29,),)


def test_worker_and_in_process_agree_on_every_spider_dev_gold_query():
    """The worker changes where queries run, not what they return."""
    from act_bench_tasks.ambigsql.spider import SpiderLayout

    spider = shared_data_dir() / "spider"
    if not (spider / "dev.json").is_file():
        pytest.skip(f"{spider} not found (set ACT_BENCH_DATA)")
    layout = SpiderLayout(spider)
    examples = [e for e in layout.read_examples("dev") if layout.has_database(e.db_id)]
    assert len(examples) > 900
    for example in examples:
        db_path = layout.database_path(example.db_id)
        (worker,) = run_queries(db_path, [example.query])
        (in_process,) = run_queries_in_process(db_path, [example.query])
        assert (worker.status, worker.rows) == (in_process.status, in_process.rows), example.query
        assert worker.ok, (example.query, worker.error)


ORPHAN_SCRIPT = """
import sys
from act_bench.sql_sandbox import SandboxLimits, run_query
from act_bench.sql_worker import default_pool
run_query(sys.argv[1], "SELECT 1")
print(default_pool()._idle[0].process.pid, flush=True)
run_query(sys.argv[1], sys.argv[2], SandboxLimits(timeout_s=120))
"""


def test_a_worker_ends_soon_after_the_evaluating_process_is_killed(db):
    """Even in the middle of a query that would run for minutes (the watchdog thread)."""
    import os
    import signal

    slow = INSTR.format(n=2_000_000, m=400_000)
    evaluator = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT, str(db), slow], stdout=subprocess.PIPE, text=True
    )
    worker_pid = int(evaluator.stdout.readline())
    time.sleep(0.5)
    os.kill(evaluator.pid, signal.SIGKILL)
    evaluator.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _running(worker_pid):
        time.sleep(0.05)
    assert not _running(worker_pid)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


FORK_SCRIPT = """
import os, sys
from act_bench.sql_sandbox import run_query
db = sys.argv[1]
assert run_query(db, "SELECT count(*) FROM item").rows == ((30,),)
child = os.fork()
if child == 0:
    assert run_query(db, "SELECT max(id) FROM item").rows == ((29,),)
    sys.exit(0)  # runs the atexit hooks, which must leave the parent's workers alone
os.waitpid(child, 0)
print(run_query(db, "SELECT min(id) FROM item").rows)
"""


def test_a_forked_child_uses_its_own_workers_and_leaves_the_parents(db):
    done = subprocess.run(
        [sys.executable, "-c", FORK_SCRIPT, str(db)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "((0,),)"
