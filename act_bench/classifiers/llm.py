"""The few-shot action classifier A of App. G, on any backend.

The paper prompts Gemini Ultra with 10 in-context examples, each showing the grounding,
the dialogue, the last Assistant utterance and the verdict "The last Assistant utterance is
a clarifying question." or "... is a direct answer." (Tables A20-A22). Here each example is
one user/assistant exchange of a chat (the user message holds the grounding and dialogue,
the assistant message the verdict), so that chat models of any size answer in the same
sentence; the item to classify is the final user message. All items go to the backend in
one batch, decoded greedily with a short budget.

A verdict that names neither action, or a backend error, falls back to the heuristic
classifier (:mod:`act_bench.classifiers.heuristic`); ``fallbacks`` counts those items and
the first one is logged once per classifier.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from act_bench.backends import Backend, SamplingParams
from act_bench.classifiers.base import ClassificationInput
from act_bench.classifiers.heuristic import HeuristicClassifier
from act_bench.dialogue import prompt_from_turns
from act_bench.task import Task
from act_bench.types import Action, Message, Prompt, Role

_LOGGER = logging.getLogger(__name__)

INSTRUCTION = (
    "You label the last Assistant utterance of a conversation between a User and an "
    "Assistant. Each input shows the grounding (table, passage or schema), the dialogue and "
    "the last Assistant utterance. Reply with exactly one sentence: "
    '"The last Assistant utterance is a clarifying question." if the Assistant asks the '
    'User something, or "The last Assistant utterance is a direct answer." if it attempts '
    "to answer."
)
VERDICTS = {
    Action.CLARIFY: "The last Assistant utterance is a clarifying question.",
    Action.ANSWER: "The last Assistant utterance is a direct answer.",
}

# Earliest match wins; a negated mention ("not a clarifying question") names the other action.
_MENTIONS = re.compile(
    r"(?P<negation>\bnot\s+(?:an?\s+)?)?"
    r"(?:(?P<clarify>clarif\w*|\bquestion\b|\basks?\b|\bclarify\b)|"
    r"(?P<answer>\bdirect\b|\banswer\w*\b))",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ClassifierExample:
    """One in-context example: a prompt, the Assistant's response to it and its action."""

    prompt: Prompt
    response: str
    action: Action


def render_item(prompt: Prompt, response: str) -> str:
    """Grounding, dialogue and the last Assistant utterance, as in Tables A20-A22."""
    lines = [prompt.grounding.strip()] if prompt.grounding.strip() else []
    lines += [f"{_speaker(m.role)}: {m.content}" for m in prompt.dialogue()]
    lines.append(f"Assistant: {response}")
    return "\n".join(lines)


def _speaker(role: Role) -> str:
    return "User" if role is Role.USER else "Assistant"


def build_messages(
    examples: Sequence[ClassifierExample], item: ClassificationInput
) -> list[Message]:
    """The chat for one item: the instruction, the examples as exchanges, then the item."""
    messages = [Message(Role.SYSTEM, INSTRUCTION)]
    for example in examples:
        messages.append(Message(Role.USER, render_item(example.prompt, example.response)))
        messages.append(Message(Role.ASSISTANT, VERDICTS[example.action]))
    messages.append(Message(Role.USER, render_item(item.prompt, item.response)))
    return messages


def parse_verdict(text: str) -> Action | None:
    """The action a completion names, or None when it names neither.

    The first mention of a clarification ("clarifying", "question", "asks") or an answer
    ("direct", "answer") decides; "not a ..." before it flips it.
    """
    match = _MENTIONS.search(text)
    if match is None:
        return None
    action = Action.CLARIFY if match.group("clarify") else Action.ANSWER
    return action.rejected if match.group("negation") else action


