"""The user simulator U of §3.1: the user's reply to a clarifying question."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from act_bench.types import Goal, Prompt, TurnState


@dataclass(frozen=True, slots=True)
class SimulationRequest:
    """The state a simulated user replies in.

    ``prompt`` is the dialogue so far (the policy's clarifying question is not yet in it);
    ``clarifying_question`` is what the policy just asked; ``round`` counts earlier
    clarification exchanges in this trajectory (0 for the first).
    """

    turn_state: TurnState
    goal: Goal
    prompt: Prompt
    clarifying_question: str
    round: int


@runtime_checkable
class UserSimulator(Protocol):
    spec: str

    def reply(self, requests: Sequence[SimulationRequest]) -> list[str]:
        """u_{i+1} ~ P_U(. | p_i, y_i) for each request (footnote 4), in order."""
        ...
