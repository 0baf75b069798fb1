from __future__ import annotations

import logging
from collections.abc import Sequence

from act_bench.backends import Generation, SamplingParams, Usage
from act_bench.simulators import SimulationRequest
from act_bench.simulators.llm import (
    GENERIC_EXAMPLES,
    IntentExample,
    LLMSimulator,
    ReplyExample,
    SimulatorExamples,
    clean_reply,
    clean_summary,
    examples_for,
)
from act_bench.task import TaskBase
from act_bench.types import Action, Goal, Message, Prompt, Role, TurnState


class FakeBackend:
    """Answers summary prompts and reply prompts from separate scripts; records every batch."""

    def __init__(self, summaries: Sequence[str], replies: Sequence[str | None]) -> None:
        self.spec = "fake"
        self.usage = Usage()
        self.summaries = list(summaries)
        self.replies = list(replies)
        self.calls: list[tuple[str, list[list[Message]], SamplingParams]] = []

    def generate(
        self, conversations: Sequence[Sequence[Message]], params: SamplingParams
    ) -> list[Generation]:
        kind = "summary" if "Summarize" in conversations[0][-1].content else "reply"
        self.calls.append((kind, [list(c) for c in conversations], params))
        script = self.summaries if kind == "summary" else self.replies
        out = []
        for _ in conversations:
            text = script.pop(0)
            out.append(Generation("", error="boom") if text is None else Generation(text))
        return out

    def count(self, kind: str) -> int:
        return sum(1 for call in self.calls if call[0] == kind)


GROUNDING = "Table: Product | Units 2020 | Units 2021\nKettles | 40 | 55"
EXAMPLES = SimulatorExamples(
    intent=(
        IntentExample(
            "Passage: The comet returns every 76 years.",
            (Message(Role.USER, "How often does the comet return?"),),
            "The user wants to know: 1. How often the comet returns.",
        ),
    ),
    reply=(
        ReplyExample(
            "The user wants to know: 1. How often the comet returns.",
            "Passage: The comet returns every 76 years.",
            (
                Message(Role.USER, "How often does it return?"),
                Message(Role.ASSISTANT, "Which comet do you mean?"),
            ),
            "The one in the passage.",
        ),
    ),
)
HISTORY = (Message(Role.USER, "What is sold?"), Message(Role.ASSISTANT, "['Kettles']"))
GOAL = Goal(answer=["55"], request="How many kettles were sold in 2021?", clarification="2021")
STATE = TurnState(
    "c7-2",
    "c7",
    Prompt(GROUNDING, HISTORY, "How many kettles were sold?"),
    "['Which year are you asking about?']",
    (GOAL,),
    Action.CLARIFY,
)


def _request(round_index: int, state: TurnState = STATE) -> SimulationRequest:
    prompt = state.prompt
    if round_index:
        prompt = prompt.extended("Which year?", "2021")
    return SimulationRequest(state, state.goals[0], prompt, "Which year do you mean?", round_index)


SUMMARY = "The user wants to know: 1. What is sold, and 2. How many kettles were sold in 2021."


def test_summary_prompt_follows_table_a23_and_sees_the_goal() -> None:
    backend = FakeBackend([SUMMARY], ["2021"])
    LLMSimulator(backend, EXAMPLES).reply([_request(0)])

    kind, (conversation,), params = backend.calls[0]
    assert kind == "summary"
    assert [m.role for m in conversation] == [Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.USER]
    assert conversation[1].content.endswith("User: How often does the comet return?")
    assert conversation[2].content == EXAMPLES.intent[0].summary
    item = conversation[-1].content
    assert item.startswith(
        "The following is a conversation between a User and an Assistant. The User is asking "
        "some questions. Summarize what information the User is looking for."
    )
    assert GROUNDING in item
    # The history, then the goal's fully specified request as the User's last turn.
    assert item.endswith(
        "User: What is sold?\nAssistant: ['Kettles']\nUser: How many kettles were sold in 2021?"
    )
    assert "55" not in item.split(GROUNDING)[1]  # the goal's answer is not shown
    assert params.temperature == 0.0


def test_reply_prompt_follows_table_a24() -> None:
    backend = FakeBackend([SUMMARY], ["2021"])
    LLMSimulator(backend, EXAMPLES).reply([_request(0)])

    kind, (conversation,), _ = backend.calls[1]
    assert kind == "reply"
    assert [m.role for m in conversation] == [Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.USER]
    assert conversation[1].content.startswith(
        "The following is a conversation between a User and an Assistant. The User is asking "
        "some questions. The user wants to know: 1. How often the comet returns."
    )
    assert conversation[2].content == "The one in the passage."
    item = conversation[-1].content
    assert item.startswith(
        f"The following is a conversation between a User and an Assistant. "
        f"The User is asking some questions. {SUMMARY}"
    )
    assert GROUNDING in item
    assert item.endswith(
        "User: What is sold?\nAssistant: ['Kettles']\nUser: How many kettles were sold?\n"
        "Assistant: Which year do you mean?\nUser:"
    )


