"""Find the SQL query in a model's response.

Models wrap their SQL in many ways: a fenced block (```sql ... ```), inline backticks (as
Table A15 typesets the gold responses), a label ("SQL: ..."), a sentence before it, an
explanation after it. :func:`extract_sql` takes, in this order:

1. the first fenced block labelled ``sql``/``sqlite``, else the first fenced block that
   holds a query (an unterminated fence, cut off by the token budget, counts up to the end);
2. the first inline-backtick span that holds a query;
3. the text from the first ``SELECT`` (or ``WITH name AS (``) to the end.

The candidate ends at its first semicolon. Trailing prose is cut: if sqlglot cannot parse
the whole candidate, the longest prefix ending at a line break or a sentence end
(". " before a capital letter) that parses is taken. When none parses, the candidate is
returned as is: executing it fails and the failure is recorded, as for any invalid SQL.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

_FENCE = re.compile(r"```[ \t]*(?P<label>[A-Za-z]*)[^\n]*\n?(?P<body>.*?)(?:```|\Z)", re.DOTALL)
_INLINE = re.compile(r"`(?P<body>[^`]+)`")
_QUERY_START = re.compile(
    r"\b(?:select\b|with\s+(?:recursive\s+)?\w+(?:\s*\([^)]*\))?\s+as\s*\()", re.IGNORECASE
)
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z])")
_SQL_LABELS = frozenset({"sql", "sqlite", "sqlite3"})


def _holds_query(text: str) -> bool:
    return bool(_QUERY_START.search(text))


def _candidate(text: str) -> str | None:
    fences = list(_FENCE.finditer(text))
    labelled = [m for m in fences if m.group("label").lower() in _SQL_LABELS]
    for match in labelled + fences:
        if _holds_query(match.group("body")):
            return _from_query_start(match.group("body"))
    for match in _INLINE.finditer(text):
        if _holds_query(match.group("body")):
            return _from_query_start(match.group("body"))
    return _from_query_start(text) if _holds_query(text) else None


def _from_query_start(text: str) -> str:
    match = _QUERY_START.search(text)
    start = match.start() if match else 0
    return text[start:].split(";", 1)[0].strip()


def parses(sql: str) -> bool:
    """Whether sqlglot reads ``sql`` as one SQLite query."""
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except (ParseError, TokenError, ValueError):
        return False
    return isinstance(tree, exp.Query)


def _prefixes(candidate: str) -> list[str]:
    """Prefixes ending at a line break or a sentence end, longest first."""
    cuts = {m.start() for m in re.finditer(r"\n", candidate)}
    cuts |= {m.end() - 1 for m in _SENTENCE_END.finditer(candidate)}
    return [
        candidate[:cut].strip() for cut in sorted(cuts, reverse=True) if candidate[:cut].strip()
    ]


def extract_sql(response: str) -> str | None:
    """The SQL query in ``response``, or None when it holds none (see the module docstring)."""
    candidate = _candidate(response)
    if not candidate:
        return None
    if parses(candidate):
        return candidate
    for prefix in _prefixes(candidate):
        if parses(prefix):
            return prefix
    return candidate
