"""Abg-CoQA-style in-context examples for the LLM action classifier and user simulator,
read from ``fewshot.json`` in this folder (:mod:`act_bench.fewshot` describes the layout).

Written for act-bench: the stories and dialogues are made up (none is taken from CoQA or
Abg-CoQA) but follow their shape: a short story, one or two earlier question-answer turns
with short span answers ("no", "the bakery"), and a request that can be read in more than
one way, resolved by a clarifying question such as "Do you mean before lunch?" (App. G
uses 10 classifier examples, Table A21; App. H three examples per simulator step, Tables
A25 and A26). A grounding is the story's text.

The intent examples end with a request in the form the loader gives each interpretation
(:func:`act_bench_tasks.abg_coqa.loader.interpretation_request`), written in the file as
``{"question", "clarifying_question", "clarification"}``: the question as asked plus the
user's answer to the recorded clarifying question, so the summarizer sees the items'
shape. The reply examples answer clarifying questions the data never asked, in the user's
words and true to the summarized intent.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from act_bench_tasks.abg_coqa.loader import interpretation_request
from act_bench_tasks.abg_coqa.prompt import story_grounding

from act_bench.classifiers.llm import ClassifierExample
from act_bench.fewshot import FEWSHOT_FILE, FewShotFile, load_fewshot
from act_bench.simulators.llm import SimulatorExamples
from act_bench.validation import JsonChecker

EXAMPLES_PATH = Path(__file__).parent / FEWSHOT_FILE


def _grounding(checker: JsonChecker, value: Any, record: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise checker.error("a grounding must be the story's text", record)
    return story_grounding(value)


def _interpretation(checker: JsonChecker, turn: Mapping[str, Any], record: str) -> str:
    return interpretation_request(
        checker.text(turn, "question", record),
        checker.text(turn, "clarifying_question", record),
        checker.text(turn, "clarification", record),
    )


@functools.cache
def examples_file(path: Path = EXAMPLES_PATH) -> FewShotFile:
    return load_fewshot(path, grounding=_grounding, turn=_interpretation)


def classifier_examples() -> list[ClassifierExample]:
    """Ten examples for the few-shot action classifier (App. G), four clarifying, six answering."""
    return examples_file().classifier_examples()


def simulator_examples() -> SimulatorExamples:
    """Three examples per step of the LLM user simulator (App. H, Tables A25-A26), with
    Table A26's opening (the conversation is about the story that follows)."""
    return examples_file().simulator_examples()
