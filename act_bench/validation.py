"""Reading a JSON data file at the edge: every failure is a DataError naming the file, the
record and the field (STYLE.md, "Data").

A task's loader reads its official file with :func:`read_json_file` and walks the records
with a :class:`JsonChecker`, which returns each field only when it has the expected type;
the loader names each record as a reader would look for it (``conversation 7f3a``,
``item 12``), and the checker adds the file and the field.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from act_bench.errors import DataError

Kind = type | tuple[type, ...]
_KIND_NAMES: dict[type, str] = {
    str: "a string",
    int: "an integer",
    bool: "a boolean",
    list: "a list",
    dict: "an object",
    numbers.Real: "a number",
}


def read_json_file(path: Path, *, hint: str | None = None) -> Any:
    """The parsed content of a JSON file; broken JSON (often a truncated download) and
    non-UTF-8 text are DataErrors, the first with ``hint`` (how to get the file again)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DataError(
            f"invalid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
            "the file may be truncated",
            file=str(path),
            hint=hint,
        ) from error
    except UnicodeDecodeError as error:
        raise DataError(f"not UTF-8 text: {error.reason}", file=str(path)) from error


def is_kind(value: Any, kind: Kind) -> bool:
    """isinstance, except that a JSON boolean is not a number."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def kind_name(kind: Kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)


class JsonChecker:
    """Field access on one file's records that fails with a DataError naming the file, the
    record and the field. ``path`` (as in ``clarification_turn.``) prefixes a nested field's
    name in the error."""

    def __init__(self, path: Path | str) -> None:
        self.file = str(path)

    def error(self, message: str, record: str | None, field: str | None = None) -> DataError:
        return DataError(message, file=self.file, record=record, field=field)

    def mapping(self, value: Any, record: str, field: str | None = None) -> Mapping[str, Any]:
        """``value`` when it is a JSON object."""
        if not isinstance(value, Mapping):
            raise self.error(f"expected a JSON object, got {type(value).__name__}", record, field)
        return value

    def field(
        self, data: Mapping[str, Any], name: str, kind: Kind, record: str, *, path: str = ""
    ) -> Any:
        """A required field of type ``kind``."""
        field = f"{path}{name}"
        if name not in data:
            raise self.error(f"missing field {field!r}", record, field)
        value = data[name]
        if not is_kind(value, kind):
            raise self.error(
                f"field {field!r} must be {kind_name(kind)}, got {type(value).__name__}",
                record,
                field,
            )
        return value

    def items(self, data: Mapping[str, Any], name: str, record: str) -> list[Any]:
        """A required list."""
        return self.field(data, name, list, record)

    def text(self, data: Mapping[str, Any], name: str, record: str, *, path: str = "") -> str:
        """A required non-empty string."""
        value = self.field(data, name, str, record, path=path)
        if not value.strip():
            field = f"{path}{name}"
            raise self.error(f"field {field!r} is empty", record, field)
        return value

    def optional_text(
        self, data: Mapping[str, Any], name: str, record: str, *, path: str = ""
    ) -> str:
        """A string field that may be absent (""), but not of another type."""
        if name not in data:
            return ""
        return self.field(data, name, str, record, path=path)

    def integer(self, data: Mapping[str, Any], name: str, record: str, *, path: str = "") -> int:
        """A required integer (a boolean is not one)."""
        field = f"{path}{name}"
        value = data.get(name)
        if name not in data or not is_kind(value, int):
            raise self.error(f"field {field!r} must be an integer", record, field)
        return value
