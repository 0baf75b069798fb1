"""--num-trials: per-trial seeds, one samples line per (episode, trial), resume per
(episode, trial), and the uncertainty results.json reports (issue 16)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from act_bench.backends import BACKENDS, BackendOptions, Generation, SamplingParams, Usage
from act_bench.evaluation import EvalConfig, run_evaluation
from act_bench.results import read_samples
from act_bench.trials import pass_k_summary, trial_seed, trial_statistics
from act_bench.types import Message

SEEDS_SEEN: list[int | None] = []
FAILING_SEEDS: set[int | None] = set()  # calls with these seeds fail (a backend error)


class SeedBackend:
    """Answers with the seed it was given, asks first when the seed is odd."""

    def __init__(self) -> None:
        self.spec = "seeded"
        self.usage = Usage()

    def generate(
        self, conversations: Sequence[Sequence[Message]], params: SamplingParams
    ) -> list[Generation]:
        SEEDS_SEEN.append(params.seed)
        if params.seed in FAILING_SEEDS:
            return [Generation(text="", error="server down") for _ in conversations]
        texts = []
        for messages in conversations:
            asked = any(m.content.startswith("Which") for m in messages)
            odd = (params.seed or 0) % 2 == 1
            texts.append("Which one do you mean?" if odd and not asked else f"seed {params.seed}")
        return [Generation(text=t, prompt_tokens=3, completion_tokens=2) for t in texts]


def load_seeded(argument: str | None, options: BackendOptions) -> SeedBackend:
    return SeedBackend()


@pytest.fixture(autouse=True)
def _seeded_backend():
    if "seeded" not in BACKENDS:
        BACKENDS.add("seeded", "test_trials:load_seeded")
    SEEDS_SEEN.clear()
    FAILING_SEEDS.clear()


def test_trial_seeds_derive_from_the_run_seed() -> None:
    assert trial_seed(5, 0) == 5  # a one-trial run is the run it always was
    seeds = [trial_seed(5, t) for t in range(6)]
    assert len(set(seeds)) == 6 and all(0 <= s < 2**31 for s in seeds)
    assert seeds == [trial_seed(5, t) for t in range(6)]
    assert trial_seed(6, 1) not in seeds


def test_one_trial_keeps_the_identity_it_had() -> None:
    identity = EvalConfig().identity()
    assert "num_trials" not in identity and "cache_dir" not in identity
    assert EvalConfig(num_trials=3).identity()["num_trials"] == 3


def _config(tmp_path, **changes) -> EvalConfig:
    return EvalConfig(
        model="seeded",
        data_dir=None,  # the bundled sample: tests take the bundled_sample fixture
        limit=4,
        num_trials=3,
        output_dir=str(tmp_path / "run"),
        **changes,
    )


def test_trials_write_one_line_per_episode_and_trial(tmp_path, bundled_sample) -> None:
    result = run_evaluation(_config(tmp_path, seed=1), show_progress=False)
    lines = [json.loads(x) for x in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert len(lines) == 12
    assert sorted({(line["id"], line["trial"]) for line in lines}) == sorted(
        (line["id"], t) for line in lines[:4] for t in range(3)
    )
    seeds = [trial_seed(1, t) for t in range(3)]  # odd, odd, even
    assert set(SEEDS_SEEN) == set(seeds)
    for line in lines:  # each trial's policy sampled with that trial's seed
        assert line["prediction"] == f"seed {seeds[line['trial']]}" or line["clarified"]
    results = result.results
    assert results["trials"]["seeds"] == seeds and results["trials"]["simulator_deterministic"]
    assert set(results["pass_k"]["pass_hat"]) == {"1", "2", "3"}
    assert results["bootstrap"]["resamples"] == 1000 and results["bootstrap"]["n_units"] == 4
    ci = results["metrics_ci"]["action_accuracy"]
    assert ci[0] <= results["metrics"]["action_accuracy"] <= ci[1]
    # trial seeds differ in parity, so the clarification rate differs across trials
    assert results["metrics_std"]["mean_clarification_rounds"] > 0


def test_resume_reruns_only_the_missing_episode_trials(tmp_path, bundled_sample) -> None:
    config = _config(tmp_path)
    first = run_evaluation(config, show_progress=False)
    samples = tmp_path / "run" / "samples.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    samples.write_text("".join(lines[:-5]))
    kept = {(json.loads(x)["id"], json.loads(x)["trial"]) for x in lines[:-5]}
    SEEDS_SEEN.clear()
    second = run_evaluation(config, resume=True, show_progress=False)
    records = read_samples(samples)
    assert len(records) == 12 and len({r.key for r in records}) == 12
    assert second.results["timings"]["resumed_items"] == len(kept) == 7
    assert (
        second.metrics == first.metrics
        and second.results["metrics_ci"] == first.results["metrics_ci"]
    )


def test_pass_k_summary_uses_the_tolerance(tmp_path, bundled_sample) -> None:
    result = run_evaluation(_config(tmp_path), show_progress=False)
    records = result.records
    strict = pass_k_summary(records, num_trials=3, tolerance=1.0)
    assert strict["pass_hat"]["1"] == 0.0  # no score exceeds 1
    lenient = pass_k_summary(records, num_trials=3, tolerance=-1.0)
    assert lenient["pass_hat"]["3"] == lenient["pass_at"]["1"] == 100.0


def test_metrics_are_the_mean_over_trials(tmp_path, bundled_sample) -> None:
    result = run_evaluation(_config(tmp_path), show_progress=False)

    def rounds(part):
        return {"rounds": sum(r.trajectory.clarified for r in part) / len(part) * 100}

    statistics = trial_statistics(
        result.records, rounds, num_trials=3, tolerance=0.5, seed=0, resamples=50
    )
    per_trial = [
        sum(r.trajectory.clarified for r in result.records if r.trial == t) / 4 * 100
        for t in range(3)
    ]
    assert statistics.metrics["rounds"] == pytest.approx(sum(per_trial) / 3, abs=1e-4)
    assert statistics.metrics_std["rounds"] == pytest.approx(
        float(__import__("statistics").stdev(per_trial)), abs=1e-4
    )


def test_resume_reruns_the_trials_that_ended_in_a_backend_error(tmp_path, bundled_sample) -> None:
    """Issue 15 per (episode, trial): only trial 1's lines failed, only they run again."""
    config = _config(tmp_path)
    FAILING_SEEDS.add(trial_seed(0, 1))
    first = run_evaluation(config, show_progress=False)
    assert first.results["status"] == "incomplete" and first.counts["n_backend_errors"] == 4
    FAILING_SEEDS.clear()
    SEEDS_SEEN.clear()
    second = run_evaluation(config, resume=True, show_progress=False)
    assert second.retried == 4 and second.results["status"] == "complete"
    assert set(SEEDS_SEEN) == {trial_seed(0, 1)}  # trials 0 and 2 were not run again
    records = read_samples(tmp_path / "run" / "samples.jsonl")
    assert len(records) == 12 and not any(r.trajectory.error for r in records)
