"""One exception family. The CLI prints these as one line plus a hint, without a traceback."""

from __future__ import annotations


class ActBenchError(Exception):
    """Base of every error act-bench raises on purpose."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class ConfigError(ActBenchError):
    """A flag, spec or config value that cannot be used."""


class BackendError(ActBenchError):
    """A model backend that cannot be loaded or that failed to answer."""


class DataError(ActBenchError):
    """An invalid or missing data file, naming the file, the record and the field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        record: str | int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file is not None else None,
                f"record {record}" if record is not None else None,
                f"field {field!r}" if field is not None else None,
            )
            if part
        )
        super().__init__(f"{message} ({where})" if where else message, hint=hint)
        self.file = file
        self.record = record
        self.field = field
