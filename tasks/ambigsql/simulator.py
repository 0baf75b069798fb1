"""AmbigSQL's LLM user simulator: U conditioned on the target SQL query (App. H, Table A27).

"Rather than having a separate step for knowledge-seeking intent summarization, we directly
condition U on the target SQL query." The prompt holds Table A27's instruction with the
goal's SQL, then the conversation so far: the user's request(s) and the Assistant's
clarifying question, ending with "User:"; the model writes the user's reply, "a rephrased
request that reflects their desired query". Three in-context examples (written by us,
:func:`act_bench_tasks.ambigsql.fewshot.simulator_examples`) come first, each a whole exchange, as
user / assistant chat turns.

Decoding is greedy by default and the seed reaches the backend. An empty reply (or a failed
generation) falls back to the goal's clear request, as the gold simulator would answer,
counted in ``reply_fallbacks`` and warned about once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from act_bench.backends import Backend, SamplingParams
from act_bench.simulators.base import SimulationRequest
from act_bench.simulators.llm import clean_reply, transcript
from act_bench.types import Message, Role

_LOGGER = logging.getLogger(__name__)

SYSTEM = (
    "You play the User of a conversation with an Assistant that writes SQL queries. Write "
    "only the User's next message."
)


def instruction(target_sql: str) -> str:
    """Table A27's instruction, with the goal's SQL."""
    return (
        "A user is asking an assistant to retrieve some information from a SQL database. "
        "The command that the assistant should ultimately return is as follows:\n\n"
        f"```\n{target_sql.strip()}\n```\n\n"
        "The assistant will ask some questions to clarify the user's intent. The user should "
        "respond with a rephrased request that reflects their desired query."
    )


def render_input(target_sql: str, dialogue: Sequence[Message]) -> str:
    """The instruction, then the dialogue ending with the Assistant's question, then "User:"."""
    return f"{instruction(target_sql)}\n\n{transcript(dialogue)}\nUser:"


@dataclass(frozen=True, slots=True)
class SQLReplyExample:
    """An in-context example: the target SQL, a dialogue ending with a clarifying question,
    and the user's reply."""

    target_sql: str
    dialogue: tuple[Message, ...]
    reply: str


class SQLGoalSimulator:
    """U for AmbigSQL: replies to clarifying questions knowing the target SQL (Table A27)."""

    def __init__(
        self,
        backend: Backend,
        examples: Sequence[SQLReplyExample],
        *,
        spec: str | None = None,
        seed: int = 0,
        temperature: float = 0.0,
        max_new_tokens: int = 64,
    ) -> None:
        self.backend = backend
        self.spec = spec or backend.spec
        self.examples = tuple(examples)
        self.sampling = SamplingParams(
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            stop=("\nAssistant:", "\nUser:"),
            seed=seed,
        )
        self.reply_fallbacks = 0
        self._warned = False

    def messages(self, request: SimulationRequest) -> list[Message]:
        messages = [Message(Role.SYSTEM, SYSTEM)]
        for example in self.examples:
            messages.append(Message(Role.USER, render_input(example.target_sql, example.dialogue)))
            messages.append(Message(Role.ASSISTANT, example.reply))
        dialogue = request.prompt.dialogue() + (
            Message(Role.ASSISTANT, request.clarifying_question),
        )
        messages.append(Message(Role.USER, render_input(str(request.goal.answer), dialogue)))
        return messages

    def reply(self, requests: Sequence[SimulationRequest]) -> list[str]:
        if not requests:
            return []
        generations = self.backend.generate([self.messages(r) for r in requests], self.sampling)
        replies = []
        for request, generation in zip(requests, generations, strict=True):
            text = "" if generation.error else clean_reply(generation.text)
            if not text:
                text = self._fall_back(request)
            replies.append(text)
        return replies

    def _fall_back(self, request: SimulationRequest) -> str:
        self.reply_fallbacks += 1
        if not self._warned:
            self._warned = True
            _LOGGER.warning(
                "user simulator %s produced an empty reply; the goal's clear request is used "
                "(counted in .reply_fallbacks, warned once)",
                self.spec,
            )
        return request.goal.request
