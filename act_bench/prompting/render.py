"""Rendering a prompt p in a prompting style, with in-context conversations before it.

The task's own renderer stays the single source of a task's instruction and grounding:
the leading system message(s) it writes are the "task background". With the standard
style and no shots the result is exactly ``task.render_messages(p)``, the format models
are tuned on. Shots are written out as text in the system message, each with its own
background, before the current conversation's background; the current dialogue follows
as chat messages in the style's format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from act_bench.classifiers.heuristic import decide
from act_bench.prompting.shots import Exchange, Shot
from act_bench.prompting.styles import PromptStyle, StandardStyle
from act_bench.task import Task
from act_bench.types import Message, Prompt, Role

SHOTS_HEADER = "Here are example conversations:"
CURRENT_HEADER = "Now the current conversation:"


def _split_background(messages: Sequence[Message]) -> tuple[list[str], list[Message]]:
    leading = 0
    while leading < len(messages) and messages[leading].role is Role.SYSTEM:
        leading += 1
    return [m.content for m in messages[:leading]], list(messages[leading:])


def _history_exchanges(prompt: Prompt) -> list[Exchange]:
    """Past exchanges of the current conversation; their actions are the heuristic's labels
    (the gold labels of past turns are not part of p, and they agree on PACIFIC's)."""
    users = [m.content for m in prompt.history if m.role is Role.USER]
    assistants = [m.content for m in prompt.history if m.role is Role.ASSISTANT]
    return [
        Exchange(request, response, decide(response).action)
        for request, response in zip(users, assistants, strict=False)
    ]


def _styled_dialogue(
    style: PromptStyle, exchanges: Sequence[Exchange], *, last_is_final: bool = False
) -> list[Message]:
    last = len(exchanges) - 1
    return [
        message
        for index, e in enumerate(exchanges)
        for message in style.exchange(
            e.request, e.response, e.action, final=last_is_final and index == last
        )
    ]


@dataclass(frozen=True, slots=True)
class StyledPrompt:
    """A task's prompt renderer in one style with fixed shots; a ``PromptRenderer``."""

    task: Task
    style: PromptStyle
    shots: tuple[Shot, ...] = ()

    def __call__(self, prompt: Prompt) -> list[Message]:
        background, task_dialogue = _split_background(self.task.render_messages(prompt))
        if isinstance(self.style, StandardStyle):
            dialogue = task_dialogue
        else:
            dialogue = _styled_dialogue(self.style, _history_exchanges(prompt))
            dialogue += self.style.exchange(prompt.request, None, None, final=True)
        system = "\n\n".join(background)
        if self.shots:
            examples = "\n\n".join(
                f"Example {index}:\n{self.shot_text(shot)}"
                for index, shot in enumerate(self.shots, start=1)
            )
            system = f"{SHOTS_HEADER}\n\n{examples}\n\n{CURRENT_HEADER}\n\n{system}".rstrip()
        return ([Message(Role.SYSTEM, system)] if system else []) + dialogue

    def shot_text(self, shot: Shot) -> str:
        """A shot as the paper's tables print it: background, then one line per turn."""
        background, _ = _split_background(self.task.render_messages(shot.prompt))
        dialogue = _styled_dialogue(self.style, shot.exchanges, last_is_final=True)
        lines = [self.style.as_text(m) for m in dialogue]
        return "\n\n".join([*background, "\n".join(lines)])

    def final_utterance(self, output: str) -> str:
        return self.style.final_utterance(output)


def build_styled_prompt(task: Task, style: PromptStyle, shots: Sequence[Shot] = ()) -> StyledPrompt:
    return StyledPrompt(task, style, tuple(shots))
