"""The action classifier A of §3.1: which action does a response take?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from act_bench.types import Action, Prompt


@dataclass(frozen=True, slots=True)
class ClassificationInput:
    """A response to classify, with the prompt (grounding and dialogue) it answers."""

    prompt: Prompt
    response: str


@runtime_checkable
class ActionClassifier(Protocol):
    spec: str

    def classify(self, items: Sequence[ClassificationInput]) -> list[Action]:
        """argmax_a P_A(a | p, y) for each item (footnote 3), in order."""
        ...
