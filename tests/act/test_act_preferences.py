"""Alg. 1: contrastive action pairs from the control-prompted generator M."""

from __future__ import annotations

import json

import pytest
from act_bench_baselines.act.control import CONTROL_INSTRUCTION, ControlStyle
from act_bench_baselines.act.preferences import build_preferences, read_cache, states_for_steps
from act_bench_tasks.pacific import task
from helpers import QuestionMarkClassifier, ScriptedBackend

from act_bench.backends import SamplingParams
from act_bench.errors import DataError
from act_bench.types import Action, Role


def obedient(messages):
    """A generator M that does what the control instruction on the last user turn says."""
    last = messages[-1].content
    if last.endswith(CONTROL_INSTRUCTION[Action.CLARIFY]):
        return "Assistant: Which year are you asking about?"
    return "['27,899']"


def turn_states():
    return task.load("validation", None)[0].turn_states[:4]


def build(tmp_path, backend, **kwargs):
    return build_preferences(
        turn_states(),
        task=task,
        generator=backend,
        classifier=QuestionMarkClassifier(),
        cache=tmp_path / "pref.jsonl",
        sampling=SamplingParams(max_new_tokens=16),
        **kwargs,
    )


def test_losing_responses_take_the_rejected_action(tmp_path):
    examples, stats = build(tmp_path, ScriptedBackend(obedient))
    assert [e.action for e in examples] == [s.gold_action for s in turn_states()]
    for example, state in zip(examples, turn_states(), strict=True):
        assert example.rejected_action is example.action.rejected
        assert example.chosen == state.gold_response
        assert example.rejected_judged is example.rejected_action
    assert not examples[0].rejected.startswith("Assistant:")  # the label is stripped
    assert stats.control_rate == 1.0 and stats.generated == 4
    assert stats.by_action == {"ANSWER": 3, "CLARIFY": 1}


def test_the_generator_sees_the_rejected_actions_instruction_after_the_current_turn(tmp_path):
    backend = ScriptedBackend(obedient)
    examples, _ = build(tmp_path, backend)
    for conversation, example in zip(backend.batches[0], examples, strict=True):
        assert conversation[-1].role is Role.USER
        assert conversation[-1].content.endswith(CONTROL_INSTRUCTION[example.rejected_action])
        assert "Here are example conversations:" in conversation[0].content


def test_the_cache_is_reused_and_a_torn_last_line_is_regenerated(tmp_path):
    build(tmp_path, ScriptedBackend(obedient))
    cache = tmp_path / "pref.jsonl"
    lines = cache.read_text().splitlines()
    cache.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:40])
    again = ScriptedBackend(obedient)
    examples, stats = build(tmp_path, again)
    assert stats.reused == 3 and stats.generated == 1 and len(again.batches[0]) == 1
    assert len(examples) == 4 and len(read_cache(cache)) == 4


def test_a_cache_from_another_generator_is_refused(tmp_path):
    build(tmp_path, ScriptedBackend(obedient))
    with pytest.raises(DataError, match="other settings"):
        build(tmp_path, ScriptedBackend(obedient, spec="other-model"))


def test_pseudo_labels_come_from_the_annotator(tmp_path):
    class AlwaysClarify:
        spec = "always-clarify"

        def classify(self, items):
            return [Action.CLARIFY for _ in items]

    examples, stats = build(
        tmp_path,
        ScriptedBackend(obedient),
        annotator=AlwaysClarify(),
        action_labels="classifier:always-clarify",
    )
    assert {e.action for e in examples} == {Action.CLARIFY}
    assert {e.rejected_action for e in examples} == {Action.ANSWER}
    record = json.loads((tmp_path / "pref.jsonl").read_text().splitlines()[0])
    assert record["action_labels"] == "classifier:always-clarify"


def test_generation_errors_are_counted_not_cached(tmp_path):
    state = turn_states()[1]
    backend = ScriptedBackend(obedient, fail_on=state.prompt.request[:30])
    examples, stats = build(tmp_path, backend)
    assert stats.generation_errors >= 1 and len(examples) == 4 - stats.generation_errors
    assert state.id not in read_cache(tmp_path / "pref.jsonl")


def test_control_style_strips_only_a_leading_label():
    style = ControlStyle(Action.ANSWER)
    assert style.final_utterance("Assistant: Assistant: 42") == "42"
    assert style.final_utterance("The Assistant: is here") == "The Assistant: is here"


def test_build_preferences_command_writes_the_cache_and_reports_the_rate(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from act_bench.cli import app

    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)
    output = tmp_path / "dpref.jsonl"
    args = ["data", "build-preferences", "--task", "pacific", "--generator", "scripted",
            "--conversations", "2", "--split", "validation", "--generator-shots", "1",
            "--output", str(output), "--quiet"]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert records and {r["generator"] for r in records} == {"scripted"}
    assert "y_l takes the rejected action in" in result.output


