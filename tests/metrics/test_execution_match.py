"""Execution match on cases from the rules of Spider's test-suite evaluator (exec_eval.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from act_bench.metrics import execution_match, execution_match_result
from act_bench.metrics.execution import (
    ExecutionMatcher,
    normalize_query,
    order_matters,
    remove_distinct,
    results_equivalent,
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "people.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript(
        """
        CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT, age INTEGER, city_id INTEGER);
        CREATE TABLE city (id INTEGER PRIMARY KEY, name TEXT);
        INSERT INTO city VALUES (1, 'Oslo'), (2, 'Lima');
        INSERT INTO person VALUES (1, 'Ana', 41, 1), (2, 'Bo', 29, 2), (3, 'Cy', 35, 1),
                                  (4, 'Di', 35, 2), (5, 'Ana', 52, 2);
        """
    )
    connection.commit()
    connection.close()
    return path


@pytest.mark.parametrize(
    ("pred", "gold"),
    [
        # the same rows, written differently
        ("SELECT name FROM person WHERE NOT age <= 34", "SELECT name FROM person WHERE age > 34"),
        (
            "SELECT p.name FROM person p "
            "WHERE p.city_id IN (SELECT id FROM city WHERE name = 'Oslo')",
            "SELECT T1.name FROM person AS T1 JOIN city AS T2 ON T1.city_id = T2.id "
            "WHERE T2.name = 'Oslo'",
        ),
        # column order does not matter
        ("SELECT age, name FROM person", "SELECT name, age FROM person"),
        # row order does not matter without ORDER BY in the gold query
        ("SELECT name FROM person ORDER BY name DESC", "SELECT name FROM person"),
        # 35 and 35.0 are the same value; aliases and case do not matter
        (
            "select AVG(age) AS mean from PERSON where age = 35",
            "SELECT avg(age) FROM person WHERE age = 35.0",
        ),
        # the evaluator's normalizations: spaced operators, YEAR(CURDATE())
        ("SELECT name FROM person WHERE age > = 41", "SELECT name FROM person WHERE age >= 41"),
        (
            "SELECT name FROM person WHERE age < YEAR(CURDATE()) - 1980",
            "SELECT name FROM person WHERE age < 40",
        ),
        # two empty results match
        ("SELECT name FROM person WHERE age > 100", "SELECT id FROM city WHERE id < 0"),
    ],
)
def test_equivalent_queries_match(db, pred, gold):
    assert execution_match(pred, gold, db) is True


def test_row_order_matters_when_the_gold_query_sorts(db):
    gold = "SELECT name, age FROM person ORDER BY age DESC, name"
    assert execution_match("SELECT name, age FROM person ORDER BY age DESC, name", gold, db)
    assert execution_match("SELECT age, name FROM person ORDER BY 1 DESC, 2", gold, db)
    assert not execution_match("SELECT name, age FROM person ORDER BY age ASC, name", gold, db)
    assert not execution_match("SELECT name, age FROM person", gold, db)
    verdict = execution_match_result("SELECT name, age FROM person", gold, db)
    assert verdict.order_matters and verdict.pred_rows == verdict.gold_rows == 5


@pytest.mark.parametrize(
    "pred",
    [
        "SELECT name FROM person WHERE age > 36",  # two rows fewer
        "SELECT name, age FROM person WHERE age > 34",  # one column more
        "SELECT name FROM person WHERE age >= 35 AND city_id = 1",  # other rows
        "SELECT id FROM person WHERE age > 34",  # same count, other values
    ],
)
def test_different_results_do_not_match(db, pred):
    assert not execution_match(pred, "SELECT name FROM person WHERE age > 34", db)


def test_rows_are_compared_as_a_multiset(db):
    gold = "SELECT name FROM person"  # 'Ana' twice
    assert execution_match("SELECT name FROM person ORDER BY id DESC", gold, db)
    assert not execution_match("SELECT name FROM person UNION SELECT 'Zed'", gold, db)


def test_distinct_is_removed_from_both_queries_unless_kept(db):
    """The evaluator's default (no --keep_distinct) removes every DISTINCT keyword."""
    pred, gold = "SELECT DISTINCT name FROM person", "SELECT name FROM person"
    assert execution_match(pred, gold, db)
    assert not execution_match(pred, gold, db, keep_distinct=True)
    assert remove_distinct("SELECT count(DISTINCT name) FROM t WHERE x = 'distinct'") == (
        "SELECT count( name) FROM t WHERE x = 'distinct'"
    )


def test_malformed_sql_is_a_non_match_with_the_error_recorded(db):
    gold = "SELECT name FROM person"
    for pred, fragment in [
        ("SELEC name FRM person", "read-only"),
        ("SELECT nope FROM person", "no such column"),
        ("SELECT name FROM person WHERE", "incomplete input"),
        ("SELECT name FROM person WHERE age >> ", "incomplete input"),
        ("SELECT name FROM person GROUP age", "syntax error"),
        (None, "no SQL"),
        ("   ", "no SQL"),
    ]:
        verdict = execution_match_result(pred, gold, db)
        assert verdict.match is False
        assert fragment in verdict.pred_error, (pred, verdict.pred_error)


def test_a_failing_gold_query_is_recorded_not_raised(db, tmp_path):
    verdict = execution_match_result("SELECT 1", "SELECT * FROM missing_table", db)
    assert not verdict.match and "no such table" in verdict.gold_error
    verdict = execution_match_result("SELECT 1", "SELECT 1", tmp_path / "absent.sqlite")
    assert not verdict.match and "no database file" in verdict.gold_error


def test_results_equivalent_finds_the_column_permutation():
    gold = [(1, "a", 1), (2, "b", 2), (3, "c", 3)]
    pred = [("c", 3, 3), ("a", 1, 1), ("b", 2, 2)]
    assert results_equivalent(gold, pred, ordered=False)
    assert not results_equivalent(gold, pred, ordered=True)
    # equal per-row bags but no consistent column mapping
    assert not results_equivalent([(1, 2), (2, 1)], [(1, 2), (1, 2)], ordered=False)
    assert results_equivalent([], [], ordered=True)
    assert not results_equivalent([(1,)], [], ordered=False)
    assert results_equivalent([(1, None)], [(None, 1.0)], ordered=False)


def test_order_is_detected_as_the_evaluator_does():
    assert order_matters("SELECT a FROM t ORDER  BY a")
    assert order_matters("SELECT a FROM t WHERE b IN (SELECT b FROM u ORDER BY c LIMIT 1)")
    assert not order_matters("SELECT a FROM t WHERE border = 1")
    assert normalize_query("SELECT a FROM t WHERE x ! = 1") == "SELECT a FROM t WHERE x != 1"


def test_matcher_runs_each_gold_query_once(db):
    from act_bench.sql_sandbox import run_queries

    round_trips = []

    def counting(db_path, sqls, limits):
        round_trips.append(list(sqls))
        return run_queries(db_path, sqls, limits)

    matcher = ExecutionMatcher(runner=counting)
    gold = "SELECT name FROM person"
    preds = ("SELECT name FROM person AS p", "SELECT id FROM person", "SELECT age FROM person")
    verdicts = [matcher.match(pred, gold, db).match for pred in preds]
    assert verdicts == [True, False, False]
    # the first pair shares one round trip; later ones send the prediction alone
    assert round_trips == [[gold, preds[0]], [preds[1]], [preds[2]]]
