"""Finding the SQL in a model's response: fences, backticks, labels, trailing prose."""

from __future__ import annotations

import pytest
from act_bench_tasks.ambigsql.sql_extract import extract_sql


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("SELECT count(*) FROM singer", "SELECT count(*) FROM singer"),
        (
            "```sql\nSELECT name\nFROM singer\nWHERE age > 30;\n```",
            "SELECT name\nFROM singer\nWHERE age > 30",
        ),
        (
            "Here you go:\n```\nSELECT name FROM singer\n```\nIt lists names.",
            "SELECT name FROM singer",
        ),
        # a labelled block wins over an earlier unlabelled one that holds a query too
        ("```\nSELECT 1 FROM t\n```\n```sql\nSELECT 2 FROM t\n```", "SELECT 2 FROM t"),
        # an unterminated fence (the token budget ran out) counts up to the end
        ("```sql\nSELECT name FROM singer ORDER BY age", "SELECT name FROM singer ORDER BY age"),
        ("`SELECT count(*) FROM AIRPORTS`", "SELECT count(*) FROM AIRPORTS"),
        ("Assistant: SQL: SELECT name FROM singer", "SELECT name FROM singer"),
        (
            "SELECT name FROM singer WHERE country = 'France'. This query returns the names.",
            "SELECT name FROM singer WHERE country = 'France'",
        ),
        (
            "The query is SELECT avg(age) FROM singer\nIt averages the ages of all singers.",
            "SELECT avg(age) FROM singer",
        ),
        (
            "WITH t AS (SELECT age FROM singer) SELECT max(age) FROM t; -- done",
            "WITH t AS (SELECT age FROM singer) SELECT max(age) FROM t",
        ),
        # Spider's gold style: double-quoted values, doubled spaces
        (
            'SELECT T1.name FROM a AS T1 WHERE T1.x  =  "y"',
            'SELECT T1.name FROM a AS T1 WHERE T1.x  =  "y"',
        ),
    ],
)
def test_extracts_the_query(response, expected):
    assert extract_sql(response) == expected


@pytest.mark.parametrize(
    "response",
    ["Which singers do you mean?", "", "I cannot answer that.", "```python\nprint(1)\n```"],
)
def test_no_query_in_a_question_or_prose(response):
    assert extract_sql(response) is None


def test_unparsable_sql_is_returned_for_execution_to_reject():
    assert extract_sql("SELECT name FROM singer WHERE") == "SELECT name FROM singer WHERE"
