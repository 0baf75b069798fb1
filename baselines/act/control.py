"""The conditional generation model M's prompt (App. F): mixed-initiative "control" prompting.

Every user turn is followed by a narrative instruction that states whether the next
assistant utterance asks a clarifying question or answers directly, so the action of what
M writes can be set from outside: Alg. 1 line 6 samples y_l ~ P_M(· | p, a') with the
rejected action's instruction on the current turn. Up to ``MAX_SHOTS`` in-context
conversations (App. F uses ten) come from the task's training pool, never from the
conversations being labelled; where the pool has none to give (no training split here, or
every conversation is being labelled), from the task's bundled sample (written by us), with
a note that says so (:func:`control_shots`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from act_bench.prompting import Shot, ShotSelection, build_styled_prompt, select_shots
from act_bench.prompting.render import StyledPrompt
from act_bench.prompting.shots import BUNDLED_POOL
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


def control_shots(
    task: Task,
    *,
    data_dir: Path | None,
    pool_split: str,
    seed: int,
    exclude: Collection[str] = (),
    shots: int = MAX_SHOTS,
) -> ShotSelection:
    """M's in-context conversations: drawn with ``seed`` from ``pool_split`` of ``data_dir``
    (the training pool), leaving out ``exclude`` (the conversations being labelled); the
    bundled sample, with a note, where that pool gives none. ``data_dir=None`` is training
    on the bundled sample itself, whose ``pool_split`` is then the pool."""
    chosen = select_shots(
        task, num_shots=shots, seed=seed, data_dir=data_dir, pool_split=pool_split, exclude=exclude
    )
    if shots == 0 or data_dir is None or (chosen.shots and chosen.pool != BUNDLED_POOL):
        return chosen
    if chosen.pool == BUNDLED_POOL:  # select_shots fell back: the split is not in data_dir
        why, fallback = f"{task.name}'s {pool_split} split is absent", chosen
    else:
        why = f"the {chosen.pool} pool has no conversation outside those being labelled"
        fallback = select_shots(task, num_shots=shots, seed=seed, data_dir=None, exclude=exclude)
    return replace(fallback, note=f"{why}; M's control prompt shots come from the bundled sample")


def control_prompts(
    task: Task,
    *,
    seed: int = 0,
    exclude: Collection[str] = (),
    shots: int = MAX_SHOTS,
    chosen: Sequence[Shot] | None = None,
) -> dict[Action, StyledPrompt]:
    """M's renderer for each forced action, over the same in-context conversations:
    ``chosen``, else ``shots`` drawn from the bundled sample leaving out ``exclude``."""
    if chosen is None:
        chosen = control_shots(
            task, data_dir=None, pool_split="train", seed=seed, exclude=exclude, shots=shots
        ).shots
    return {action: build_styled_prompt(task, ControlStyle(action), chosen) for action in Action}
