"""The LLM generator of App. C.1: a model writes each ambiguous request and clarifying question.

For every example the prompt follows Tables A12/A13: the database schema, "The target SQL
query is the following:", the query, "Here is a clear request that would correspond to
this SQL query:", the clear request, and "Here is the same request converted into an
ambiguous format by underspecifying the <target>:". The model continues with the ambiguous
request, "Here is an appropriate clarifying question to recover the clear request from the
ambiguous request:" and the question. Five in-context examples of the same ambiguity type
(:mod:`act_bench_tasks.ambigsql.builder.llm_examples`) come first, each as a user / assistant
exchange of the chat. All items of a batch go to the backend together.

A completion that cannot be read (no clarifying-question part, an empty field) or a failed
generation is returned as a rejection; the builder counts it with the validation rejects.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from act_bench_tasks.ambigsql.builder.llm_examples import EXAMPLES, GeneratorExample
from act_bench_tasks.ambigsql.builder.records import (
    AmbiguityType,
    AmbiguousRequest,
    GenerationInput,
    Rejection,
)

from act_bench.backends import Backend, SamplingParams
from act_bench.types import Message, Role

SYSTEM = (
    "You turn clear requests to a SQL database into ambiguous ones. Given a database schema, "
    "a target SQL query and a clear request for it, rewrite the request so that it "
    "underspecifies what the instruction names, and write the clarifying question an "
    "assistant should ask to recover the clear request. Answer in the format of the examples."
)
TARGETS = {
    AmbiguityType.INFORMATION: "the target columns",
    AmbiguityType.POPULATION: "the target population",
    AmbiguityType.PRESENTATION: "the presentation of the results",
}
QUESTION_HEADER = (
    "Here is an appropriate clarifying question to recover the clear request from the "
    "ambiguous request:"
)
UNREADABLE = "unreadable_generation"
BACKEND_FAILURE = "backend_error"

_HEADER = re.compile(r"here is an appropriate clarifying question[^\n:]*:?", re.IGNORECASE)
_QUOTES = "\"'“”‘’"


def render_request(grounding: str, sql: str, clear: str, kind: AmbiguityType) -> str:
    """The black text of Tables A12/A13 for one example."""
    return (
        f"{grounding}\n\nThe target SQL query is the following:\n\n```\n{sql}\n```\n\n"
        f'Here is a clear request that would correspond to this SQL query:\n\n"{clear}"\n\n'
        f"Here is the same request converted into an ambiguous format by underspecifying "
        f"{TARGETS[kind]}:"
    )


def render_completion(ambiguous: str, clarifying_question: str) -> str:
    """What the model writes (the blue text): the ambiguous request and the question."""
    return f'"{ambiguous}"\n\n{QUESTION_HEADER}\n\n"{clarifying_question}"'


def build_messages(item: GenerationInput, examples: Sequence[GeneratorExample]) -> list[Message]:
    from act_bench_tasks.ambigsql.fewshot import sample_grounding

    kind = item.ambiguity_type
    messages = [Message(Role.SYSTEM, SYSTEM)]
    for example in examples:
        request = render_request(sample_grounding(example.db_id), example.sql, example.clear, kind)
        messages.append(Message(Role.USER, request))
        messages.append(
            Message(
                Role.ASSISTANT, render_completion(example.ambiguous, example.clarifying_question)
            )
        )
    request = render_request(item.grounding, item.example.query, item.example.question, kind)
    messages.append(Message(Role.USER, request))
    return messages


def _unquoted(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0].strip(_QUOTES).strip() if lines else ""


def parse_completion(text: str) -> tuple[str, str] | None:
    """(ambiguous request, clarifying question), or None when the completion has no question."""
    parts = _HEADER.split(text, maxsplit=1)
    if len(parts) != 2:
        return None
    ambiguous, question = _unquoted(parts[0]), _unquoted(parts[1])
    return (ambiguous, question) if ambiguous and question else None


class LLMGenerator:
    """Prompts a backend with the type's five examples for each item (module docstring)."""

    def __init__(self, backend: Backend, sampling: SamplingParams, *, spec: str | None = None):
        self.backend = backend
        self.spec = spec or backend.spec
        self.sampling = sampling

    def generate(self, items: Sequence[GenerationInput]) -> list[AmbiguousRequest | Rejection]:
        conversations = [build_messages(i, EXAMPLES[i.ambiguity_type]) for i in items]
        generations = self.backend.generate(conversations, self.sampling) if items else []
        results: list[AmbiguousRequest | Rejection] = []
        for item, generation in zip(items, generations, strict=True):
            if generation.error:
                results.append(Rejection(BACKEND_FAILURE, generation.error))
                continue
            parsed = parse_completion(generation.text)
            if parsed is None:
                results.append(Rejection(UNREADABLE, generation.text[:500]))
                continue
            results.append(AmbiguousRequest(item.ambiguity_type, parsed[0], parsed[1], "llm"))
        return results
