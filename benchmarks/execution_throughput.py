"""Throughput of the execution-match scorer on Spider's dev databases.

Draws ``--pairs`` dev examples (seeded) whose database is present, makes one prediction per
example, cycling through five kinds (the gold query itself, the gold query rewritten by
sqlglot, its SELECT list reversed outside set operations, a wrong query: the first SELECT
with LIMIT 1, and malformed SQL), and scores every pair in two ways:

* ``execution_match`` (a fresh matcher per pair: the gold and the predicted query both run
  in the sandbox, each on a fresh read-only connection, in one round trip);
* one :class:`ExecutionMatcher` per run, as evaluation uses it (each gold query runs once);

each twice: in the sandbox worker process (what evaluation does) and in this process
(``run_queries_in_process``, the sandbox before it had a worker), and checks that both
give the same verdict on every pair. Reports pairs/s for each (the best of ``--repeats``
rounds, in-process and worker alternating, so that load from other processes hits both
alike), the worker's share of the in-process rate, and the share of pairs that match per
kind.

    python benchmarks/execution_throughput.py --data-dir ../shared/data --pairs 400
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections import Counter
from pathlib import Path

import sqlglot
from act_bench_tasks.ambigsql.spider import SpiderLayout
from sqlglot import exp

from act_bench.metrics.execution import ExecutionMatcher, QueryRunner
from act_bench.sql_sandbox import run_queries, run_queries_in_process

KINDS = ("identical", "rewritten", "columns_reversed", "wrong", "malformed")


def _prediction(gold: str, kind: str) -> str:
    if kind == "identical":
        return gold
    if kind == "malformed":
        return gold.replace("SELECT", "SELEC", 1).replace("select", "selec", 1)
    tree = sqlglot.parse_one(gold, read="sqlite")
    if kind == "rewritten":
        return tree.sql(dialect="sqlite", pretty=True)
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    if kind == "columns_reversed":  # a set operation keeps its column order
        if isinstance(tree, exp.Select):
            tree.set("expressions", list(reversed(tree.expressions)))
        return tree.sql(dialect="sqlite")
    if select is not None:  # wrong: the first SELECT alone, one row
        return select.copy().limit(1).sql(dialect="sqlite")
    return gold


Item = tuple[str, str, str, Path]


def _score(items: list[Item], runner: QueryRunner, shared: bool) -> tuple[list[bool], float]:
    """Verdicts and seconds; ``shared``: one matcher for all pairs (gold results cached)."""
    matcher = ExecutionMatcher(runner=runner)
    started = time.perf_counter()
    verdicts = []
    for _, pred, gold, db in items:
        scorer = matcher if shared else ExecutionMatcher(runner=runner)
        verdicts.append(scorer.match(pred, gold, db).match)
    return verdicts, time.perf_counter() - started


def _rates(items: list[Item], shared: bool, repeats: int) -> tuple[dict[str, object], list[bool]]:
    run_queries(items[0][3], ["SELECT 1"])  # start the worker outside the timing
    in_process_s = worker_s = float("inf")
    for _ in range(repeats):
        in_process, seconds = _score(items, run_queries_in_process, shared)
        in_process_s = min(in_process_s, seconds)
        worker, seconds = _score(items, run_queries, shared)
        worker_s = min(worker_s, seconds)
    rates = {
        "in_process_pairs_per_s": round(len(items) / in_process_s, 1),
        "worker_pairs_per_s": round(len(items) / worker_s, 1),
        "worker_share_of_in_process": round(in_process_s / worker_s, 3),
        "same_verdicts": in_process == worker,
    }
    return rates, worker


def benchmark(spider_dir: Path, pairs: int, seed: int, repeats: int = 3) -> dict[str, object]:
    layout = SpiderLayout(spider_dir)
    examples = [e for e in layout.read_examples("dev") if layout.has_database(e.db_id)]
    chosen = random.Random(seed).sample(examples, min(pairs, len(examples)))
    items = [
        (kind, _prediction(e.query, kind), e.query, layout.database_path(e.db_id))
        for kind, e in zip((KINDS[i % len(KINDS)] for i in range(len(chosen))), chosen, strict=True)
    ]
    plain, verdicts = _rates(items, shared=False, repeats=repeats)
    cached, _ = _rates(items, shared=True, repeats=repeats)
    matched = Counter(kind for (kind, *_), verdict in zip(items, verdicts, strict=True) if verdict)
    per_kind = Counter(kind for kind, *_ in items)
    return {
        "pairs": len(items),
        "databases": len({db for *_, db in items}),
        "execution_match": plain,
        "matcher_with_gold_cache": cached,
        "match_rate_by_kind": {k: f"{matched[k]}/{per_kind[k]}" for k in KINDS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("ACT_BENCH_DATA", "../shared/data"))
    parser.add_argument("--pairs", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    spider = Path(args.data_dir) / "spider"
    print(json.dumps(benchmark(spider, args.pairs, args.seed, args.repeats), indent=2))


if __name__ == "__main__":
    main()
