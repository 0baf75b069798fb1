"""PACIFIC-style in-context examples for the LLM action classifier and user simulator,
read from ``fewshot.json`` in this folder (:mod:`act_bench.fewshot` describes the layout).

Written for act-bench: the companies, tables, passages and dialogues are made up (none is
taken from PACIFIC), but follow its shape: a financial table and report passages, follow-up
questions, answers as span lists (``['...']``) or derivations (``a - b = c``), and
clarifying questions such as "Which year are you asking about?" (App. G uses 10 classifier
examples, App. H three examples per simulator step). A grounding is ``{"table": [[cell,
...], ...], "paragraphs": [text, ...]}``, linearized as the task's prompts are, so the
examples look like the items.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from act_bench_tasks.pacific.prompt import linearize_grounding

from act_bench.classifiers.llm import ClassifierExample
from act_bench.fewshot import FEWSHOT_FILE, FewShotFile, load_fewshot
from act_bench.simulators.llm import SimulatorExamples
from act_bench.validation import JsonChecker

EXAMPLES_PATH = Path(__file__).parent / FEWSHOT_FILE


def _grounding(checker: JsonChecker, value: Any, record: str) -> str:
    grounding: Mapping[str, Any] = checker.mapping(value, record)
    table = checker.field(grounding, "table", list, record)
    for number, row in enumerate(table):
        if not isinstance(row, list) or not all(isinstance(cell, str) for cell in row):
            raise checker.error(f"table row {number} must be a list of strings", record, "table")
    paragraphs = checker.field(grounding, "paragraphs", list, record)
    if not all(isinstance(text, str) for text in paragraphs):
        raise checker.error("paragraphs must be strings", record, "paragraphs")
    return linearize_grounding(table, tuple(paragraphs))


@functools.cache
def examples_file(path: Path = EXAMPLES_PATH) -> FewShotFile:
    return load_fewshot(path, grounding=_grounding)


def classifier_examples() -> list[ClassifierExample]:
    """Ten examples for the few-shot action classifier (App. G), four clarifying, six answering."""
    return examples_file().classifier_examples()


def simulator_examples() -> SimulatorExamples:
    """Three examples per step of the LLM user simulator (App. H, Tables A23-A24)."""
    return examples_file().simulator_examples()
