"""The few-shot prompts of the LLM action classifier (App. G) and user simulators (App. H),
for every task and the generic fallback, rendered and compared with a golden file.

The golden file was written from the examples as they stood in code, before they moved to
data files (``tasks/<name>/fewshot.json``); the prompts the models see must not change.
Set ``ACT_BENCH_UPDATE_GOLDEN=1`` to rewrite it after a deliberate change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from act_bench.classifiers import llm as classifier_llm
from act_bench.classifiers.base import ClassificationInput
from act_bench.simulators import llm as simulator_llm
from act_bench.task import get_task
from act_bench.types import Message, Prompt, Role

GOLDEN = Path(__file__).parent / "golden" / "fewshot_prompts.json"
TASKS = ("pacific", "abg-coqa", "ambigsql")
ITEM = ClassificationInput(
    Prompt("Passage: an item to classify.", (Message(Role.USER, "Hi"),), "What?"), "Which one?"
)


def _chat(messages: list[Message]) -> list[list[str]]:
    return [[message.role.value, message.content] for message in messages]


def _simulator(examples) -> dict[str, list[list[str]]]:
    if isinstance(examples, simulator_llm.SimulatorExamples):
        opening = examples.opening
        return {
            "intent": [
                [simulator_llm.render_intent_input(e.grounding, e.dialogue, opening), e.summary]
                for e in examples.intent
            ],
            "reply": [
                [
                    simulator_llm.render_reply_input(e.summary, e.grounding, e.dialogue, opening),
                    e.reply,
                ]
                for e in examples.reply
            ],
        }
    from act_bench_tasks.ambigsql.simulator import render_input

    return {"sql_reply": [[render_input(e.target_sql, e.dialogue), e.reply] for e in examples]}


def _simulator_examples(name: str):
    """AmbigSQL's simulator is conditioned on the target SQL: its examples come from its
    own ``fewshot`` module rather than from ``simulator_examples()`` of the task."""
    if name == "ambigsql":
        from act_bench_tasks.ambigsql.fewshot import simulator_examples

        return simulator_examples()
    return simulator_llm.examples_for(get_task(name))


def render_all() -> dict[str, dict[str, object]]:
    """Every few-shot prompt, by task (and ``generic``), as the models receive it."""
    rendered: dict[str, dict[str, object]] = {
        "generic": {
            "classifier": _chat(
                classifier_llm.build_messages(classifier_llm.GENERIC_EXAMPLES, ITEM)
            ),
            "simulator": _simulator(simulator_llm.GENERIC_EXAMPLES),
        }
    }
    for name in TASKS:
        task = get_task(name)
        rendered[name] = {
            "classifier": _chat(
                classifier_llm.build_messages(classifier_llm.examples_for(task), ITEM)
            ),
            "simulator": _simulator(_simulator_examples(name)),
        }
    return rendered


def test_few_shot_prompts_match_the_golden_file():
    rendered = render_all()
    if os.environ.get("ACT_BENCH_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(rendered, indent=1, ensure_ascii=False) + "\n")
    assert rendered == json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", TASKS)
def test_each_task_has_ten_classifier_examples_of_both_actions(name):
    examples = classifier_llm.examples_for(get_task(name))
    assert len(examples) == 10
    assert {example.action.value for example in examples} == {"CLARIFY", "ANSWER"}
