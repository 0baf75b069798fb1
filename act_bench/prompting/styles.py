"""How each prompting style of App. E writes one exchange of a conversation.

A style turns (user request, assistant response, the response's action) into chat
messages, and reads the final assistant utterance back out of what a model wrote:

- ``standard`` (Table A17): plain alternating turns;
- ``cot`` (Table A18): every user turn carries the instruction to think step by step, and
  every assistant turn opens with a one-line ``Reasoning:`` saying whether the request was
  ambiguous, then ``Assistant:`` and the response;
- ``proactive`` (Table A19): every assistant turn opens with the narrative sentence that
  names its action, and the current turn lists the actions and asks for a ``Response:``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from act_bench.registry import Registry
from act_bench.types import Action, Message, Role

COT_INSTRUCTION = (
    "Instruction: If the user’s question is ambiguous, ask an appropriate clarifying "
    "question. Otherwise, directly answer the user’s question using the information from "
    "the passage context and the table. Let’s think step by step."
)
COT_REASONING = {
    Action.CLARIFY: "Reasoning: The user’s question was ambiguous.",
    Action.ANSWER: "Reasoning: The user’s question is not ambiguous.",
}
PROACTIVE_NARRATIVE = {
    Action.CLARIFY: "The user’s last question was ambiguous. The Assistant asks a clarifying "
    "question.",
    Action.ANSWER: "The user’s last question was unambiguous. The Assistant directly answers "
    "the question.",
}
PROACTIVE_ACTIONS = 'Actions: ["Directly Answer", "Ask a Clarification Question"]'
PROACTIVE_PROMPT = (
    "Prompt: Given the task background and the conversation history, please use appropriate "
    "actions to generate the response."
)
SPEAKER_LABEL = {Role.USER: "User", Role.ASSISTANT: "Assistant"}

_ASSISTANT_MARKER = re.compile(r"(?:^|\s)Assistant\s*:\s*", re.IGNORECASE)
_REASONING_LINE = re.compile(r"^\s*(?:Response\s*:\s*)?(?:Reasoning\s*:)?[^\n]*?\n", re.IGNORECASE)


class PromptStyle(Protocol):
    name: str

    def exchange(
        self, request: str, response: str | None, action: Action | None, *, final: bool = False
    ) -> list[Message]:
        """The chat messages of one exchange; ``response is None`` for the current request,
        ``final`` for the last exchange of a conversation (where Table A19 adds its cue)."""
        ...

    def as_text(self, message: Message) -> str:
        """One message as a line of an in-context example written out as text."""
        ...

    def final_utterance(self, output: str) -> str:
        """What the assistant said to the user, out of what the model wrote."""
        ...


def _labelled(message: Message) -> str:
    return f"{SPEAKER_LABEL[message.role]}: {message.content}"


def _after_last_assistant_marker(output: str) -> str | None:
    matches = list(_ASSISTANT_MARKER.finditer(output))
    return output[matches[-1].end() :].strip() if matches else None


@dataclass(frozen=True, slots=True)
class StandardStyle:
    """Table A17: the format the tuned models are trained and evaluated on."""

    name: str = "standard"

    def exchange(
        self, request: str, response: str | None, action: Action | None, *, final: bool = False
    ) -> list[Message]:
        messages = [Message(Role.USER, request)]
        if response is not None:
            messages.append(Message(Role.ASSISTANT, response))
        return messages

    def as_text(self, message: Message) -> str:
        return _labelled(message)

    def final_utterance(self, output: str) -> str:
        return output.strip()


@dataclass(frozen=True, slots=True)
class ChainOfThoughtStyle:
    """Table A18: a reasoning line on ambiguity before every assistant response."""

    name: str = "cot"

    def exchange(
        self, request: str, response: str | None, action: Action | None, *, final: bool = False
    ) -> list[Message]:
        messages = [Message(Role.USER, f"{request}\n{COT_INSTRUCTION}")]
        if response is not None:
            reasoning = COT_REASONING[_required(action, self.name)]
            messages.append(Message(Role.ASSISTANT, f"{reasoning}\nAssistant: {response}"))
        return messages

    def as_text(self, message: Message) -> str:
        # The assistant's content already carries its own "Assistant:" label.
        return _labelled(message) if message.role is Role.USER else message.content

    def final_utterance(self, output: str) -> str:
        return _final_after_preamble(output)


@dataclass(frozen=True, slots=True)
class ProactiveStyle:
    """Table A19: narrative action sentences, the action list and a ``Response:`` cue."""

    name: str = "proactive"

    def exchange(
        self, request: str, response: str | None, action: Action | None, *, final: bool = False
    ) -> list[Message]:
        """Past turns: the narrative sentence, then the response. The final turn: the
        request with the action list and instruction, answered after ``Response:``."""
        user = f"{request}\n{PROACTIVE_ACTIONS}\n{PROACTIVE_PROMPT}" if final else request
        if response is None:
            return [Message(Role.USER, user)]
        narrative = PROACTIVE_NARRATIVE[_required(action, self.name)]
        if final:
            narrative = f"Response: {narrative}"
        return [
            Message(Role.USER, user),
            Message(Role.ASSISTANT, f"{narrative}\nAssistant: {response}"),
        ]

    def as_text(self, message: Message) -> str:
        return _labelled(message) if message.role is Role.USER else message.content

    def final_utterance(self, output: str) -> str:
        return _final_after_preamble(output)


def _final_after_preamble(output: str) -> str:
    """The text after the last ``Assistant:``; without one, the output minus its first line
    when that line is a reasoning or narrative preamble."""
    after = _after_last_assistant_marker(output)
    if after is not None:
        return after
    text = output.strip()
    first_line = text.split("\n", 1)[0].lower()
    if "\n" in text and ("ambiguous" in first_line or first_line.startswith("reasoning")):
        return _REASONING_LINE.sub("", text, count=1).strip()
    return text


def _required(action: Action | None, style: str) -> Action:
    if action is None:
        raise ValueError(f"the {style} style needs the action of every past assistant turn")
    return action


PROMPT_STYLES: Registry[PromptStyle] = Registry("prompt style")
PROMPT_STYLES.add("standard", StandardStyle())
PROMPT_STYLES.add("cot", ChainOfThoughtStyle())
PROMPT_STYLES.add("proactive", ProactiveStyle())


def get_prompt_style(name: str) -> PromptStyle:
    return PROMPT_STYLES.get(name)
