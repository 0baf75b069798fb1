"""Per-slice metrics: records grouped by the slice values they carry, counts beside metrics."""

from __future__ import annotations

from dataclasses import replace

import pytest

from act_bench.errors import DataError
from act_bench.metrics.slices import group_by_slice, slice_metrics
from act_bench.results_schema import validate_results
from act_bench.types import Action, EpisodeRecord
from tests.metrics.test_clarification import record

C, A = Action.CLARIFY, Action.ANSWER


def sliced(r, **values):
    return replace(r, slices=values)


RECORDS = [
    sliced(record("x1", C, C, questions=1, score=1.0), kind="information", turn="1"),
    sliced(record("x2", C, A, score=0.0), kind="information", turn="10"),
    sliced(record("x3", C, C, questions=1, score=0.0), kind="population", turn="2"),
    sliced(record("x4", A, A, score=1.0), kind="clear", turn="5+"),
    record("x5", A, A, score=1.0),  # an old line without slices: in no slice
]


def mean_score(records):
    return {"score": 100 * sum(r.trajectory_score for r in records) / len(records)}


def test_values_grouped_and_naturally_ordered():
    groups = group_by_slice(RECORDS)
    assert list(groups) == ["kind", "turn"]
    assert list(groups["turn"]) == ["1", "2", "5+", "10"]
    assert [r.id for r in groups["kind"]["information"]] == ["x1#g0", "x2#g0"]


def test_each_value_has_its_count_and_metrics():
    table = slice_metrics(RECORDS, mean_score)
    assert table["kind"]["information"] == {"n_items": 2, "score": 50.0}
    assert table["kind"]["population"] == {"n_items": 1, "score": 0.0}
    assert table["kind"]["clear"] == {"n_items": 1, "score": 100.0}
    assert sum(cell["n_items"] for cell in table["turn"].values()) == 4


def test_record_slices_round_trip_through_json():
    line = RECORDS[0].to_json()
    assert line["slices"] == {"kind": "information", "turn": "1"}
    assert EpisodeRecord.from_json(line).slices == RECORDS[0].slices
    assert "slices" not in RECORDS[4].to_json()


def test_results_schema_takes_slices_and_names_a_bad_cell():
    base = {
        "act_bench_version": "0",
        "created": "2026-01-01T00:00:00+00:00",
        "status": "complete",
        "task": "ambigsql",
        "split": "validation",
        "model": "m",
        "simulator": "gold",
        "action_classifier": "heuristic",
        "n_items": 4,
        "config": {},
        "config_hash": "0" * 64,
        "metrics": {},
        "counts": {},
    }
    table = slice_metrics(RECORDS, mean_score)
    assert validate_results({**base, "slices": table}, file="r.json").slices == table
    bad = {"kind": {"clear": {"n_items": -1, "score": 1.0}}}
    with pytest.raises(DataError, match="n_items must be a non-negative integer") as error:
        validate_results({**base, "slices": bad}, file="r.json")
    assert error.value.field == "slices.kind.clear"
    with pytest.raises(DataError, match="in \\[0, 100\\]"):
        validate_results({**base, "slices": {"kind": {"x": {"n_items": 1, "s": 250}}}}, file="f")