@pytest.mark.slow
def test_alg1_with_the_embedded_model_as_generator(tmp_path):
    """Alg. 1 on 3 turn states with SmolLM2 as M; the control rate is reported, not asserted
    high (a 135M model often ignores the instruction)."""
    from act_bench.backends import load_backend
    from act_bench.backends.base import BackendOptions
    from act_bench.classifiers.heuristic import HeuristicClassifier

    states = task.load("validation", None)[0].turn_states[:3]
    examples, stats = build_preferences(
        states,
        task=task,
        generator=load_backend("smollm2", BackendOptions(batch_size=3)),
        classifier=HeuristicClassifier(),
        cache=tmp_path / "pref.jsonl",
        sampling=SamplingParams(max_new_tokens=24, seed=0),
        generator_shots=1,
    )
    assert len(examples) == 3 and stats.generated == 3
    assert all(e.rejected.strip() for e in examples)
    assert 0.0 <= stats.control_rate <= 1.0
    print(f"control rate with smollm2 as M: {stats.control_rate:.2f}")


def test_max_steps_below_an_epoch_builds_only_the_states_those_steps_draw():
    states = [
        state
        for conversation in task.load("validation", None)
        for state in conversation.turn_states
    ]
    assert len(states) > 6
    chosen = states_for_steps(states, 6, seed=3)
    assert len(chosen) == 6 == len({state.id for state in chosen})
    positions = [states.index(state) for state in chosen]
    assert positions == sorted(positions)  # dataset order: conversations stay together
    assert states_for_steps(states, 6, seed=3) == chosen
    assert states_for_steps(states, 6, seed=4) != chosen
    assert states_for_steps(states, None, seed=3) == states
    assert states_for_steps(states, len(states) + 1, seed=3) == states


def test_control_shots_come_from_the_training_pool_never_the_labelled_conversations(
    tmp_path,
):
    """App. F: M's in-context conversations; training data present, so not the sample."""
    from act_bench_baselines.act.control import control_shots
    from act_bench_tasks.pacific.task import SAMPLE_DIR

    from act_bench.prompting.shots import BUNDLED_POOL

    root = tmp_path / "data"
    (root / "pacific").mkdir(parents=True)
    conversations = json.loads((SAMPLE_DIR / "validation.json").read_text())
    for conversation in conversations:  # a training pool of its own, not the sample's ids
        conversation["table"]["uid"] = "train-" + conversation["table"]["uid"]
    (root / "pacific" / "train.json").write_text(json.dumps(conversations))
    pool = task.load("train", root)
    labelled = {pool[0].id}
    chosen = control_shots(
        task, data_dir=root, pool_split="train", seed=0, exclude=labelled, shots=10
    )
    assert chosen.pool != BUNDLED_POOL and len(chosen.shots) == len(pool) - 1
    assert chosen.shots and not labelled & {s.conversation_id for s in chosen.shots}
    assert {s.conversation_id for s in chosen.shots} <= {c.id for c in pool}

    everything = {c.id for c in pool}
    fallback = control_shots(
        task, data_dir=root, pool_split="train", seed=0, exclude=everything, shots=2
    )
    assert fallback.pool == BUNDLED_POOL and "bundled sample" in fallback.note
    missing = control_shots(task, data_dir=root, pool_split="test", seed=0, shots=2)
    assert missing.pool == BUNDLED_POOL and "absent" in missing.note


def test_m_is_shown_the_shots_its_context_window_holds(tmp_path, monkeypatch):
    """M's control prompts, and its reply, stay inside M's window: shots are cut, recorded."""
    from act_bench_baselines.act.control import control_prompts
    from act_bench_baselines.act.dpref import DprefBuilder, DprefSettings
    from helpers import register_windowed_backend

    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)
    register_windowed_backend()
    states = task.load("validation", None)[0].turn_states

    def build(window: int):
        settings = DprefSettings(
            task="pacific", generator=f"windowed:{window}", max_new_tokens=16, shots=2,
            pool_split="validation", cache=False, preferences_cache=str(tmp_path),
        )  # fmt: skip
        builder = DprefBuilder(settings, task)
        return builder.build(states), builder.generator.backend

    roomy, _ = build(10**6)
    assert roomy.shots.to_json()["used"] == 2 and roomy.shots.note is None
    one_shot = control_prompts(task, chosen=roomy.shots.shots[:1])
    longest = max(
        sum(len(m.content.split()) for m in renderer(state.prompt))
        for state in states
        for renderer in one_shot.values()
    )
    fitted, backend = build(longest + 16)
    assert fitted.shots.shots == roomy.shots.shots[:1]
    assert fitted.to_json()["shots"]["used"] == 1 and "holds 1 of the 2 shots" in fitted.shots.note
    assert fitted.cache != roomy.cache  # pairs from other prompts are kept apart
    seen = [backend.prompt_length(c) for batch in backend.batches for c in batch]
    assert len(seen) == len(states) and max(seen) <= longest
