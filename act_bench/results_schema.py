"""The one schema of ``results.json``, shared by ``eval`` (which builds a :class:`RunResults`
and writes its :meth:`RunResults.to_json`), ``--resume``, ``leaderboard submit`` and
``reproduce`` (which read one back with :func:`validate_results`).

Fields act-bench reads are typed strictly (a model name is a string, a count a
non-negative integer, a metric a finite number in [0, 100]); fields that other parts
still grow (``usage``, ``timings``, ``versions``) and unknown top-level keys are kept as
they are, so a newer writer's additions do not make an older reader refuse a run.
A violation is a :class:`DataError` naming the file and the dotted field.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from act_bench.errors import DataError

DEFAULT_PROTOCOL = "act-bench"
STATUSES = ("running", "complete", "incomplete")

Name = Annotated[StrictStr, Field(min_length=1)]
Count = Annotated[StrictInt, Field(ge=0)]
Metric = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False, strict=True)]


class _Open(BaseModel):
    """Known fields typed; unknown ones kept."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Shots(_Open):
    """``prompting.shots``: the in-context conversations shown (act_bench.prompting.shots)."""

    requested: Count = 0
    used: Count = 0
    pool: StrictStr | None = None
    pool_size: Count | None = None
    conversation_ids: list[StrictStr] = []
    note: StrictStr | None = None  # why fewer were used than requested


class Prompting(_Open):
    style: Name = "standard"
    shots: Shots | None = None


class DataFileRecord(_Open):
    path: StrictStr
    bytes: Count
    sha256: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{64}$")]


class DataSourceRecord(_Open):
    kind: Literal["bundled-sample", "files"]
    root: StrictStr | None = None
    version: StrictStr | None = None
    digest: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{64}$")]
    label: StrictStr
    files: list[DataFileRecord] = []


def _slice_cell(cell: dict[str, Any]) -> dict[str, Any]:
    """One slice value's numbers: ``n_items`` a count, every metric as ``metrics`` is."""
    if "n_items" not in cell:
        raise ValueError("a slice value needs 'n_items'")
    for name, value in cell.items():
        if name == "n_items":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"n_items must be a non-negative integer, got {value!r}")
        elif value is not None and not (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and 0.0 <= value <= 100.0
        ):
            raise ValueError(f"metric {name!r} must be a number in [0, 100] or null, got {value!r}")
    return cell


SliceCell = Annotated[dict[StrictStr, Any], AfterValidator(_slice_cell)]


def _ordered_pair(pair: list[float]) -> list[float]:
    if len(pair) != 2 or pair[0] > pair[1]:
        raise ValueError(f"an interval is [low, high] with low <= high, got {pair!r}")
    return pair


Interval = Annotated[list[Metric], AfterValidator(_ordered_pair)]
Sha256 = Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{64}$")]


class Trials(_Open):
    """``trials``: how many times each episode ran and with which seeds (act_bench.trials)."""

    num_trials: Annotated[StrictInt, Field(ge=1)]
    seeds: list[StrictInt]
    simulator_deterministic: bool
    note: StrictStr | None = None  # what differs between the trials


class PassK(_Open):
    """``pass_k``: tau-bench's pass^k (``pass_hat``) and pass@k (``pass_at``), k = "1".."K"."""

    tolerance: float
    n_items: Count
    pass_hat: dict[StrictStr, Metric | None]
    pass_at: dict[StrictStr, Metric | None]


class Bootstrap(_Open):
    """``bootstrap``: how ``metrics_ci`` was computed."""

    resamples: Annotated[StrictInt, Field(ge=1)]
    level: float
    seed: StrictInt
    unit: StrictStr
    n_units: Count


