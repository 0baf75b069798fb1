"""The LLM user simulator U of §3.1 and App. H, on any backend.

Two few-shot prompts, each with three hand-written in-context examples (App. H):

1. **Intent summary** (Table A23). The model reads "The following is a conversation between
   a User and an Assistant. The User is asking some questions. Summarize what information
   the User is looking for.", the grounding and the dialogue, and writes "The user wants to
   know: 1. ..., 2. ...".
2. **Reply** (Table A24). The model reads the same opening sentence followed by that
   summary, the grounding and the dialogue so far ending with the Assistant's clarifying
   question, and writes the User's next line.

What the summarizer sees, so that the simulated user is grounded on the goal g: the
grounding, the turn state's history as recorded, and then, as the User's last turn, the
goal's fully specified request ``goal.request`` in place of the request as asked (for
PACIFIC, ``original_question``: the as-asked request with its ambiguity resolved, so it
carries everything the as-asked one does). It does not see the goal's answer (a user knows
what they want, not the answer) nor the recorded clarification (replaying that is the
``gold`` simulator's job; summarizing lets U answer questions the data never asked, §3.1).
Tasks whose goals share a request but differ in intent must therefore put the intent into
``goal.request``.

Summaries are cached per (turn state id, goal index, goal request): an episode that
clarifies several times, or several episodes of one turn state and goal, are summarized
once. Each step sends all its requests to the backend in one batch. Decoding is greedy by
default and the seed reaches the backend. A reply that comes back empty (or a failed
generation) falls back to ``goal.request``, as the gold simulator would answer, and is
counted in ``reply_fallbacks``; an empty summary falls back to the request itself, counted
in ``summary_fallbacks``. Both warn once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from act_bench.backends import Backend, SamplingParams
from act_bench.dialogue import alternating_dialogue
from act_bench.simulators.base import SimulationRequest
from act_bench.task import Task
from act_bench.types import Goal, Message, Role, TurnState

_LOGGER = logging.getLogger(__name__)

OPENING = (
    "The following is a conversation between a User and an Assistant. "
    "The User is asking some questions."
)
SUMMARY_REQUEST = "Summarize what information the User is looking for."
SUMMARY_INSTRUCTION = f"{OPENING} {SUMMARY_REQUEST}"
SUMMARY_PREFIX = "The user wants to know:"
SUMMARY_SYSTEM = (
    "You read conversations and state, in one sentence that starts with "
    f'"{SUMMARY_PREFIX}", every piece of information the User is looking for.'
)
REPLY_SYSTEM = (
    "You play the User of the conversation you are shown. You know what you want (the "
    "sentence that starts with 'The user wants to know'). Write only the User's next "
    "message: answer the Assistant's question briefly, in the User's words."
)

_LEADING_LABEL = re.compile(
    r"^\s*(?:\[(?:user|information|summary)\]|(?:user|summary|information)\s*:)\s*",
    re.IGNORECASE,
)
_NEXT_ASSISTANT = re.compile(r"\[?assistant\]?\s*:", re.IGNORECASE)
_NEXT_USER = re.compile(r"\n\s*\[?user\]?\s*:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class IntentExample:
    """An in-context example of step 1: a dialogue and the summary of what the User wants.

    ``dialogue`` alternates User and Assistant messages and ends with the User's last
    (fully specified) request, as the items do; ``summary`` starts "The user wants to know:".
    """

    grounding: str
    dialogue: tuple[Message, ...]
    summary: str


@dataclass(frozen=True, slots=True)
class ReplyExample:
    """An in-context example of step 2: what the User replies to a clarifying question.

    ``dialogue`` ends with the Assistant's clarifying question; ``reply`` is the User's answer.
    """

    summary: str
    grounding: str
    dialogue: tuple[Message, ...]
    reply: str


@dataclass(frozen=True, slots=True)
class SimulatorExamples:
    """The in-context examples of both steps (three each in App. H).

    ``opening`` is the sentence that introduces the conversation in both prompts; a task
    may word it for its grounding (Abg-CoQA's Tables A25/A26 speak of "the Story below").
    """

    intent: tuple[IntentExample, ...]
    reply: tuple[ReplyExample, ...]
    opening: str = OPENING


def transcript(dialogue: Sequence[Message]) -> str:
    return "\n".join(
        f"{'User' if m.role is Role.USER else 'Assistant'}: {m.content}" for m in dialogue
    )


def _block(*parts: str) -> str:
    return "\n\n".join(part.strip() for part in parts if part.strip())


def render_intent_input(grounding: str, dialogue: Sequence[Message], opening: str = OPENING) -> str:
    """Table A23's input: the instruction, the grounding and the dialogue."""
    return _block(f"{opening} {SUMMARY_REQUEST}", grounding, transcript(dialogue))


def render_reply_input(
    summary: str, grounding: str, dialogue: Sequence[Message], opening: str = OPENING
) -> str:
    """Table A24's input: the opening with the summary, the grounding, the dialogue, "User:"."""
    return _block(f"{opening} {summary}", grounding, transcript(dialogue)) + "\nUser:"


def summary_dialogue(turn_state: TurnState, goal: Goal) -> tuple[Message, ...]:
    """The dialogue the summarizer reads: the history, then the goal's full request."""
    return turn_state.prompt.history + (Message(Role.USER, goal.request),)


def reply_dialogue(request: SimulationRequest) -> tuple[Message, ...]:
    """The dialogue so far, ending with the Assistant's clarifying question."""
    return request.prompt.dialogue() + (Message(Role.ASSISTANT, request.clarifying_question),)


def clean_summary(text: str) -> str:
    """The summary with labels removed and the "The user wants to know:" opening ensured."""
    text = _LEADING_LABEL.sub("", text.strip())
    text = _NEXT_USER.split(text, maxsplit=1)[0].strip()
    text = _NEXT_ASSISTANT.split(text, maxsplit=1)[0].strip()
    if not text:
        return ""
    if not text.lower().startswith(SUMMARY_PREFIX.lower()):
        text = f"{SUMMARY_PREFIX} {text}"
    return text


def clean_reply(text: str) -> str:
    """The User's line: role labels stripped, cut at the next "Assistant:" or "User:" turn."""
    text = _LEADING_LABEL.sub("", text.strip())
    text = _NEXT_ASSISTANT.split(text, maxsplit=1)[0]
    text = _NEXT_USER.split(text, maxsplit=1)[0]
    return text.strip().strip('"').strip()


def _goal_index(turn_state: TurnState, goal: Goal) -> int:
    return next((i for i, g in enumerate(turn_state.goals) if g == goal), -1)


class LLMSimulator:
    """Summarize the user's intents once per goal, then reply to clarifying questions (App. H).

    ``backend`` is exposed so that evaluation reports its token usage.
    """

    def __init__(
        self,
        backend: Backend,
        examples: SimulatorExamples,
        *,
        spec: str | None = None,
        seed: int = 0,
        temperature: float = 0.0,
        summary_max_new_tokens: int = 160,
        reply_max_new_tokens: int = 48,
    ) -> None:
        self.backend = backend
        self.spec = spec or backend.spec
        self.examples = examples
        self.summary_sampling = SamplingParams(
            max_new_tokens=summary_max_new_tokens,
            temperature=temperature,
            stop=("\nUser:", "\nAssistant:"),
            seed=seed,
        )
        self.reply_sampling = SamplingParams(
            max_new_tokens=reply_max_new_tokens,
            temperature=temperature,
            stop=("\nAssistant:", "\nUser:"),
            seed=seed,
        )
        self.summaries: dict[tuple[str, int, str], str] = {}
        self.summary_fallbacks = 0
        self.reply_fallbacks = 0
        self._warned: set[str] = set()

    def reply(self, requests: Sequence[SimulationRequest]) -> list[str]:
        if not requests:
            return []
        summaries = self.summarize(requests)
        conversations = [
            self._reply_messages(summary, request)
            for summary, request in zip(summaries, requests, strict=True)
        ]
        generations = self.backend.generate(conversations, self.reply_sampling)
        replies = []
        for request, generation in zip(requests, generations, strict=True):
            text = "" if generation.error else clean_reply(generation.text)
            if not text:
                self.reply_fallbacks += 1
                self._warn_once("reply", "an empty reply; the goal's full request is used")
                text = request.goal.request
            replies.append(text)
        return replies

    def summarize(self, requests: Sequence[SimulationRequest]) -> list[str]:
        """Step 1 for every request, generating only the summaries not yet cached (one batch)."""
        keys = [self._key(r.turn_state, r.goal) for r in requests]
        missing = {
            key: r for key, r in zip(keys, requests, strict=True) if key not in self.summaries
        }
        if missing:
            conversations = [self._intent_messages(r.turn_state, r.goal) for r in missing.values()]
            generations = self.backend.generate(conversations, self.summary_sampling)
            for (key, request), generation in zip(missing.items(), generations, strict=True):
                summary = "" if generation.error else clean_summary(generation.text)
                if not summary:
                    self.summary_fallbacks += 1
                    self._warn_once("summary", "an empty intent summary; the request is used")
                    summary = f"{SUMMARY_PREFIX} {request.goal.request}"
                self.summaries[key] = summary
        return [self.summaries[key] for key in keys]

    @staticmethod
    def _key(turn_state: TurnState, goal: Goal) -> tuple[str, int, str]:
        return (turn_state.id, _goal_index(turn_state, goal), goal.request)

    def _intent_messages(self, turn_state: TurnState, goal: Goal) -> list[Message]:
        opening = self.examples.opening
        messages = [Message(Role.SYSTEM, SUMMARY_SYSTEM)]
        for example in self.examples.intent:
            messages.append(
                Message(
                    Role.USER, render_intent_input(example.grounding, example.dialogue, opening)
                )
            )
            messages.append(Message(Role.ASSISTANT, example.summary))
        item = render_intent_input(
            turn_state.prompt.grounding, summary_dialogue(turn_state, goal), opening
        )
        messages.append(Message(Role.USER, item))
        return messages

    def _reply_messages(self, summary: str, request: SimulationRequest) -> list[Message]:
        opening = self.examples.opening
        messages = [Message(Role.SYSTEM, REPLY_SYSTEM)]
        for example in self.examples.reply:
            messages.append(
                Message(
                    Role.USER,
                    render_reply_input(
                        example.summary, example.grounding, example.dialogue, opening
                    ),
                )
            )
            messages.append(Message(Role.ASSISTANT, example.reply))
        item = render_reply_input(
            summary, request.prompt.grounding, reply_dialogue(request), opening
        )
        messages.append(Message(Role.USER, item))
        return messages

    def _warn_once(self, kind: str, what: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            _LOGGER.warning(
                "user simulator %s produced %s (counted in .%s_fallbacks, warned once)",
                self.spec,
                what,
                kind,
            )


def examples_for(task: Task | None) -> SimulatorExamples:
    """The task's own examples (:meth:`Task.simulator_examples`), else generic ones."""
    examples = None if task is None else task.simulator_examples()
    return GENERIC_EXAMPLES if examples is None else examples


_BAKERY = (
    "Table: Product | Loaves sold 2023 | Loaves sold 2024\n"
    "Sourdough | 8,200 | 9,050\nRye | 3,100 | 2,870\n"
    "Passage: The bakery opened a second oven line in May 2024 to meet weekend demand."
)
_FERRY = (
    "Passage: The island ferry runs twice a day in winter and five times a day in summer. "
    "A return ticket costs 12 euros for adults and 6 euros for children; bicycles travel free."
)
_GYM = (
    "Table: Membership | Members Jan | Members Jun\nStudent | 340 | 295\n"
    "Standard | 1,020 | 1,110\nFamily | 210 | 260"
)

_BAKERY_SUMMARY = (
    "The user wants to know: 1. Why the bakery opened a second oven line, 2. How many "
    "sourdough loaves were sold in 2024, and 3. How the number of rye loaves sold changed "
    "from 2023 to 2024."
)
_FERRY_SUMMARY = (
    "The user wants to know: 1. How often the ferry runs in summer, and 2. How much a "
    "return ticket costs for a child."
)
_GYM_SUMMARY = (
    "The user wants to know: 1. How many family members the gym had in June, and 2. The "
    "total number of members in January across all membership types."
)

GENERIC_EXAMPLES = SimulatorExamples(
    intent=(
        IntentExample(
            _BAKERY,
            alternating_dialogue(
                [
                    "Why did the bakery open a second oven line?",
                    "To meet weekend demand.",
                    "How many sourdough loaves were sold in 2024?",
                    "9,050",
                    "What was the change in rye loaves sold from 2023 to 2024?",
                ]
            ),
            _BAKERY_SUMMARY,
        ),
        IntentExample(
            _FERRY,
            alternating_dialogue(
                [
                    "How many times a day does the ferry run in summer?",
                    "Five times a day.",
                    "How much is a return ticket for a child?",
                ]
            ),
            _FERRY_SUMMARY,
        ),
        IntentExample(
            _GYM,
            alternating_dialogue(
                [
                    "How many family members were there in June?",
                    "260",
                    "What was the total number of members in January?",
                ]
            ),
            _GYM_SUMMARY,
        ),
    ),
    reply=(
        ReplyExample(
            _BAKERY_SUMMARY,
            _BAKERY,
            alternating_dialogue(
                [
                    "Why did the bakery open a second oven line?",
                    "To meet weekend demand.",
                    "How many sourdough loaves were sold in 2024?",
                    "9,050",
                    "What was the change in loaves sold?",
                    "Which product are you asking about?",
                ]
            ),
            "Rye.",
        ),
        ReplyExample(
            _FERRY_SUMMARY,
            _FERRY,
            alternating_dialogue(
                [
                    "How many times a day does the ferry run in summer?",
                    "Five times a day.",
                    "How much is a return ticket?",
                    "Is the ticket for an adult or a child?",
                ]
            ),
            "For a child.",
        ),
        ReplyExample(
            _GYM_SUMMARY,
            _GYM,
            alternating_dialogue(
                [
                    "How many members were there in June?",
                    "Do you mean a particular membership type, or all members together?",
                ]
            ),
            "Only the family memberships.",
        ),
    ),
)
