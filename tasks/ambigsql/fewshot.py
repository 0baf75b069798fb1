"""AmbigSQL in-context examples for the LLM action classifier (App. G, Table A22) and the
LLM user simulator (App. H, Table A27), read from ``fewshot.json`` in this folder
(:mod:`act_bench.fewshot` describes the layout).

Written for act-bench over the bundled sample's schemas (``sample/spider``: made-up ferries,
libraries and orchards), not taken from Spider or the paper. A grounding is ``{"database":
db_id}``, one of the sample's databases, linearized as the task's prompts are. Classifier
examples show the schema, the user's request(s) and the last Assistant utterance: SQL,
plain or fenced, is a direct answer; a question about what the user wants is a clarifying
question. Simulator examples (``simulator.sql_reply``: ``target_sql``, ``dialogue``,
``reply``) show the target SQL, the dialogue up to the Assistant's clarifying question, and
the user's reply: a rephrased request that reflects the target query.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from act_bench_tasks.ambigsql.bundled import SAMPLE_SPIDER_DIR
from act_bench_tasks.ambigsql.prompt import linearize_schema
from act_bench_tasks.ambigsql.simulator import SQLReplyExample
from act_bench_tasks.ambigsql.spider import read_schemas

from act_bench.classifiers.llm import ClassifierExample
from act_bench.fewshot import FEWSHOT_FILE, FewShotFile, load_fewshot
from act_bench.validation import JsonChecker

EXAMPLES_PATH = Path(__file__).parent / FEWSHOT_FILE


@functools.cache
def sample_grounding(db_id: str) -> str:
    """The linearized schema of one of the sample's databases."""
    return linearize_schema(read_schemas(SAMPLE_SPIDER_DIR / "tables.json")[db_id])


def _grounding(checker: JsonChecker, value: Any, record: str) -> str:
    db_id = checker.text(checker.mapping(value, record), "database", record)
    known = read_schemas(SAMPLE_SPIDER_DIR / "tables.json")
    if db_id not in known:
        raise checker.error(
            f"no database {db_id!r} in the bundled sample; known: {', '.join(sorted(known))}",
            record,
            "database",
        )
    return sample_grounding(db_id)


@functools.cache
def examples_file(path: Path = EXAMPLES_PATH) -> FewShotFile:
    return load_fewshot(path, grounding=_grounding)


def classifier_examples() -> list[ClassifierExample]:
    """Ten examples (App. G): four clarifying questions, six SQL answers."""
    return examples_file().classifier_examples()


def simulator_examples() -> tuple[SQLReplyExample, ...]:
    """Three examples of the SQL-conditioned user simulator (App. H, Table A27)."""
    examples = examples_file()
    return tuple(
        SQLReplyExample(
            examples.text(item, "target_sql", record),
            examples.dialogue(item, "dialogue", record),
            examples.text(item, "reply", record),
        )
        for record, item in examples.records("simulator.sql_reply")
    )