class LLMClassifier:
    """A model prompted with in-context examples decides each response's action (App. G).

    ``backend`` is exposed so that evaluation reports its token usage; ``fallbacks`` counts
    the items whose verdict was unparseable or failed and went to the heuristic instead.
    """

    def __init__(
        self,
        backend: Backend,
        examples: Sequence[ClassifierExample],
        *,
        spec: str | None = None,
        seed: int = 0,
        max_new_tokens: int = 16,
    ) -> None:
        self.backend = backend
        self.spec = spec or backend.spec
        self.examples = tuple(examples)
        self.sampling = SamplingParams(
            max_new_tokens=max_new_tokens, temperature=0.0, stop=("\n",), seed=seed
        )
        self.fallbacks = 0
        self._heuristic = HeuristicClassifier()
        self._warned = False

    def classify(self, items: Sequence[ClassificationInput]) -> list[Action]:
        if not items:
            return []
        conversations = [build_messages(self.examples, item) for item in items]
        generations = self.backend.generate(conversations, self.sampling)
        actions: list[Action] = []
        for item, generation in zip(items, generations, strict=True):
            action = None if generation.error else parse_verdict(generation.text)
            if action is None:
                action = self._fall_back(item, generation.error or generation.text)
            actions.append(action)
        return actions

    def _fall_back(self, item: ClassificationInput, reason: str) -> Action:
        self.fallbacks += 1
        if not self._warned:
            self._warned = True
            _LOGGER.warning(
                "action classifier %s gave no usable verdict (%r); using the heuristic "
                "classifier for such items (counted in .fallbacks, warned once)",
                self.spec,
                reason[:80],
            )
        return self._heuristic.classify([item])[0]


def examples_for(task: Task | None) -> tuple[ClassifierExample, ...]:
    """The task's own examples (:meth:`Task.classifier_examples`), else generic ones."""
    examples = () if task is None else tuple(task.classifier_examples())
    return examples or GENERIC_EXAMPLES


_ORCHARD = (
    "Table: Season | Apples (tonnes) | Pears (tonnes)\n"
    "2022 | 410 | 120\n2023 | 455 | 98\n"
    "Passage: The orchard co-operative sells to two supermarket chains and a cider maker."
)
_LIBRARY = (
    "Passage: The town library opened a second branch in March. The main branch lends "
    "about 900 books a week, the new branch about 250. Both close on Sundays."
)
_SCHEMA = "Schema: ships(id, name, tonnage, built_year); voyages(ship_id, port, departed)"
_CLINIC = (
    "Table: Clinic | Patients 2023 | Patients 2024\nNorth | 1,240 | 1,310\n"
    "South | 980 | 1,150\nPassage: Both clinics extended their opening hours in 2024."
)

GENERIC_EXAMPLES: tuple[ClassifierExample, ...] = (
    ClassifierExample(
        prompt_from_turns(_ORCHARD, ["How many tonnes of apples were harvested?"]),
        "Which season are you asking about?",
        Action.CLARIFY,
    ),
    ClassifierExample(
        prompt_from_turns(
            _ORCHARD,
            [
                "How many tonnes of apples were harvested?",
                "Which season are you asking about?",
                "2023",
            ],
        ),
        "455",
        Action.ANSWER,
    ),
    ClassifierExample(
        prompt_from_turns(_ORCHARD, ["What was the change in pear tonnage from 2022 to 2023?"]),
        "98 - 120 = -22",
        Action.ANSWER,
    ),
    ClassifierExample(
        prompt_from_turns(_LIBRARY, ["How many books does the branch lend each week?"]),
        "Do you mean the main branch or the new branch?",
        Action.CLARIFY,
    ),
    ClassifierExample(
        prompt_from_turns(_LIBRARY, ["When did the second branch open?"]),
        "In March.",
        Action.ANSWER,
    ),
    ClassifierExample(
        prompt_from_turns(_SCHEMA, ["List the ships."]),
        "Should the list show only the names, or also the tonnage and the year built?",
        Action.CLARIFY,
    ),
    ClassifierExample(
        prompt_from_turns(_SCHEMA, ["Which ships were built before 1990? Show their names."]),
        "SELECT name FROM ships WHERE built_year < 1990",
        Action.ANSWER,
    ),
    ClassifierExample(
        prompt_from_turns(_CLINIC, ["What was the number of patients in 2024?"]),
        "['Which clinic are you asking about?']",
        Action.CLARIFY,
    ),
    ClassifierExample(
        prompt_from_turns(_CLINIC, ["Which clinics extended their opening hours?"]),
        "['North', 'South']",
        Action.ANSWER,
    ),
    ClassifierExample(
        prompt_from_turns(
            _CLINIC, ["Did the South clinic see more patients in 2024 than in 2023?"]
        ),
        "Yes, it rose from 980 to 1,150 patients.",
        Action.ANSWER,
    ),
)
