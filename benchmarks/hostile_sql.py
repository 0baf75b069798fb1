"""How the SQL sandbox ends hostile queries, and what they cost the evaluating process.

Scores each query of issue 15's hostile set (one C-level call that never yields to the
progress handler, gigabytes of result from a few kilobytes of SQL, a sort of 9 MB rows)
as a prediction with ``execution_match_result`` under the default limits (5 s, 1 GB per
worker) against a tiny database, and reports per query how it ended and the wall time
the evaluating process waited, then this process's peak RSS growth over all of them, and
whether the database file is byte-identical afterwards.

    python benchmarks/hostile_sql.py [--timeout 5]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

from act_bench.metrics.execution import execution_match_result
from act_bench.sql_sandbox import SandboxLimits


def _copies(n: int) -> str:
    return "WITH t(a) AS (SELECT zeroblob(9000000)) SELECT " + ",".join(["a"] * n) + " FROM t"


def _instr(n: int, m: int) -> str:
    return (
        f"SELECT instr(replace(hex(zeroblob({n})),'0','a'), "
        f"replace(hex(zeroblob({m})),'0','a')||'b')"
    )


QUERIES = {
    "instr 800k/400k": _instr(800_000, 400_000),
    "instr 2M/400k": _instr(2_000_000, 400_000),
    "printf 3 x 2e9": "SELECT printf('%.*c%.*c%.*c',2000000000,'a',2000000000,'a',2000000000,'a')",
    "200 x 9 MB columns": _copies(200),
    "2000 x 9 MB columns": _copies(2_000),
    "ORDER BY over 9 MB rows": (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 500) "
        "SELECT x, zeroblob(9000000) FROM c ORDER BY randomblob(4)"
    ),
}


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def benchmark(timeout_s: float) -> dict[str, object]:
    limits = SandboxLimits(timeout_s=timeout_s)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "t.sqlite"
        connection = sqlite3.connect(db)
        connection.execute("CREATE TABLE t (a INTEGER)")
        connection.commit()
        connection.close()
        digest = hashlib.sha256(db.read_bytes()).hexdigest()
        execution_match_result("SELECT 1", "SELECT 1", db, limits=limits)  # start the worker
        baseline = _peak_rss_bytes()
        report = {}
        for name, sql in QUERIES.items():
            started = time.monotonic()
            verdict = execution_match_result(sql, "SELECT 1", db, limits=limits)
            report[name] = {
                "match": verdict.match,
                "error": verdict.pred_error,
                "wall_s": round(time.monotonic() - started, 2),
            }
        unchanged = hashlib.sha256(db.read_bytes()).hexdigest() == digest
    return {
        "timeout_s": timeout_s,
        "queries": report,
        "peak_rss_growth_mb": round((_peak_rss_bytes() - baseline) / 1e6, 1),
        "database_unchanged": unchanged,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=SandboxLimits().timeout_s)
    args = parser.parse_args()
    print(json.dumps(benchmark(args.timeout), indent=2))


if __name__ == "__main__":
    main()
