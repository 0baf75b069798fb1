"""Dialogues written as a list of turns, as in-context examples are written: the User
speaks first and the two roles alternate (App. G, App. H)."""

from __future__ import annotations

from collections.abc import Sequence

from act_bench.types import Message, Prompt, Role

_ROLES = (Role.USER, Role.ASSISTANT)


def alternating_dialogue(turns: Sequence[str]) -> tuple[Message, ...]:
    """User, Assistant, User, ... messages of ``turns``."""
    return tuple(Message(_ROLES[i % 2], text) for i, text in enumerate(turns))


def prompt_from_turns(grounding: str, turns: Sequence[str]) -> Prompt:
    """A prompt whose history is every turn but the last, which is the User's request."""
    if not turns or len(turns) % 2 == 0:
        raise ValueError(
            f"a prompt needs an odd number of turns ending with the User's, got {len(turns)}"
        )
    return Prompt(grounding=grounding, history=alternating_dialogue(turns[:-1]), request=turns[-1])
