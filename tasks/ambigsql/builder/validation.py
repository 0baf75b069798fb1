"""Checks every generated pair must pass before it enters the dataset (App. C.1).

A pair is kept only if its fields are non-empty, the ambiguous request differs from the
clear one (compared without case, punctuation and extra spaces), and the clarifying
question is a question: the ``heuristic`` action classifier, the default classifier of
evaluation, labels it CLARIFY. Otherwise the reason is returned and the builder counts the
reject and writes it to ``rejects.jsonl``; nothing is dropped silently.
"""

from __future__ import annotations

import re

from act_bench_tasks.ambigsql.builder.records import AmbiguousRequest

from act_bench.classifiers.heuristic import decide
from act_bench.types import Action

EMPTY_REQUEST = "empty_ambiguous_request"
EMPTY_QUESTION = "empty_clarifying_question"
SAME_AS_CLEAR = "same_as_clear_request"
NOT_A_QUESTION = "clarifying_question_not_a_question"
MULTI_LINE = "multi_line_field"


def _normalized(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def rejection_reason(clear_request: str, generated: AmbiguousRequest) -> str | None:
    """Why the pair fails validation, or None when it passes."""
    request = generated.request.strip()
    question = generated.clarifying_question.strip()
    if not request:
        return EMPTY_REQUEST
    if not question:
        return EMPTY_QUESTION
    if "\n" in request or "\n" in question:
        return MULTI_LINE
    if _normalized(request) == _normalized(clear_request):
        return SAME_AS_CLEAR
    if decide(question).action is not Action.CLARIFY:
        return NOT_A_QUESTION
    return None