class RunResults(_Open):
    """``results.json`` of one run directory."""

    act_bench_version: Name
    created: StrictStr
    protocol: Name = DEFAULT_PROTOCOL
    status: Literal["running", "complete", "incomplete"]
    task: Name
    split: Name
    model: Name
    simulator: Name
    action_classifier: Name
    data_source: DataSourceRecord | StrictStr | None = None
    n_items: Annotated[StrictInt, Field(ge=1)]
    headline_metric: StrictStr | None = None
    config: dict[str, Any]
    config_hash: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{64}$")]
    versions: dict[str, Any] = {}
    prompting: Prompting | None = None
    skipped: dict[str, Count] = {}
    metrics: dict[str, Metric | None] | None = None
    counts: dict[str, Count] | None = None
    # {slice name: {value: {"n_items": n, metric: value}}} (act_bench.metrics.slices)
    slices: dict[StrictStr, dict[StrictStr, SliceCell]] | None = None
    timings: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    # issue 16: trials, spread across them, intervals over items, pass^k / pass@k, and the
    # simulator's / classifier's prompt hashes (act_bench.trials, act_bench.prompt_provenance)
    trials: Trials | None = None
    metrics_std: dict[str, Annotated[float, Field(ge=0.0, allow_inf_nan=False)] | None] | None = (
        None
    )
    metrics_ci: dict[str, Interval | None] | None = None
    pass_k: PassK | None = None
    bootstrap: Bootstrap | None = None
    prompts: dict[str, Sha256] = {}

    @field_validator("created")
    @classmethod
    def _iso_timestamp(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not an ISO 8601 timestamp: {value[:40]!r}") from None
        return value

    @model_validator(mode="after")
    def _finished_runs_have_scores(self) -> RunResults:
        if self.status != "running":
            for name in ("metrics", "counts"):
                if getattr(self, name) is None:
                    raise ValueError(f"a {self.status} run needs {name!r}")
        return self

    @classmethod
    def build(cls, *, file: str, **fields: Any) -> RunResults:
        """The results act-bench writes: every top-level key a declared field (a misspelt
        key fails here, where it is written, rather than passing as an unknown extra), and
        the values validated as readers validate them."""
        undeclared = sorted(set(fields) - set(cls.model_fields))
        if undeclared:
            raise DataError(
                f"results.json: {', '.join(undeclared)} is not a field of RunResults",
                file=file,
                field=undeclared[0],
            )
        return validate_results(fields, file=file)

    def to_json(self) -> dict[str, Any]:
        """``results.json`` as written: the keys that were set, nested ones included, so
        a running run has no ``metrics`` key yet rather than ``"metrics": null``."""
        return self.model_dump(mode="json", exclude_unset=True)

    @property
    def n_backend_errors(self) -> int:
        """Items that ended in a backend error (``counts.n_backend_errors``)."""
        return (self.counts or {}).get("n_backend_errors", 0)

    @property
    def data_label(self) -> str | None:
        """``sample`` / ``data:<digest>`` for the leaderboard; older results: their string."""
        source = self.data_source
        if isinstance(source, DataSourceRecord):
            return source.label
        return "sample" if source == "bundled-sample" else source


def _field(location: tuple[Any, ...]) -> str | None:
    """The dotted field of a pydantic error location, without the union member tags."""
    tags = {"str", "float", "int", "DataSourceRecord"}
    parts = [str(part) for part in location if str(part) not in tags]
    return ".".join(parts) or None


def validate_results(data: Any, *, file: str) -> RunResults:
    """``data`` as :class:`RunResults`, or a :class:`DataError` naming ``file`` and the field."""
    if not isinstance(data, dict):
        raise DataError(f"results.json must hold an object, not {type(data).__name__}", file=file)
    try:
        return RunResults.model_validate(data)
    except ValidationError as error:
        problems = error.errors(include_url=False)
        first = problems[0]
        field = _field(first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] != "value_error":
            shown = repr(first.get("input"))
            message += f", got {shown if len(shown) <= 40 else shown[:37] + '...'}"
        if len(problems) > 1:
            message += f" (and {len(problems) - 1} more)"
        where = f"{field}: " if field else ""
        raise DataError(f"invalid results.json: {where}{message}", file=file, field=field) from None
