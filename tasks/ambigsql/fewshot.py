"""AmbigSQL in-context examples for the LLM action classifier (App. G, Table A22) and the
LLM user simulator (App. H, Table A27).

Written for act-bench over the bundled sample's schemas (``sample/spider``: made-up ferries,
libraries and orchards), not taken from Spider or the paper. Classifier examples show the
schema, the user's request(s) and the last Assistant utterance: SQL, plain or fenced, is a
direct answer; a question about what the user wants is a clarifying question. Simulator
examples show the target SQL, the dialogue up to the Assistant's clarifying question, and
the user's reply: a rephrased request that reflects the target query.
"""

from __future__ import annotations

import functools

from act_bench_tasks.ambigsql.bundled import SAMPLE_SPIDER_DIR
from act_bench_tasks.ambigsql.prompt import linearize_schema
from act_bench_tasks.ambigsql.simulator import SQLReplyExample
from act_bench_tasks.ambigsql.spider import read_schemas

from act_bench.classifiers.llm import ClassifierExample
from act_bench.types import Action, Message, Prompt, Role


@functools.cache
def sample_grounding(db_id: str) -> str:
    """The linearized schema of one of the sample's databases."""
    return linearize_schema(read_schemas(SAMPLE_SPIDER_DIR / "tables.json")[db_id])


def _dialogue(*turns: str) -> tuple[Message, ...]:
    roles = (Role.USER, Role.ASSISTANT)
    return tuple(Message(roles[i % 2], text) for i, text in enumerate(turns))


def _prompt(db_id: str, *turns: str) -> Prompt:
    """A prompt from alternating turns; the last one is the User's current request."""
    return Prompt(sample_grounding(db_id), _dialogue(*turns[:-1]), turns[-1])


FERRIES, LIBRARY, ORCHARD = "harbour_ferries", "city_library", "orchard_coop"


def classifier_examples() -> list[ClassifierExample]:
    """Ten examples (App. G): four clarifying questions, six SQL answers."""
    return [
        ClassifierExample(
            _prompt(FERRIES, "Which ones were built after 2000?"),
            "Are you asking about the ferries or the ports?",
            Action.CLARIFY,
        ),
        ClassifierExample(
            _prompt(
                FERRIES,
                "Which ones were built after 2000?",
                "Are you asking about the ferries or the ports?",
                "Which ferries were built after 2000? List their names.",
            ),
            "SELECT Name FROM ferry WHERE Built_Year  >  2000",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(FERRIES, "How many ferries are there?"),
            "```sql\nSELECT count(*) FROM ferry\n```",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(LIBRARY, "Tell me about the books."),
            "What would you like to know about the books? For example their titles, their "
            "authors or how many there are?",
            Action.CLARIFY,
        ),
        ClassifierExample(
            _prompt(LIBRARY, "What are the titles of the books written by Tomas Reyes?"),
            "Here is the query: SELECT Title FROM book WHERE Author  =  'Tomas Reyes'",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(LIBRARY, "List the titles of all books."),
            "Should the titles be sorted in a particular order, for example by published year?",
            Action.CLARIFY,
        ),
        ClassifierExample(
            _prompt(
                LIBRARY,
                "List the titles of all books.",
                "Should the titles be sorted in a particular order, for example by published year?",
                "List the titles of all books from the newest to the oldest.",
            ),
            "SELECT Title FROM book ORDER BY Published_Year DESC",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(ORCHARD, "What is the average for each fruit?"),
            "Could you specify what you want averaged: the hectares of the orchards, or the "
            "tonnes harvested?",
            Action.CLARIFY,
        ),
        ClassifierExample(
            _prompt(ORCHARD, "Show the name of each grower and the village they live in."),
            "SELECT Name ,  Village FROM grower",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(ORCHARD, "What was the highest price per tonne in the 2023 season?"),
            "SELECT max(Price_Per_Tonne) FROM harvest WHERE Season  =  2023. This returns the "
            "highest price paid per tonne in 2023.",
            Action.ANSWER,
        ),
    ]


def simulator_examples() -> tuple[SQLReplyExample, ...]:
    """Three examples of the SQL-conditioned user simulator (App. H, Table A27)."""
    return (
        SQLReplyExample(
            "SELECT Town FROM port WHERE Name  =  'Skerry Point'",
            _dialogue(
                "what is the town?",
                "Are you asking for the towns of all the ports in the database?",
            ),
            "I'm looking for the town of the port called 'Skerry Point'.",
        ),
        SQLReplyExample(
            "SELECT Title ,  Pages FROM book ORDER BY Pages DESC",
            _dialogue(
                "Show the titles and page counts of the books.",
                "How would you like the results to be ordered?",
            ),
            "Show the titles and page counts of the books, from the longest to the shortest.",
        ),
        SQLReplyExample(
            "SELECT count(*) FROM orchard WHERE Fruit  =  'apple'",
            _dialogue(
                "How many are apple?",
                "Could you please specify which table you are referring to?",
            ),
            "How many orchards grow apples?",
        ),
    )
