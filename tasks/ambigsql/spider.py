"""Read Spider 1.0 in its official layout (Yu et al., 2018; yale-lily.github.io/spider).

A Spider folder holds::

    tables.json                      schemas of every database
    train_spider.json                training examples (7,000)
    dev.json                         development examples (1,034)
    database/<db_id>/<db_id>.sqlite  one SQLite file per database

Examples are read for ``db_id``, ``question`` and ``query`` only, so a third-party reduction
of the training file that keeps just those fields, named ``train_spider_min.json``, is read
when (and only when) ``train_spider.json`` is absent. ``train_others.json`` is not used:
AmbigSQL's training split is built from the 7,000 examples of ``train_spider.json`` (App. C,
Table A10).

Some official databases also ship as ``database/<db_id>/schema.sql`` (DDL and INSERTs);
:func:`materialize_databases` turns such scripts into the ``.sqlite`` files, which is how
act-bench's bundled sample and test fixtures, written as SQL text, become databases.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from act_bench.errors import DataError
from act_bench.files import atomic_path

TABLES_FILE = "tables.json"
DEV_FILE = "dev.json"
TRAIN_FILES = ("train_spider.json", "train_spider_min.json")
SCHEMA_SCRIPT = "schema.sql"
DOWNLOAD_HINT = "act-bench data download spider --data-dir DIR"


@dataclass(frozen=True, slots=True)
class SpiderExample:
    """One Spider request: the question, its gold SQL, the database, and where it came from."""

    db_id: str
    question: str
    query: str
    source_file: str
    index: int


@dataclass(frozen=True, slots=True)
class SpiderColumn:
    """A column: its table's index (-1 for ``*``), its natural and original names, its type."""

    table_index: int
    name: str
    original: str
    type: str


@dataclass(frozen=True, slots=True)
class SpiderSchema:
    """One database's entry of ``tables.json``."""

    db_id: str
    table_names: tuple[str, ...]
    table_names_original: tuple[str, ...]
    columns: tuple[SpiderColumn, ...]
    primary_keys: tuple[int, ...]
    foreign_keys: tuple[tuple[int, int], ...]

    def columns_of(self, table_index: int) -> tuple[SpiderColumn, ...]:
        return tuple(c for c in self.columns if c.table_index == table_index)

    def table_index(self, original_name: str) -> int | None:
        """The index of a table named as in SQL (case-insensitive), or None."""
        lowered = original_name.lower()
        return next(
            (i for i, name in enumerate(self.table_names_original) if name.lower() == lowered),
            None,
        )


@dataclass(frozen=True, slots=True)
class SpiderLayout:
    """A Spider folder; nothing is read until asked for."""

    root: Path

    @property
    def tables_path(self) -> Path:
        return self.root / TABLES_FILE

    @property
    def dev_path(self) -> Path:
        return self.root / DEV_FILE

    @property
    def train_path(self) -> Path | None:
        """``train_spider.json``, else ``train_spider_min.json``, else None."""
        return next((p for p in (self.root / n for n in TRAIN_FILES) if p.is_file()), None)

    def database_path(self, db_id: str) -> Path:
        return self.root / "database" / db_id / f"{db_id}.sqlite"

    def has_database(self, db_id: str) -> bool:
        return self.database_path(db_id).is_file()

    def check(self) -> None:
        """Fail clearly when this is not a Spider folder."""
        if not self.root.is_dir():
            raise DataError(
                "Spider folder not found", file=str(self.root), hint=f"download it: {DOWNLOAD_HINT}"
            )
        for path in (self.tables_path, self.dev_path):
            if not path.is_file():
                raise DataError(
                    f"{path.name} is missing from the Spider folder",
                    file=str(path),
                    hint=f"download the official release: {DOWNLOAD_HINT}",
                )

    def read_schemas(self) -> dict[str, SpiderSchema]:
        return read_schemas(self.tables_path)

    def read_examples(self, split: str) -> list[SpiderExample]:
        """Spider's ``train`` or ``dev`` examples, in file order."""
        if split == "dev":
            return read_examples(self.dev_path)
        if split == "train":
            path = self.train_path
            if path is None:
                raise DataError(
                    f"no training file in the Spider folder (looked for {', '.join(TRAIN_FILES)})",
                    file=str(self.root / TRAIN_FILES[0]),
                    hint=f"download the official release: {DOWNLOAD_HINT}",
                )
            return read_examples(path)
        raise ValueError(f"unknown Spider split {split!r}; expected 'train' or 'dev'")


