"""Read a built AmbigSQL split (``<folder>/<split>.jsonl``) into conversations.

Each line is one conversation written by the builder (:mod:`act_bench_tasks.ambigsql.builder`). A
conversation's turn states are read as stored; each turn state and goal then gets the path
of its SQLite database (``db_path`` in their metadata), looked up in the Spider folders
given, first to last: normally the folder the split was built from (``stats.json``
records it) and ``<data_dir>/spider``. Conversations whose database file is in none of
them are left out and counted by reason, so that evaluation reports them
(``AmbigSQLTask.skipped``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from act_bench_tasks.ambigsql.builder.records import AmbiguityType
from act_bench_tasks.ambigsql.spider import SpiderLayout

from act_bench.errors import DataError
from act_bench.types import Action, Conversation, TurnState

MISSING_DATABASE = "missing_database"
_REQUIRED_TEXT = ("id", "pair_id", "db_id", "gold_sql", "clear_request")


@dataclass(frozen=True, slots=True)
class AmbigSQLRecord:
    """One line of a built split: a conversation with its provenance."""

    id: str
    pair_id: str
    db_id: str
    ambiguous: bool
    ambiguity_type: AmbiguityType | None
    gold_sql: str
    clear_request: str
    turn_states: tuple[TurnState, ...]


@dataclass(frozen=True, slots=True)
class LoadedSplit:
    """Conversations ready to evaluate, and what was left out, by reason (in turn states)."""

    conversations: list[Conversation]
    skipped: dict[str, int]
    missing_databases: tuple[str, ...]


def read_records(path: Path) -> list[AmbigSQLRecord]:
    """Every line of a split file, validated; an invalid one raises naming line and field."""
    if not path.is_file():
        raise DataError("file not found", file=str(path))
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                records.append(_record(path, f"line {number}", line))
    return records


def _record(path: Path, where: str, line: str) -> AmbigSQLRecord:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise DataError(f"invalid JSON: {error}", file=str(path), record=where) from error
    if not isinstance(data, dict):
        raise DataError("expected a JSON object", file=str(path), record=where)
    record = f"{where} ({data.get('id', 'no id')})"
    for field in _REQUIRED_TEXT:
        if not isinstance(data.get(field), str) or not data[field].strip():
            raise DataError("missing or empty text", file=str(path), record=record, field=field)
    if not isinstance(data.get("ambiguous"), bool):
        raise DataError("expected true or false", file=str(path), record=record, field="ambiguous")
    ambiguity = _ambiguity_type(path, record, data)
    states = _turn_states(path, record, data)
    expected = 2 if data["ambiguous"] else 1
    if len(states) != expected or states[0].gold_action is not (
        Action.CLARIFY if data["ambiguous"] else Action.ANSWER
    ):
        raise DataError(
            f"an {'ambiguous' if data['ambiguous'] else 'unambiguous'} conversation has "
            f"{expected} turn state(s), the first with gold action "
            f"{'CLARIFY' if data['ambiguous'] else 'ANSWER'}",
            file=str(path),
            record=record,
            field="turn_states",
        )
    return AmbigSQLRecord(
        id=data["id"],
        pair_id=data["pair_id"],
        db_id=data["db_id"],
        ambiguous=data["ambiguous"],
        ambiguity_type=ambiguity,
        gold_sql=data["gold_sql"],
        clear_request=data["clear_request"],
        turn_states=states,
    )


def _ambiguity_type(path: Path, record: str, data: dict[str, Any]) -> AmbiguityType | None:
    value = data.get("ambiguity_type")
    if not data["ambiguous"] and value is None:
        return None
    try:
        return AmbiguityType(value)
    except ValueError:
        raise DataError(
            f"expected one of {', '.join(t.value for t in AmbiguityType)}, got {value!r}",
            file=str(path),
            record=record,
            field="ambiguity_type",
        ) from None


def _turn_states(path: Path, record: str, data: dict[str, Any]) -> tuple[TurnState, ...]:
    raw = data.get("turn_states")
    if not isinstance(raw, list) or not raw:
        raise DataError(
            "expected a non-empty list", file=str(path), record=record, field="turn_states"
        )
    try:
        return tuple(TurnState.from_json(item) for item in raw)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise DataError(
            f"malformed turn state: {error!r}", file=str(path), record=record, field="turn_states"
        ) from error


def _with_database(state: TurnState, db_path: Path) -> TurnState:
    location = {"db_path": str(db_path)}
    return replace(
        state,
        goals=tuple(replace(g, metadata={**g.metadata, **location}) for g in state.goals),
        metadata={**state.metadata, **location},
    )


def load_split(
    path: Path, spider_dirs: Sequence[Path], *, include_followups: bool = False
) -> LoadedSplit:
    """The split's conversations with database paths; those without a database left out.

    With ``include_followups`` an ambiguous conversation keeps its second turn state (the
    clear request after the clarification exchange); evaluation leaves it out, since the
    trajectory simulated from t1 covers it (see ``AmbigSQLTask.load``).
    """
    layouts = [SpiderLayout(Path(d)) for d in spider_dirs]
    conversations = []
    skipped: Counter[str] = Counter()
    missing: set[str] = set()
    for record in read_records(path):
        states = record.turn_states if include_followups else record.turn_states[:1]
        db_path = next(
            (lay.database_path(record.db_id) for lay in layouts if lay.has_database(record.db_id)),
            None,
        )
        if db_path is None:
            skipped[MISSING_DATABASE] += len(states)
            missing.add(record.db_id)
            continue
        conversations.append(
            Conversation(record.id, tuple(_with_database(s, db_path) for s in states))
        )
    return LoadedSplit(conversations, dict(skipped), tuple(sorted(missing)))


def built_from(folder: Path) -> Path | None:
    """The Spider folder a build records in its ``stats.json``, if any."""
    stats = folder / "stats.json"
    if not stats.is_file():
        return None
    try:
        data = json.loads(stats.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DataError(f"invalid JSON: {error}", file=str(stats)) from error
    spider_dir = (data.get("build") or {}).get("spider_dir") if isinstance(data, dict) else None
    return Path(spider_dir) if isinstance(spider_dir, str) else None
