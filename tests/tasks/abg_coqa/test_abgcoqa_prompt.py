"""The "standard" Abg-CoQA prompt (Table A17 with the story), checked against a golden file."""

from __future__ import annotations

import os
from pathlib import Path

from act_bench_tasks.abg_coqa import task
from act_bench_tasks.abg_coqa.prompt import INSTRUCTION, render_messages, story_grounding

from act_bench.types import Message, Prompt, Role

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ACT_BENCH_UPDATE_GOLDEN") == "1"


def as_text(messages: list[Message]) -> str:
    return "".join(f"=== {m.role.value} ===\n{m.content}\n" for m in messages)


def ambiguous_sample_state():
    # The lighthouse story's second item: two history turns, then "What did they buy?".
    return task.load("validation", None)[0].turn_states[1]


def test_rendered_prompt_matches_golden_file():
    rendered = as_text(task.render_messages(ambiguous_sample_state().prompt))
    golden = GOLDEN / "abgcoqa_standard_prompt.txt"
    if UPDATE:
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


def test_messages_are_instruction_and_story_then_the_dialogue():
    state = ambiguous_sample_state()
    messages = render_messages(state.prompt)
    assert messages[0].role is Role.SYSTEM
    assert messages[0].content.startswith(INSTRUCTION + "\n\n[story]\nEvery summer Maya")
    assert [m.role for m in messages[1:]] == [Role.USER, Role.ASSISTANT] * 2 + [Role.USER]
    assert messages[-1].content == "What did they buy?"
    assert not any("Do you mean" in m.content for m in messages)


def test_story_grounding_keeps_paragraphs_and_strips_the_ends():
    assert story_grounding("\n First.\n\nSecond. \n") == "[story]\nFirst.\n\nSecond."
    prompt = Prompt(grounding=story_grounding("S."), history=(), request="Q?")
    assert [(m.role, m.content) for m in render_messages(prompt)] == [
        (Role.SYSTEM, f"{INSTRUCTION}\n\n[story]\nS."),
        (Role.USER, "Q?"),
    ]
