"""Execution match: does a predicted SQL query return what the gold query returns? (§4.1.3; App. D)

AmbigSQL scores a trajectory by whether its final SQL "matches the ground truth query's
execution result" with "the Execution Match tool from Spider and CoSQL" (App. C.2). This
module is our implementation of the rules of Spider's test-suite evaluator
(github.com/taoyds/test-suite-sql-eval, ``exec_eval.py``: ``eval_exec_match`` and
``result_eq``), evaluated on the example's own database:

1. Both queries are normalized as ``eval_exec_match`` does by default: spaced comparison
   operators are joined (``> =`` to ``>=``, ``postprocess``), MySQL's
   ``YEAR(CURDATE())`` becomes 2020 (``replace_cur_year``), and every ``DISTINCT`` keyword
   is removed from both (``remove_distinct``; ``keep_distinct=True`` keeps them, the
   evaluator's ``--keep_distinct``).
2. Both run in the sandbox of :mod:`act_bench.sql_sandbox` (a killable worker process;
   read-only, authorizer, time, row and memory limits), as one round trip to the worker
   when the gold result is not cached yet. A gold query that fails makes the item a
   non-match with its error recorded (the official script asserts instead); a
   prediction that fails, or is not SQL at all, is a non-match with its error recorded.
3. The results are compared as bags of rows (``result_eq``): two empty results match;
   otherwise the row and column counts must agree, and some permutation of the
   prediction's columns must make its rows equal to the gold rows as a multiset, or as a
   sequence when the gold query contains ``ORDER BY`` (anywhere, as the evaluator checks).
   So ``SELECT name, age`` matches ``SELECT age, name``, and column names never matter.

The evaluator prunes the column permutations by sampling 20 random rows; we prune
deterministically instead, keeping for each gold column only the predicted columns that
hold the same multiset of values (a necessary condition), so the verdict is the same and
never depends on chance. Its quick rejection sorts each row by ``str(value) + type``; we
sort by a key under which equal values (``1`` and ``1.0``) always sort alike.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from act_bench.sql_sandbox import DEFAULT_LIMITS, QueryOutcome, SandboxLimits, run_queries

Row = tuple[Any, ...]
# Runs queries on one database, one outcome each: the sandbox worker, or (to measure what
# the worker costs) ``run_queries_in_process``.
QueryRunner = Callable[[str | Path, Sequence[str], SandboxLimits], list[QueryOutcome]]

_SPACED_OPERATORS = (("> =", ">="), ("< =", "<="), ("! =", "!="))
_CURRENT_YEAR = re.compile(r"YEAR\s*\(\s*CURDATE\s*\(\s*\)\s*\)\s*", re.IGNORECASE)
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ExecutionMatch:
    """The verdict on one prediction, and why it is not a match when it is not.

    ``pred_error`` / ``gold_error`` hold the sandbox's message for a query that could not
    be executed (invalid SQL, refused, timed out, too many rows); ``order_matters`` says
    whether rows were compared in order (the gold query has ORDER BY).
    """

    match: bool
    order_matters: bool
    pred_error: str | None = None
    gold_error: str | None = None
    pred_rows: int | None = None
    gold_rows: int | None = None

    def __bool__(self) -> bool:
        return self.match


def normalize_query(sql: str, *, keep_distinct: bool = False) -> str:
    """Step 1 above: the text both sides are executed as."""
    for spaced, joined in _SPACED_OPERATORS:
        sql = sql.replace(spaced, joined)
    sql = _CURRENT_YEAR.sub("2020", sql)
    return sql if keep_distinct else remove_distinct(sql)


def remove_distinct(sql: str) -> str:
    """``sql`` without its DISTINCT keywords (in SELECT and in aggregates), text otherwise kept.

    Keywords are found with sqlglot's tokenizer, so a string or column containing the
    word is untouched; text that does not tokenize is returned unchanged (it will fail to
    execute anyway).
    """
    from sqlglot.errors import TokenError
    from sqlglot.tokens import Tokenizer, TokenType

    try:
        tokens = Tokenizer().tokenize(sql)
    except TokenError:
        return sql
    spans = [(t.start, t.end + 1) for t in tokens if t.token_type is TokenType.DISTINCT]
    for start, end in reversed(spans):
        sql = sql[:start] + sql[end:]
    return sql


def order_matters(gold_sql: str) -> bool:
    """Rows are compared in order when the gold query sorts them (``'order by' in g_str``)."""
    return bool(_ORDER_BY.search(gold_sql))


def _value_key(value: Any) -> tuple[int, Any]:
    """A sort key consistent with equality: ``1``, ``1.0`` and ``True`` sort alike."""
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, float(value))
    if isinstance(value, str):
        return (2, value)
    return (3, repr(value))


def _unordered(row: Row) -> Row:
    return tuple(sorted(row, key=_value_key))


def _quick_reject(gold: Sequence[Row], pred: Sequence[Row], ordered: bool) -> bool:
    """True when no column permutation can make the results equal (``quick_rej``, negated)."""
    gold_rows = [_unordered(row) for row in gold]
    pred_rows = [_unordered(row) for row in pred]
    if ordered:
        return gold_rows != pred_rows
    return Counter(gold_rows) != Counter(pred_rows)


def _column_permutations(gold: Sequence[Row], pred: Sequence[Row]) -> Iterator[tuple[int, ...]]:
    """Permutations p (gold column i <- predicted column p[i]) whose columns agree as multisets."""
    width = len(gold[0])
    gold_columns = [Counter(row[i] for row in gold) for i in range(width)]
    pred_columns = [Counter(row[j] for row in pred) for j in range(width)]
    candidates = [
        [j for j in range(width) if pred_columns[j] == gold_columns[i]] for i in range(width)
    ]

    def extend(prefix: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
        if len(prefix) == width:
            yield prefix
            return
        for j in candidates[len(prefix)]:
            if j not in prefix:
                yield from extend(prefix + (j,))

    return extend(())


def results_equivalent(gold: Sequence[Row], pred: Sequence[Row], ordered: bool) -> bool:
    """Whether two query results denote the same answer (``result_eq``, step 3 above)."""
    if not gold and not pred:
        return True
    if len(gold) != len(pred):
        return False
    if len(gold[0]) != len(pred[0]):
        return False
    if _quick_reject(gold, pred, ordered):
        return False
    gold_bag = Counter(gold) if not ordered else None
    for permutation in _column_permutations(gold, pred):
        permuted = [tuple(row[j] for j in permutation) for row in pred]
        if ordered and permuted == list(gold):
            return True
        if not ordered and Counter(permuted) == gold_bag:
            return True
    return False


class ExecutionMatcher:
    """Execution match with the gold results cached per (database, gold query).

    Evaluation scores several predictions against one gold query (an ambiguous request
    and its clear twin share their SQL; turn- and trajectory-level scores share it too),
    so each gold query runs once. Use one matcher per run: the cache assumes the
    databases do not change while it lives.
    """

    def __init__(
        self,
        *,
        limits: SandboxLimits = DEFAULT_LIMITS,
        keep_distinct: bool = False,
        runner: QueryRunner = run_queries,
    ) -> None:
        self.limits = limits
        self.keep_distinct = keep_distinct
        self.runner = runner
        self._gold: dict[tuple[str, str], QueryOutcome] = {}

    def match(self, pred_sql: str | None, gold_sql: str, db_path: str | Path) -> ExecutionMatch:
        gold_text = normalize_query(gold_sql, keep_distinct=self.keep_distinct)
        ordered = order_matters(gold_text)
        if pred_sql is None or not pred_sql.strip():
            return ExecutionMatch(False, ordered, pred_error="no SQL query in the response")
        pred_text = normalize_query(pred_sql, keep_distinct=self.keep_distinct)
        gold, pred = self._run_pair(str(db_path), gold_text, pred_text)
        if not gold.ok:
            return ExecutionMatch(False, ordered, gold_error=gold.error)
        assert gold.rows is not None
        if not pred.ok:
            return ExecutionMatch(False, ordered, pred_error=pred.error, gold_rows=len(gold.rows))
        assert pred.rows is not None
        return ExecutionMatch(
            results_equivalent(gold.rows, pred.rows, ordered),
            ordered,
            pred_rows=len(pred.rows),
            gold_rows=len(gold.rows),
        )

    def _run_pair(
        self, db_path: str, gold_text: str, pred_text: str
    ) -> tuple[QueryOutcome, QueryOutcome]:
        """The gold and predicted outcomes; an uncached gold query shares the round trip."""
        key = (db_path, gold_text)
        if key in self._gold:
            return self._gold[key], self.runner(db_path, [pred_text], self.limits)[0]
        gold, pred = self.runner(db_path, [gold_text, pred_text], self.limits)
        self._gold[key] = gold
        return gold, pred


def execution_match_result(
    pred_sql: str | None,
    gold_sql: str,
    db_path: str | Path,
    *,
    limits: SandboxLimits = DEFAULT_LIMITS,
    keep_distinct: bool = False,
) -> ExecutionMatch:
    """The verdict with its details (errors, row counts, whether order mattered)."""
    matcher = ExecutionMatcher(limits=limits, keep_distinct=keep_distinct)
    return matcher.match(pred_sql, gold_sql, db_path)


def execution_match(
    pred_sql: str | None,
    gold_sql: str,
    db_path: str | Path,
    *,
    limits: SandboxLimits = DEFAULT_LIMITS,
    keep_distinct: bool = False,
) -> bool:
    """Whether ``pred_sql`` returns what ``gold_sql`` returns on the database at ``db_path``."""
    return execution_match_result(
        pred_sql, gold_sql, db_path, limits=limits, keep_distinct=keep_distinct
    ).match
