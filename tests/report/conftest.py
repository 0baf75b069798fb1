"""Run directories for report tests, written from hand-made records (no model, no embedder)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from act_bench.metrics.clarification import clarification_metrics
from act_bench.metrics.slices import slice_metrics
from act_bench.results import config_hash
from act_bench.types import Action, EpisodeRecord
from tests.metrics.test_clarification import record

C, A = Action.CLARIFY, Action.ANSWER


def hand_made_records() -> list[EpisodeRecord]:
    """8 AmbigSQL-like episodes: 4 clear, 4 ambiguous of three types."""
    made = [
        (record("p1-clear", A, A, score=1.0), "clear"),
        (record("p1-amb", C, C, questions=1, score=1.0), "information"),
        (record("p2-clear", A, C, questions=1, score=0.0), "clear"),
        (record("p2-amb", C, A, score=0.0), "population"),
        (record("p3-clear", A, A, score=1.0), "clear"),
        (record("p3-amb", C, C, questions=2, score=1.0), "presentation"),
        (record("p4-clear", A, A, score=0.0), "clear"),
        (record("p4-amb", C, None, score=0.0), "information"),
    ]
    return [replace(r, slices={"ambiguity_type": kind}) for r, kind in made]


def similarity(pairs):
    return [0.5 for _ in pairs]


def mean_metrics(records):
    scores = [r.trajectory_score for r in records]
    return {
        "execution_match": 100 * sum(scores) / len(scores),
        **clarification_metrics(records, tolerance=0.5, similarity=similarity),
    }


def write_run(path: Path, records: list[EpisodeRecord], task: str = "ambigsql") -> Path:
    """A finished run directory whose results.json passes the shared schema."""
    path.mkdir(parents=True)
    config = {"task": task, "model": "hand-made", "seed": 0}
    results = {
        "act_bench_version": "0.1.0",
        "created": "2026-12-02T00:00:00+00:00",
        "protocol": "act-bench",
        "status": "complete",
        "task": task,
        "split": "validation",
        "model": "hand-made",
        "simulator": "gold",
        "action_classifier": "heuristic",
        "data_source": "bundled-sample",
        "n_items": len(records),
        "headline_metric": "execution_match",
        "config": config,
        "config_hash": config_hash(config),
        "metrics": mean_metrics(records),
        "counts": {"n_items": len(records)},
        "slices": slice_metrics(records, mean_metrics),
    }
    (path / "results.json").write_text(json.dumps(results), encoding="utf-8")
    lines = "".join(json.dumps(r.to_json()) + "\n" for r in records)
    (path / "samples.jsonl").write_text(lines, encoding="utf-8")
    return path


@pytest.fixture
def hand_made_run(tmp_path) -> Path:
    return write_run(tmp_path / "run", hand_made_records())
