"""The builder's data: what a generator is given and returns, and the conversations it yields.

App. C.1: every Spider example becomes two conversations over the same schema and SQL:

* the unambiguous one, a single state t1 (p1: the clear request; r1: the gold SQL; a1 =
  ANSWER; g1 = r1);
* its ambiguous twin, two states: t1 (p1: the ambiguous request; r1: the clarifying
  question; a1 = CLARIFY) and t2 (p2: the ambiguous request, the clarifying question and
  the clear request; r2: the gold SQL; a2 = ANSWER). The goal of both is the gold SQL, and
  the user's recorded reply to the clarifying question is the clear request.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from act_bench_tasks.ambigsql.spider import SpiderExample, SpiderSchema
from act_bench_tasks.ambigsql.sql_shape import QueryShape

from act_bench.types import Action, Conversation, Goal, Message, Prompt, Role, TurnState


class AmbiguityType(enum.StrEnum):
    """The three kinds of underspecified requests of §4.1.3 and App. C.1."""

    INFORMATION = "information"  # the requested columns (Table A13)
    POPULATION = "population"  # the requested table / entity (Table A12)
    PRESENTATION = "presentation"  # how the results are ordered


@dataclass(frozen=True, slots=True)
class GenerationInput:
    """One Spider example, ready for a generator.

    ``shape`` is None when sqlglot could not parse the gold query; ``key`` names the
    example (``<spider split>-<index>``) and, with the seed, fixes every random choice made
    for it, so a build does not depend on the order examples are processed in.
    """

    example: SpiderExample
    schema: SpiderSchema
    grounding: str
    shape: QueryShape | None
    key: str
    ambiguity_type: AmbiguityType


@dataclass(frozen=True, slots=True)
class AmbiguousRequest:
    """A generator's output: the perturbed request and the question that recovers the clear one.

    ``method`` says how it was made: ``edit`` (the clear request rewritten), ``template``
    (a request written from the parse alone) or ``llm``.
    """

    ambiguity_type: AmbiguityType
    request: str
    clarifying_question: str
    method: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """A generated pair that failed validation, or could not be generated, and why."""

    reason: str
    detail: str = ""
    candidate: AmbiguousRequest | None = None


@dataclass(frozen=True, slots=True)
class AmbigSQLPair:
    """A validated pair: the clear request and its ambiguous twin over one Spider example."""

    split: str
    pair_id: str
    item: GenerationInput
    ambiguous: AmbiguousRequest
    generator: str
    seed: int

    @property
    def gold_sql(self) -> str:
        return self.item.example.query

    @property
    def clear_request(self) -> str:
        return self.item.example.question

    def _metadata(self, turn: int) -> dict[str, Any]:
        return {"db_id": self.item.example.db_id, "pair_id": self.pair_id, "turn": turn}

    def _goal(self, clarification: str | None) -> Goal:
        return Goal(
            answer=self.gold_sql,
            request=self.clear_request,
            clarification=clarification,
            metadata={"db_id": self.item.example.db_id},
        )

    def clear_conversation(self) -> Conversation:
        conversation_id = f"{self.pair_id}-clear"
        t1 = TurnState(
            id=f"{conversation_id}-t1",
            conversation_id=conversation_id,
            prompt=Prompt(self.item.grounding, (), self.clear_request),
            gold_response=self.gold_sql,
            goals=(self._goal(None),),
            gold_action=Action.ANSWER,
            metadata=self._metadata(1),
        )
        return Conversation(conversation_id, (t1,))

    def ambiguous_conversation(self) -> Conversation:
        conversation_id = f"{self.pair_id}-ambiguous"
        request, question = self.ambiguous.request, self.ambiguous.clarifying_question
        t1 = TurnState(
            id=f"{conversation_id}-t1",
            conversation_id=conversation_id,
            prompt=Prompt(self.item.grounding, (), request),
            gold_response=question,
            goals=(self._goal(self.clear_request),),
            gold_action=Action.CLARIFY,
            metadata={**self._metadata(1), "ambiguity_type": self.ambiguous.ambiguity_type.value},
        )
        history = (Message(Role.USER, request), Message(Role.ASSISTANT, question))
        t2 = TurnState(
            id=f"{conversation_id}-t2",
            conversation_id=conversation_id,
            prompt=Prompt(self.item.grounding, history, self.clear_request),
            gold_response=self.gold_sql,
            goals=(self._goal(None),),
            gold_action=Action.ANSWER,
            metadata={**self._metadata(2), "ambiguity_type": self.ambiguous.ambiguity_type.value},
        )
        return Conversation(conversation_id, (t1, t2))

    def records(self) -> list[dict[str, Any]]:
        """The two JSONL lines of this pair: the clear conversation, then the ambiguous one."""
        common = {
            "pair_id": self.pair_id,
            "db_id": self.item.example.db_id,
            "gold_sql": self.gold_sql,
            "clear_request": self.clear_request,
            "generator": self.generator,
            "seed": self.seed,
            "source": {"file": self.item.example.source_file, "index": self.item.example.index},
        }
        clear = self.clear_conversation()
        ambiguous = self.ambiguous_conversation()
        return [
            {
                "id": clear.id,
                "ambiguous": False,
                **common,
                "ambiguity_type": None,
                "ambiguous_request": None,
                "clarifying_question": None,
                "method": None,
                "turn_states": [t.to_json() for t in clear.turn_states],
            },
            {
                "id": ambiguous.id,
                "ambiguous": True,
                **common,
                "ambiguity_type": self.ambiguous.ambiguity_type.value,
                "ambiguous_request": self.ambiguous.request,
                "clarifying_question": self.ambiguous.clarifying_question,
                "method": self.ambiguous.method,
                "turn_states": [t.to_json() for t in ambiguous.turn_states],
            },
        ]
