from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest

from act_bench.backends import Generation, SamplingParams, Usage
from act_bench.classifiers import ClassificationInput
from act_bench.classifiers.llm import (
    GENERIC_EXAMPLES,
    VERDICTS,
    ClassifierExample,
    LLMClassifier,
    examples_for,
    parse_verdict,
)
from act_bench.task import TaskBase
from act_bench.types import Action, Message, Prompt, Role


class FakeBackend:
    """Returns canned completions in order and records every conversation it was sent."""

    def __init__(self, replies: Sequence[str | None]) -> None:
        self.spec = "fake"
        self.usage = Usage()
        self.replies = list(replies)
        self.calls: list[list[list[Message]]] = []
        self.params: list[SamplingParams] = []

    def generate(
        self, conversations: Sequence[Sequence[Message]], params: SamplingParams
    ) -> list[Generation]:
        self.calls.append([list(c) for c in conversations])
        self.params.append(params)
        out = []
        for _ in conversations:
            reply = self.replies.pop(0)
            out.append(Generation(text="", error="boom") if reply is None else Generation(reply))
        return out


EXAMPLES = [
    ClassifierExample(
        Prompt("Table: Moon base | Crew\nAlpha | 4", (), "How many crew?"),
        "Which base are you asking about?",
        Action.CLARIFY,
    ),
    ClassifierExample(
        Prompt("Table: Moon base | Crew\nAlpha | 4", (), "How many crew are on Alpha?"),
        "['4']",
        Action.ANSWER,
    ),
]
PROMPT = Prompt(
    grounding="Passage: The zoo has 3 lions.",
    history=(Message(Role.USER, "How many lions?"), Message(Role.ASSISTANT, "3")),
    request="And tigers?",
)


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("The last Assistant utterance is a clarifying question.", Action.CLARIFY),
        ("The last Assistant utterance is a direct answer.", Action.ANSWER),
        (" clarifying question", Action.CLARIFY),
        ("CLARIFY", Action.CLARIFY),
        ("Answer", Action.ANSWER),
        ("It is not a clarifying question.", Action.ANSWER),
        ("The Assistant asks the user for the year.", Action.CLARIFY),
        ("I cannot tell.", None),
        ("", None),
    ],
)
def test_parse_verdict(text: str, action: Action | None) -> None:
    assert parse_verdict(text) is action


def test_prompt_holds_examples_then_item_in_table_a20_format() -> None:
    backend = FakeBackend([VERDICTS[Action.CLARIFY]])
    classifier = LLMClassifier(backend, EXAMPLES, seed=7)
    assert classifier.classify([ClassificationInput(PROMPT, "Which animal?")]) == [Action.CLARIFY]

    (conversation,) = backend.calls[0]
    assert [m.role for m in conversation] == [
        Role.SYSTEM,
        Role.USER,
        Role.ASSISTANT,
        Role.USER,
        Role.ASSISTANT,
        Role.USER,
    ]
    first_example = conversation[1].content
    assert first_example.startswith("Table: Moon base")
    assert first_example.endswith(
        "User: How many crew?\nAssistant: Which base are you asking about?"
    )
    assert conversation[2].content == "The last Assistant utterance is a clarifying question."
    assert conversation[4].content == "The last Assistant utterance is a direct answer."
    assert conversation[-1].content == (
        "Passage: The zoo has 3 lions.\nUser: How many lions?\nAssistant: 3\n"
        "User: And tigers?\nAssistant: Which animal?"
    )
    params = backend.params[0]
    assert params.temperature == 0.0 and params.max_new_tokens <= 32 and params.seed == 7


def test_all_items_go_in_one_batch_and_fallbacks_are_counted(caplog) -> None:
    backend = FakeBackend([VERDICTS[Action.ANSWER], "no idea", None, "direct answer", "hmm"])
    classifier = LLMClassifier(backend, EXAMPLES)
    responses = ["Which one?", "Which year?", "['5']", "Do you mean tigers?", "['7']"]
    with caplog.at_level(logging.WARNING):
        actions = classifier.classify([ClassificationInput(PROMPT, r) for r in responses])

    assert len(backend.calls) == 1 and len(backend.calls[0]) == 5
    # Items 2, 3 and 5 fall back to the heuristic: CLARIFY for "Which year?", ANSWER for lists.
    assert actions == [Action.ANSWER, Action.CLARIFY, Action.ANSWER, Action.ANSWER, Action.ANSWER]
    assert classifier.fallbacks == 3
    assert len([r for r in caplog.records if "heuristic" in r.getMessage()]) == 1


def test_empty_batch_makes_no_call() -> None:
    backend = FakeBackend([])
    assert LLMClassifier(backend, EXAMPLES).classify([]) == []
    assert backend.calls == []


def test_examples_come_from_the_task_when_it_supplies_them() -> None:
    class TaskWithExamples(TaskBase):
        def classifier_examples(self):
            return EXAMPLES

    assert examples_for(TaskWithExamples()) == tuple(EXAMPLES)
    assert examples_for(TaskBase()) == GENERIC_EXAMPLES  # the default hook supplies none
    assert examples_for(None) == GENERIC_EXAMPLES
    assert len(GENERIC_EXAMPLES) == 10
    assert {e.action for e in GENERIC_EXAMPLES} == {Action.CLARIFY, Action.ANSWER}


def test_pacific_examples_are_ten_mixed_and_agree_with_the_heuristic() -> None:
    from act_bench_tasks.pacific.fewshot import classifier_examples

    from act_bench.classifiers.heuristic import decide

    examples = classifier_examples()
    assert len(examples) == 10
    assert 3 <= sum(e.action is Action.CLARIFY for e in examples) <= 7
    assert all(decide(e.response).action is e.action for e in examples)
