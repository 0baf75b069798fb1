"""DPO-Dist pair construction: two different backends, the JSONL cache, failures, duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from act_bench_baselines.dpo_dist.trainer import Generator, PairCache, build_pairs
from baselines_scripted import register_generators

import act_bench.backends
from act_bench.backends import BackendOptions, SamplingParams
from act_bench.task import get_task, turn_states

PACIFIC = get_task("pacific")
GREEDY = SamplingParams(max_new_tokens=8, seed=0)


@pytest.fixture(autouse=True)
def _backends() -> None:
    register_generators()


def _build(states, cache, strong="scripted", weak="scripted-unsure"):
    return build_pairs(
        states,
        task=PACIFIC,
        cache=cache,
        strong=Generator(strong, GREEDY),
        weak=Generator(weak, GREEDY),
        options=BackendOptions(),
        chunk_size=2,
        show_progress=False,
        description="pairs",
    )


def _cache(tmp_path: Path, strong="scripted", weak="scripted-unsure") -> PairCache:
    return PairCache(tmp_path, "pacific", Generator(strong, GREEDY), Generator(weak, GREEDY))


def test_strong_wins_weak_loses_and_pairs_are_cached(tmp_path: Path, tiny_data_dir: Path) -> None:
    states = turn_states(PACIFIC.load("validation", tiny_data_dir))[:3]
    cache = _cache(tmp_path)
    pairs, report = _build(states, cache)
    assert [ts.id for ts, _ in pairs] == [ts.id for ts in states]
    assert all(p.rejected == "I am not sure." for _, p in pairs)
    assert pairs[1][1].chosen == "Which year are you asking about?"  # the scripted strong model
    assert pairs[0][1].provenance["chosen_from"] == "scripted"
    assert (report.generated, report.cached) == (3, 0)
    lines = cache.path.read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["prompt_sha"]


def test_a_second_run_pays_nothing(tmp_path: Path, tiny_data_dir: Path, monkeypatch) -> None:
    states = turn_states(PACIFIC.load("validation", tiny_data_dir))[:3]
    first, _ = _build(states, _cache(tmp_path))
    monkeypatch.setattr(act_bench.backends, "load_backend", _refuse)
    again, report = _build(states, _cache(tmp_path))
    assert (report.generated, report.cached) == (0, 3)
    assert [p for _, p in again] == [p for _, p in first]


def test_a_changed_prompt_or_sampling_is_generated_again(
    tmp_path: Path, tiny_data_dir: Path
) -> None:
    states = turn_states(PACIFIC.load("validation", tiny_data_dir))[:2]
    cache = _cache(tmp_path)
    _build(states, cache)
    lines = [json.loads(line) for line in cache.path.read_text().splitlines()]
    lines[0]["prompt_sha"] = "stale"
    cache.path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    _, report = _build(states, cache)
    assert (report.generated, report.cached) == (1, 1)
    other = PairCache(
        tmp_path,
        "pacific",
        Generator("scripted", GREEDY),
        Generator("scripted-unsure", SamplingParams(temperature=1.0)),
    )
    assert other.path != cache.path


def test_failures_are_reported_not_cached_and_retried(tmp_path: Path, tiny_data_dir: Path) -> None:
    states = turn_states(PACIFIC.load("validation", tiny_data_dir))[:3]
    cache = _cache(tmp_path, weak="scripted-flaky")
    pairs, report = _build(states, cache, weak="scripted-flaky")
    failed = [ts.id for ts in states if "2022" in ts.prompt.request]
    assert list(report.failed) == failed and report.failed[failed[0]] == "scripted failure"
    assert len(pairs) == 3 - len(failed)
    _, again = _build(states, cache, weak="scripted-flaky")
    assert (again.cached, list(again.failed)) == (3 - len(failed), failed)


def test_identical_responses_are_left_out(tmp_path: Path, tiny_data_dir: Path) -> None:
    states = turn_states(PACIFIC.load("validation", tiny_data_dir))[:2]
    pairs, report = _build(states, _cache(tmp_path, weak="scripted"), weak="scripted")
    assert pairs == [] and report.identical == [ts.id for ts in states]


@pytest.mark.slow
def test_embedded_model_at_two_temperatures(tmp_path: Path, tiny_data_dir: Path) -> None:
    """The strong side greedy, the weak side sampled at temperature 1.5: real generations."""
    states = turn_states(PACIFIC.load("validation", tiny_data_dir))[:2]
    strong = Generator("smollm2", GREEDY)
    weak = Generator("smollm2", SamplingParams(max_new_tokens=8, temperature=1.5, seed=0))
    cache = PairCache(tmp_path, "pacific", strong, weak)
    pairs, report = build_pairs(
        states,
        task=PACIFIC,
        cache=cache,
        strong=strong,
        weak=weak,
        options=BackendOptions(batch_size=2),
        chunk_size=2,
        show_progress=False,
        description="pairs",
    )
    assert report.generated == 2 and not report.failed
    assert len(pairs) + len(report.identical) == 2
    assert all(p.chosen.strip() and p.chosen != p.rejected for _, p in pairs)
    assert len(cache.path.read_text().splitlines()) == 2


def _refuse(*args, **kwargs):
    raise AssertionError("a cached run must not load a generator")


def test_generator_calls_go_through_the_response_cache(
    tmp_path: Path, tiny_data_dir: Path, monkeypatch
) -> None:
    """A fresh pair cache (another run directory) still pays nothing: the strong and weak
    generators' calls are answered from the response cache (issue 16)."""
    states = turn_states(PACIFIC.load("validation", tiny_data_dir))[:3]
    first, _ = _build(states, _cache(tmp_path / "a"))
    monkeypatch.setattr(act_bench.backends, "load_backend", _refuse)
    again, report = _build(states, _cache(tmp_path / "b"))
    assert report.generated == 3 and [p for _, p in again] == [p for _, p in first]