def _load_json_list(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("file not found", file=str(path), hint=DOWNLOAD_HINT) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"invalid JSON: {error}", file=str(path)) from error
    if not isinstance(data, list):
        raise DataError("expected a JSON list", file=str(path))
    return data


def _text(path: Path, record: str, data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise DataError("missing or empty text", file=str(path), record=record, field=field)
    return value


def _list(path: Path, record: str, data: dict[str, Any], field: str) -> list[Any]:
    value = data.get(field)
    if not isinstance(value, list):
        raise DataError("missing or not a list", file=str(path), record=record, field=field)
    return value


def read_examples(path: Path) -> list[SpiderExample]:
    """The examples of a Spider file (``dev.json``, ``train_spider.json`` or its reduction)."""
    examples = []
    for index, data in enumerate(_load_json_list(path)):
        record = f"example {index}"
        if not isinstance(data, dict):
            raise DataError("expected a JSON object", file=str(path), record=record)
        examples.append(
            SpiderExample(
                db_id=_text(path, record, data, "db_id"),
                question=" ".join(_text(path, record, data, "question").split()),
                query=_text(path, record, data, "query").strip(),
                source_file=path.name,
                index=index,
            )
        )
    return examples


def read_schemas(path: Path) -> dict[str, SpiderSchema]:
    """The schemas of ``tables.json`` by ``db_id``."""
    schemas = {}
    for index, data in enumerate(_load_json_list(path)):
        record = f"schema {index}"
        if not isinstance(data, dict):
            raise DataError("expected a JSON object", file=str(path), record=record)
        db_id = _text(path, record, data, "db_id")
        schemas[db_id] = _schema(path, f"schema {db_id}", data, db_id)
    return schemas


def _schema(path: Path, record: str, data: dict[str, Any], db_id: str) -> SpiderSchema:
    names = _list(path, record, data, "column_names")
    originals = _list(path, record, data, "column_names_original")
    types = _list(path, record, data, "column_types")
    if not len(names) == len(originals) == len(types):
        raise DataError(
            "column_names, column_names_original and column_types differ in length",
            file=str(path),
            record=record,
            field="column_names",
        )
    try:
        columns = tuple(
            SpiderColumn(int(n[0]), str(n[1]), str(o[1]), str(t))
            for n, o, t in zip(names, originals, types, strict=True)
        )
        foreign_keys = tuple((int(a), int(b)) for a, b in _list(path, record, data, "foreign_keys"))
    except (TypeError, ValueError, IndexError) as error:
        raise DataError(
            f"malformed column entry: {error}", file=str(path), record=record, field="column_names"
        ) from error
    tables = tuple(str(t) for t in _list(path, record, data, "table_names"))
    tables_original = tuple(str(t) for t in _list(path, record, data, "table_names_original"))
    if len(tables) != len(tables_original):
        raise DataError(
            "table_names and table_names_original differ in length",
            file=str(path),
            record=record,
            field="table_names",
        )
    keys = tuple(_primary_keys(path, record, data))
    return SpiderSchema(db_id, tables, tables_original, columns, keys, foreign_keys)


def _primary_keys(path: Path, record: str, data: dict[str, Any]) -> list[int]:
    """Column indices; a composite key is a nested list in newer releases, flattened here."""
    keys: list[int] = []
    for key in _list(path, record, data, "primary_keys"):
        keys.extend(int(k) for k in (key if isinstance(key, list) else [key]))
    return keys


def materialize_databases(spider_dir: Path, db_ids: Sequence[str] | None = None) -> list[Path]:
    """Create ``database/<db>/<db>.sqlite`` from ``schema.sql`` wherever the file is missing.

    Each database is written to a temporary file and renamed into place, so a reader never
    sees half a database. Returns the files created.
    """
    created = []
    folders = sorted((spider_dir / "database").glob("*/"))
    for folder in folders:
        db_id = folder.name
        script, target = folder / SCHEMA_SCRIPT, folder / f"{db_id}.sqlite"
        if (db_ids is not None and db_id not in db_ids) or target.exists() or not script.is_file():
            continue
        write_database(script.read_text(encoding="utf-8"), target)
        created.append(target)
    return created


def write_database(script: str, target: Path) -> None:
    """Execute a SQL script into a new SQLite file at ``target`` (atomically)."""
    try:
        with atomic_path(target) as temporary:
            connection = sqlite3.connect(temporary)
            try:
                # A private temporary file: no journal, no syncing until it is complete.
                connection.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
                connection.executescript(script)
                connection.commit()
            finally:
                connection.close()
    except sqlite3.Error as error:
        raise DataError(f"invalid database script: {error}", file=str(target)) from error
