"""The three prompting styles of App. E (Tables A17-A19), checked against golden files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from act_bench_tasks.pacific import task

from act_bench.errors import ConfigError
from act_bench.prompting import build_styled_prompt, get_prompt_style, select_shots
from act_bench.prompting.styles import COT_INSTRUCTION, PROACTIVE_ACTIONS
from act_bench.types import Message, Role

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ACT_BENCH_UPDATE_GOLDEN") == "1"


def as_text(messages: list[Message]) -> str:
    return "".join(f"=== {m.role.value} ===\n{m.content}\n" for m in messages)


def fixed_example():
    """The third turn of the first sample conversation (after a clarification), with the
    second sample conversation as the one shot."""
    conversations = task.load("validation", None)
    shots = select_shots(
        task, num_shots=1, seed=0, data_dir=None, exclude={conversations[0].id, conversations[2].id}
    )
    assert shots.to_json()["conversation_ids"] == [conversations[1].id]
    return conversations[0].turn_states[2], shots.shots


@pytest.mark.parametrize("style", ["standard", "cot", "proactive"])
def test_each_style_matches_its_golden_file(style):
    state, shots = fixed_example()
    rendered = as_text(build_styled_prompt(task, get_prompt_style(style), shots)(state.prompt))
    golden = GOLDEN / f"{style}_one_shot.txt"
    if UPDATE:
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


def test_standard_without_shots_is_exactly_the_task_format():
    state, _ = fixed_example()
    styled = build_styled_prompt(task, get_prompt_style("standard"))
    assert styled(state.prompt) == task.render_messages(state.prompt)


def test_cot_turns_carry_the_instruction_and_a_reasoning_line():
    state, _ = fixed_example()
    messages = build_styled_prompt(task, get_prompt_style("cot"))(state.prompt)
    users = [m for m in messages if m.role is Role.USER]
    assistants = [m for m in messages if m.role is Role.ASSISTANT]
    assert all(m.content.endswith(COT_INSTRUCTION) for m in users)
    assert [m.content.split("\n")[0] for m in assistants] == [
        "Reasoning: The user’s question is not ambiguous.",
        "Reasoning: The user’s question was ambiguous.",
    ]
    assert all("\nAssistant: " in m.content for m in assistants)


def test_proactive_cue_only_on_the_current_turn():
    state, shots = fixed_example()
    messages = build_styled_prompt(task, get_prompt_style("proactive"), shots)(state.prompt)
    users = [m for m in messages if m.role is Role.USER]
    assert PROACTIVE_ACTIONS in users[-1].content
    assert not any(PROACTIVE_ACTIONS in m.content for m in users[:-1])
    # The shot's own last turn shows the cue and the Response: it answers with.
    assert messages[0].content.count(PROACTIVE_ACTIONS) == 1
    assert "\nResponse: The user’s last question was unambiguous." in messages[0].content


@pytest.mark.parametrize(
    ("style", "output", "utterance"),
    [
        ("standard", "  ['$ 5.1 million']\n", "['$ 5.1 million']"),
        (
            "cot",
            "Reasoning: The user’s question was ambiguous.\nAssistant: Which year do you mean?",
            "Which year do you mean?",
        ),
        ("cot", "Reasoning: The question is not ambiguous. Assistant: 27,899", "27,899"),
        ("cot", "Reasoning: The user’s question is not ambiguous.\n27,899", "27,899"),
        ("cot", "27,899", "27,899"),
        (
            "proactive",
            "Response: The user’s last question was ambiguous. The Assistant asks a "
            "clarifying question.\nAssistant: Which year?",
            "Which year?",
        ),
        ("proactive", "The user’s last question was unambiguous.\n2,164", "2,164"),
    ],
)
def test_final_utterance_is_parsed_out_of_the_reasoning(style, output, utterance):
    assert get_prompt_style(style).final_utterance(output) == utterance


def test_unknown_style_names_the_known_ones():
    with pytest.raises(ConfigError, match="cot, proactive, standard"):
        get_prompt_style("chain-of-thought")
