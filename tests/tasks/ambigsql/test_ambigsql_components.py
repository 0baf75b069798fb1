"""AmbigSQL's LLM components: the generator of App. C.1, the classifier examples of App. G,
the SQL-conditioned simulator of App. H, and the recovery analysis of App. C.2."""

from __future__ import annotations

import json

from act_bench_tasks.ambigsql import task
from act_bench_tasks.ambigsql.builder import BuildConfig, build_ambigsql
from act_bench_tasks.ambigsql.builder.llm import (
    TARGETS,
    LLMGenerator,
    parse_completion,
    render_completion,
)
from act_bench_tasks.ambigsql.builder.llm_examples import EXAMPLES
from act_bench_tasks.ambigsql.fewshot import classifier_examples, simulator_examples
from act_bench_tasks.ambigsql.recovery import RecoveryConfig, run_recovery
from act_bench_tasks.ambigsql.simulator import SQLGoalSimulator
from helpers import ScriptedBackend

from act_bench.backends import SamplingParams
from act_bench.classifiers import load_classifier
from act_bench.classifiers.heuristic import decide
from act_bench.simulators import load_simulator
from act_bench.simulators.base import SimulationRequest
from act_bench.types import Action


def test_generator_has_five_examples_per_type_that_run_on_their_databases():
    from act_bench_tasks.ambigsql.bundled import sample_spider_dir
    from act_bench_tasks.ambigsql.spider import SpiderLayout
    from act_bench_tasks.ambigsql.sql_shape import analyze

    layout = SpiderLayout(sample_spider_dir())
    schemas = layout.read_schemas()
    from act_bench.sql_sandbox import run_query

    for kind, examples in EXAMPLES.items():
        assert len(examples) == 5
        for example in examples:
            assert run_query(layout.database_path(example.db_id), example.sql).ok
            assert decide(example.clarifying_question).action is Action.CLARIFY
            shape = analyze(example.sql, schemas[example.db_id])
            assert shape.presentation_ordered == (kind == "presentation")


def test_completion_format_round_trips():
    text = render_completion("Tell me about the ferries.", "What would you like to know?")
    assert parse_completion(text) == ("Tell me about the ferries.", "What would you like to know?")
    assert parse_completion(
        "“Which ones?”\n\nhere is an appropriate clarifying question:\n“Who?”"
    ) == (
        "Which ones?",
        "Who?",
    )
    assert parse_completion("Tell me about the ferries.") is None


def test_llm_generator_builds_from_completions(fixture_spider, tmp_path):
    def script(messages):
        request = messages[-1].content
        assert "The target SQL query is the following:" in request
        assert any(target in request for target in TARGETS.values())
        assert len(messages) == 1 + 2 * 5 + 1  # system, five examples, the item
        if "telescope" in request:
            return "I cannot do that."  # unreadable: rejected and counted
        return render_completion("Show me some records.", "Which records do you mean?")

    backend = ScriptedBackend(script)
    generator = LLMGenerator(backend, SamplingParams(max_new_tokens=64), spec="scripted")
    config = BuildConfig(spider_dir=str(fixture_spider), out_dir=str(tmp_path / "out"))
    stats = build_ambigsql(config, generator=generator, show_progress=False).stats
    dev = [stats["splits"][s] for s in ("validation", "test")]
    assert sum(s["rejects_by_reason"].get("unreadable_generation", 0) for s in dev) == 3
    assert stats["splits"]["train"]["pairs"] == 8
    assert stats["splits"]["train"]["by_method"] == {"llm": 8}
    assert stats["build"]["generator"] == "scripted"


def test_classifier_examples_are_labelled_as_the_heuristic_would():
    examples = classifier_examples()
    assert len(examples) == 10
    assert sum(e.action is Action.CLARIFY for e in examples) == 4
    assert all(decide(e.response).action is e.action for e in examples)
    assert all(e.prompt.grounding.startswith("[Database Schema]") for e in examples)


def test_llm_classifier_uses_the_task_examples():
    classifier = load_classifier("scripted", task=task)
    assert classifier.examples == tuple(classifier_examples())


def _request(turn_state, question="Which table do you mean?") -> SimulationRequest:
    return SimulationRequest(turn_state, turn_state.goals[0], turn_state.prompt, question, 0)


def test_simulator_is_conditioned_on_the_target_sql():
    state = next(
        c.turn_states[0]
        for c in task.load("validation", None)
        if c.turn_states[0].gold_action is Action.CLARIFY
    )
    seen = []

    def script(messages):
        seen.append(messages)
        return "User: I want the titles of the books by Ines Varga.\nAssistant: ok"

    simulator = load_simulator("scripted", task=task)
    assert isinstance(simulator, SQLGoalSimulator)
    simulator.backend = ScriptedBackend(script)
    reply = simulator.reply([_request(state)])
    assert reply == ["I want the titles of the books by Ines Varga."]
    messages = seen[0]
    assert len(messages) == 1 + 2 * len(simulator_examples()) + 1
    item = messages[-1].content
    assert item.startswith("A user is asking an assistant to retrieve some information")
    assert f"```\n{state.goals[0].answer}\n```" in item
    assert item.endswith(
        f"User: {state.prompt.request}\nAssistant: Which table do you mean?\nUser:"
    )


def test_simulator_falls_back_to_the_clear_request():
    state = task.load("validation", None)[1].turn_states[0]
    simulator = SQLGoalSimulator(ScriptedBackend(lambda m: "   "), simulator_examples())
    assert simulator.reply([_request(state)]) == [state.goals[0].request]
    assert simulator.reply_fallbacks == 1


def test_recovery_compares_ambiguous_and_clarified_prompts(tmp_path, monkeypatch):
    import act_bench_tasks.ambigsql.recovery as recovery

    records = [
        json.loads(line)
        for line in (task.data_folder(None) / "validation.jsonl").read_text().splitlines()
    ]
    gold_for_clear = {r["clear_request"]: r["gold_sql"] for r in records}

    def script(messages):
        # Knows the answer only once the clear request is in the conversation.
        return gold_for_clear.get(messages[-1].content, "SELECT 1")

    backend = ScriptedBackend(script)
    monkeypatch.setattr(recovery, "shared_backend", lambda spec, options: backend)
    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)  # the bundled sample
    config = RecoveryConfig(model="scripted", split="validation", output_dir=str(tmp_path / "r"))
    result = run_recovery(config, show_progress=False)
    assert result.metrics == {
        "ambiguous_request_execution_match": 0.0,
        "with_clarification_turns_execution_match": 100.0,
        "recovery_gain": 100.0,
    }
    assert result.counts["n_items"] == 6
    assert "must answer" in backend.batches[0][0][0].content
    written = json.loads((tmp_path / "r" / "recovery.json").read_text())
    assert written["metrics"] == result.metrics
    # AmbigSQL's own token budget (SQL is not cut), under the protocol recorded
    assert written["protocol"] == "act-bench" and written["config"]["max_new_tokens"] == 256
    assert len((tmp_path / "r" / "samples.jsonl").read_text().splitlines()) == 6