def test_summaries_are_cached_across_rounds_and_batches() -> None:
    backend = FakeBackend([SUMMARY], ["2021", "In 2021, please."])
    simulator = LLMSimulator(backend, EXAMPLES, seed=11)
    assert simulator.reply([_request(0)]) == ["2021"]
    assert simulator.reply([_request(1)]) == ["In 2021, please."]
    assert backend.count("summary") == 1 and backend.count("reply") == 2
    assert simulator.summaries == {("c7-2", 0, GOAL.request): SUMMARY}
    assert all(params.seed == 11 for _, _, params in backend.calls)


def test_one_batch_per_step_with_duplicate_goals_summarized_once() -> None:
    other_goal = Goal(answer=["40"], request="How many kettles were sold in 2020?")
    other = TurnState("c7-3", "c7", STATE.prompt, "x", (other_goal,), Action.CLARIFY)
    backend = FakeBackend(
        ["The user wants to know: A", "The user wants to know: B"], ["a", "b", "c"]
    )
    simulator = LLMSimulator(backend, EXAMPLES)
    replies = simulator.reply([_request(0), _request(0, other), _request(1)])

    assert replies == ["a", "b", "c"]
    assert [(kind, len(batch)) for kind, batch, _ in backend.calls] == [
        ("summary", 2),
        ("reply", 3),
    ]
    reply_items = [conversation[-1].content for conversation in backend.calls[1][1]]
    assert (
        "The user wants to know: A" in reply_items[0]
        and "The user wants to know: A" in reply_items[2]
    )
    assert "The user wants to know: B" in reply_items[1]


def test_replies_are_cleaned_and_empty_ones_fall_back(caplog) -> None:
    backend = FakeBackend([SUMMARY], ["User: 2021\nAssistant: 55", "   ", None])
    simulator = LLMSimulator(backend, EXAMPLES)
    with caplog.at_level(logging.WARNING):
        replies = simulator.reply([_request(0), _request(0), _request(1)])
    assert replies == ["2021", GOAL.request, GOAL.request]
    assert simulator.reply_fallbacks == 2
    assert len([r for r in caplog.records if "empty reply" in r.getMessage()]) == 1


def test_empty_summary_falls_back_to_the_request() -> None:
    backend = FakeBackend(["   "], ["2021"])
    simulator = LLMSimulator(backend, EXAMPLES)
    simulator.reply([_request(0)])
    assert simulator.summary_fallbacks == 1
    assert simulator.summaries[("c7-2", 0, GOAL.request)] == (
        "The user wants to know: How many kettles were sold in 2021?"
    )


def test_clean_summary_and_reply() -> None:
    assert (
        clean_summary("[Information] The user wants to know: 1. X")
        == "The user wants to know: 1. X"
    )
    assert clean_summary("1. X, 2. Y\nUser: more") == "The user wants to know: 1. X, 2. Y"
    assert clean_summary("") == ""
    assert clean_reply('[User] "The services revenue." Assistant: ok') == "The services revenue."
    assert clean_reply("2018\nUser: and 2019") == "2018"


def test_examples_from_the_task_or_generic() -> None:
    class TaskWithExamples(TaskBase):
        def simulator_examples(self):
            return EXAMPLES

    assert examples_for(TaskWithExamples()) is EXAMPLES
    assert examples_for(TaskBase()) is GENERIC_EXAMPLES  # the default hook supplies none
    assert examples_for(None) is GENERIC_EXAMPLES
    assert len(GENERIC_EXAMPLES.intent) == 3 and len(GENERIC_EXAMPLES.reply) == 3
    assert all(e.summary.startswith("The user wants to know:") for e in GENERIC_EXAMPLES.intent)
    assert all(e.dialogue[-1].role is Role.ASSISTANT for e in GENERIC_EXAMPLES.reply)


def test_pacific_simulator_examples() -> None:
    from act_bench_tasks.pacific.fewshot import simulator_examples

    examples = simulator_examples()
    assert len(examples.intent) == 3 and len(examples.reply) == 3
    assert all(e.dialogue[-1].role is Role.USER for e in examples.intent)
    assert all(e.dialogue[-1].role is Role.ASSISTANT for e in examples.reply)
    assert all(e.summary.startswith("The user wants to know:") for e in examples.reply)
