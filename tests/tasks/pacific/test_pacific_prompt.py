"""The "standard" prompt of Table A17, checked against a golden file."""

from __future__ import annotations

import os
from pathlib import Path

from act_bench_tasks.pacific import task
from act_bench_tasks.pacific.prompt import INSTRUCTION, linearize_grounding, render_messages

from act_bench.types import Message, Prompt, Role

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ACT_BENCH_UPDATE_GOLDEN") == "1"


def as_text(messages: list[Message]) -> str:
    return "".join(f"=== {m.role.value} ===\n{m.content}\n" for m in messages)


def test_rendered_prompt_matches_golden_file():
    # The fifth turn of the first sample conversation: four exchanges of history, one of
    # them a clarification, and a paragraph with a newline in it.
    state = task.load("validation", None)[0].turn_states[4]
    rendered = as_text(task.render_messages(state.prompt))
    golden = GOLDEN / "standard_prompt.txt"
    if UPDATE:
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


def test_messages_are_system_then_alternating_dialogue():
    state = task.load("validation", None)[0].turn_states[4]
    messages = render_messages(state.prompt)
    assert messages[0].role is Role.SYSTEM
    assert messages[0].content.startswith(INSTRUCTION + "\n\n[context]\n")
    roles = [m.role for m in messages[1:]]
    assert roles == [Role.USER, Role.ASSISTANT] * 4 + [Role.USER]
    assert messages[-1].content == state.prompt.request


def test_linearize_grounding_like_the_act_convert_script():
    table = [["", "2020", "2019"], ["Revenue", "1,200", "1,050"], ["Note\nA", "x"]]
    text = linearize_grounding(table, ["First line\nsecond line.", "Another paragraph."])
    assert text == (
        "[context]\n"
        "First line second line.\n"
        "Another paragraph.\n"
        "[data]\n"
        " : 2020 | 2019\n"
        "Revenue : 1,200 | 1,050\n"
        "Note A : x"
    )


def test_prompt_without_history_is_system_and_request():
    prompt = Prompt(grounding="[context]\nP\n[data]\nR : 1", history=(), request="What is R?")
    assert [(m.role, m.content) for m in render_messages(prompt)] == [
        (Role.SYSTEM, f"{INSTRUCTION}\n\n[context]\nP\n[data]\nR : 1"),
        (Role.USER, "What is R?"),
    ]
