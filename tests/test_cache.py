"""The response cache: a hit on a re-run, a miss on any key change, concurrent writers,
torn rows never a wrong hit, and usage split by role (issue 16)."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3

from helpers import ScriptedBackend

from act_bench.backends import BackendOptions, Generation, SamplingParams
from act_bench.cache import ResponseCache, response_key
from act_bench.evaluation import EvalConfig, run_evaluation
from act_bench.types import Message, Role
from act_bench.usage import RoleBackend

MESSAGES = [Message(Role.SYSTEM, "You label."), Message(Role.USER, "Is 2019 a year?")]
PARAMS = SamplingParams(max_new_tokens=8, temperature=0.7, seed=3)
OPTIONS = BackendOptions(device="cpu", dtype="float32")


def test_key_changes_with_every_part_and_nothing_else() -> None:
    key = response_key("smollm2", OPTIONS, PARAMS, MESSAGES)
    assert key == response_key("smollm2", OPTIONS, PARAMS, list(MESSAGES))
    changed = [
        response_key("hf:other", OPTIONS, PARAMS, MESSAGES),
        response_key("smollm2", BackendOptions(device="cpu", dtype="bfloat16"), PARAMS, MESSAGES),
        response_key("smollm2", OPTIONS, SamplingParams(8, 0.7, seed=4), MESSAGES),
        response_key("smollm2", OPTIONS, SamplingParams(8, 0.8, seed=3), MESSAGES),
        response_key("smollm2", OPTIONS, SamplingParams(9, 0.7, seed=3), MESSAGES),
        response_key("smollm2", OPTIONS, PARAMS, [*MESSAGES[:1], Message(Role.USER, "Is 2020?")]),
        response_key("smollm2", OPTIONS, PARAMS, [Message(Role.USER, m.content) for m in MESSAGES]),
    ]
    assert len({key, *changed}) == len(changed) + 1
    # how long a request may take, or how many run at once, does not change a reply
    same = BackendOptions(device="cpu", dtype="float32", timeout_s=5.0, max_concurrency=1)
    assert response_key("smollm2", same, PARAMS, MESSAGES) == key


def test_role_backend_hits_on_a_rerun_and_misses_on_a_change(tmp_path) -> None:
    model = ScriptedBackend()
    cache = ResponseCache(tmp_path / "c.sqlite")
    conversations = [MESSAGES, [Message(Role.USER, "Which year?")]]
    first = RoleBackend("scripted", "classifier", lambda: model, cache=cache)
    answers = first.generate(conversations, PARAMS)
    assert first.cache_counts.misses == 2 and first.cache_counts.hits == 0
    second = RoleBackend("scripted", "classifier", lambda: ScriptedBackend(), cache=cache)
    again = second.generate(conversations, PARAMS)
    assert [a.text for a in again] == [a.text for a in answers]
    assert second.cache_counts.hits == 2 and second.usage.calls == 0 and not second.loaded
    assert second.cache_counts.tokens_saved == sum(
        a.prompt_tokens + a.completion_tokens for a in answers
    )
    other_seed = SamplingParams(max_new_tokens=8, temperature=0.7, seed=4)
    second.generate(conversations[:1], other_seed)
    assert second.cache_counts.misses == 1 and second.usage.prompts == 1


def test_failed_generations_are_not_stored(tmp_path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put_many([("a", Generation(text="", error="boom")), ("b", Generation(text="ok"))])
    assert set(cache.get_many(["a", "b"])) == {"b"}


def test_a_torn_row_is_a_miss_never_a_wrong_hit(tmp_path) -> None:
    path = tmp_path / "c.sqlite"
    cache = ResponseCache(path)
    cache.put_many([("k", Generation(text="the stored answer", completion_tokens=3))])
    cache.close()
    with sqlite3.connect(path) as connection:  # a value that no longer matches its checksum
        connection.execute(
            "UPDATE responses SET value = ? WHERE key = 'k'",
            (json.dumps({"text": "the stored ans", "prompt_tokens": 0}),),
        )
    assert ResponseCache(path).get_many(["k"]) == {}
    with sqlite3.connect(path) as connection:  # a truncated value
        connection.execute("UPDATE responses SET value = substr(value, 1, 10) WHERE key = 'k'")
    assert ResponseCache(path).get_many(["k"]) == {}


def _write_many(path: str, writer: int, count: int) -> None:
    cache = ResponseCache(path)
    for index in range(count):
        cache.put_many([(f"{writer}-{index}", Generation(text=f"reply {writer} {index}"))])


def test_two_processes_write_at_once(tmp_path) -> None:
    path = str(tmp_path / "c.sqlite")
    ResponseCache(path).get_many(["warm"])  # create the table before the race
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(path, w, 150)) for w in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    keys = [f"{w}-{i}" for w in range(2) for i in range(150)]
    found = ResponseCache(path).get_many(keys)
    assert len(found) == 300 and found["1-149"].text == "reply 1 149"


def test_eval_rerun_answers_the_classifier_from_the_cache_and_splits_usage(
    tmp_path, bundled_sample
) -> None:
    """One model is the policy, the simulator and the classifier: usage keeps them apart,
    and a second run with the same flags gets every classifier call from the cache."""

    def run(name: str):
        config = EvalConfig(
            model="scripted",
            simulator="scripted",
            action_classifier="scripted",
            data_dir=None,  # the bundled sample
            limit=4,
            output_dir=str(tmp_path / name),
            cache_dir=str(tmp_path / "cache"),
        )
        return run_evaluation(config, show_progress=False).results

    first, second = run("a"), run("b")
    usage = first["usage"]
    assert set(usage) == {"policy", "simulator", "classifier"}
    assert {entry["spec"] for entry in usage.values()} == {"scripted"}
    assert usage["classifier"]["prompts"] == usage["classifier"]["cache"]["misses"] > 0
    assert usage["policy"]["cache"]["enabled"] is False  # the policy is not cached by default
    assert (
        usage["policy"]["prompts"] >= 4
        and usage["policy"]["prompts"]
        != usage["classifier"]["prompts"] + usage["simulator"]["prompts"]
    )
    again = second["usage"]["classifier"]
    assert again["cache"]["hits"] == usage["classifier"]["prompts"] and again["calls"] == 0
    assert again["cache"]["hit_rate"] == 1.0
    assert second["metrics"] == first["metrics"]
    assert second["usage"]["policy"]["calls"] == usage["policy"]["calls"]  # sampled again
    # the classifier's prompt is part of the identity
    assert len(first["prompts"]["classifier"]) == 64
    assert first["config"]["prompts"] == first["prompts"]


def test_policy_is_cached_only_when_asked(tmp_path, bundled_sample) -> None:
    def run(name: str, cache_policy: bool, cache: bool = True):
        config = EvalConfig(
            model="scripted",
            data_dir=None,  # the bundled sample
            limit=3,
            output_dir=str(tmp_path / name),
            cache_dir=str(tmp_path / "cache"),
            cache_policy=cache_policy,
            cache=cache,
        )
        return run_evaluation(config, show_progress=False).results["usage"]["policy"]

    first = run("a", cache_policy=True)
    assert first["cache"]["misses"] == first["prompts"] > 0
    second = run("b", cache_policy=True)
    assert second["calls"] == 0 and second["cache"]["hits"] == first["prompts"]
    assert run("c", cache_policy=False)["cache"]["hits"] == 0
    off = run("d", cache_policy=True, cache=False)  # --no-cache wins
    assert off["cache"]["enabled"] is False and off["calls"] == first["calls"]
