"""The conditional generation model M's prompt (App. F): mixed-initiative "control" prompting.

Every user turn is followed by a narrative instruction that states whether the next
assistant utterance asks a clarifying question or answers directly, so the action of what
M writes can be set from outside: Alg. 1 line 6 samples y_l ~ P_M(· | p, a') with the
rejected action's instruction on the current turn. The in-context conversations are the
task's bundled sample (written by us), up to ``MAX_SHOTS``, as App. F uses ten.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from act_bench.prompting import build_styled_prompt, select_shots
from act_bench.prompting.render import StyledPrompt
from act_bench.task import Task
from act_bench.types import Action, Message, Role

MAX_SHOTS = 10
CONTROL_INSTRUCTION = {
    Action.CLARIFY: "Instruction: The user’s last question was ambiguous. The Assistant asks a "
    "clarifying question.",
    Action.ANSWER: "Instruction: The user’s last question was unambiguous. The Assistant directly "
    "answers the question.",
}
_LEADING_LABEL = re.compile(r"^\s*(?:Assistant\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ControlStyle:
    """A prompting style whose narrative instruction sits after each user turn."""

    action: Action  # the action M is told to take on the current turn
    name: str = "control"

    def exchange(
        self, request: str, response: str | None, action: Action | None, *, final: bool = False
    ) -> list[Message]:
        told = self.action if response is None else action
        if told is None:
            raise ValueError("the control prompt needs the action of every past assistant turn")
        messages = [Message(Role.USER, f"{request}\n{CONTROL_INSTRUCTION[told]}")]
        if response is not None:
            messages.append(Message(Role.ASSISTANT, response))
        return messages

    def as_text(self, message: Message) -> str:
        label = "User" if message.role is Role.USER else "Assistant"
        return f"{label}: {message.content}"

    def final_utterance(self, output: str) -> str:
        return _LEADING_LABEL.sub("", output.strip(), count=1).strip()


def control_prompts(
    task: Task, *, seed: int, exclude: Collection[str] = (), shots: int = MAX_SHOTS
) -> dict[Action, StyledPrompt]:
    """M's renderer for each forced action, over the same in-context conversations."""
    chosen = select_shots(task, num_shots=shots, seed=seed, data_dir=None, exclude=exclude)
    return {
        action: build_styled_prompt(task, ControlStyle(action), chosen.shots) for action in Action
    }
