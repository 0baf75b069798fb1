"""PACIFIC-style in-context examples for the LLM action classifier and user simulator.

Written for act-bench: the companies, tables, passages and dialogues are made up (none is
taken from PACIFIC), but follow its shape: a financial table and report passages, follow-up
questions, answers as span lists (``['...']``) or derivations (``a - b = c``), and
clarifying questions such as "Which year are you asking about?" (App. G uses 10 classifier
examples, App. H three examples per simulator step).
"""

from __future__ import annotations

from act_bench_tasks.pacific.prompt import linearize_grounding

from act_bench.classifiers.llm import ClassifierExample
from act_bench.simulators.llm import IntentExample, ReplyExample, SimulatorExamples
from act_bench.types import Action, Message, Prompt, Role


def _grounding(table: list[list[str]], *paragraphs: str) -> str:
    """Linearized as the task's prompts are, so the examples look like the items."""
    return linearize_grounding(table, paragraphs)


def _dialogue(*turns: str) -> tuple[Message, ...]:
    """Alternating User / Assistant messages, starting with the User."""
    roles = (Role.USER, Role.ASSISTANT)
    return tuple(Message(roles[i % 2], text) for i, text in enumerate(turns))


def _prompt(grounding: str, *turns: str) -> Prompt:
    """A prompt from alternating turns; the last one is the User's current request."""
    return Prompt(grounding=grounding, history=_dialogue(*turns[:-1]), request=turns[-1])


HARBOURLINE = _grounding(
    [
        ["", "2021", "2020"],
        ["", "$'000", "$'000"],
        ["Freight revenue", "48,310", "41,962"],
        ["Warehousing revenue", "12,074", "11,380"],
        ["Total revenue", "60,384", "53,342"],
        ["Fuel costs", "(9,512)", "(7,208)"],
    ],
    "Harbourline Logistics Ltd operates coastal freight routes and bonded warehouses in "
    "three ports. Freight revenue grew as two new vessels entered service in March 2021.",
)
QUILLMARK = _grounding(
    [
        ["Segment", "Subscriptions", "Services"],
        ["Americas", "22.4", "6.1"],
        ["Europe", "15.9", "4.8"],
        ["Asia Pacific", "7.3", "2.2"],
    ],
    "Quillmark Software Inc. reports revenue in millions of dollars for fiscal year 2022. "
    "Subscriptions are billed annually in advance; services are billed as delivered.",
)
VERIDIAN = _grounding(
    [
        ["", "Fair value", "Carrying amount"],
        ["Interest rate swaps", "1,204", "1,180"],
        ["Forward contracts", "388", "402"],
        ["Total derivatives", "1,592", "1,582"],
    ],
    "Veridian Foods plc uses interest rate swaps to hedge its floating rate borrowings and "
    "forward contracts to hedge purchases of cocoa and sugar denominated in US dollars.",
)
NORTHGATE = _grounding(
    [
        ["", "2020", "2019", "2018"],
        ["Ore milled (kt)", "3,420", "3,155", "2,980"],
        ["Gold produced (koz)", "211", "198", "187"],
        ["All-in sustaining cost ($/oz)", "1,012", "1,047", "1,090"],
    ],
    "Northgate Mining Corporation operates two open-pit mines. Throughput improved after "
    "the crusher upgrade completed in the second quarter of 2019.",
)


def classifier_examples() -> list[ClassifierExample]:
    """Ten examples for the few-shot action classifier (App. G), four clarifying, six answering."""
    return [
        ClassifierExample(
            _prompt(HARBOURLINE, "What was the freight revenue?"),
            "['Which year are you asking about?']",
            Action.CLARIFY,
        ),
        ClassifierExample(
            _prompt(
                HARBOURLINE,
                "What was the freight revenue?",
                "['Which year are you asking about?']",
                "2021",
            ),
            "['48,310']",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(
                HARBOURLINE,
                "What was the total revenue in 2021?",
                "['60,384']",
                "What was the change in total revenue between 2020 and 2021?",
            ),
            "60,384 - 53,342 = 7042",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(HARBOURLINE, "Why did freight revenue grow?"),
            "['two new vessels entered service in March 2021']",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(QUILLMARK, "What was the revenue in Europe?"),
            "What kind of revenue are you asking about?",
            Action.CLARIFY,
        ),
        ClassifierExample(
            _prompt(
                QUILLMARK,
                "How are subscriptions billed?",
                "['annually in advance']",
                "Which regions had subscription revenue above 10 million?",
            ),
            "['Americas', 'Europe']",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(VERIDIAN, "What is the amount of interest rate swaps?"),
            "['Do you mean the fair value or the carrying amount?']",
            Action.CLARIFY,
        ),
        ClassifierExample(
            _prompt(
                VERIDIAN,
                "What does the company hedge with forward contracts?",
                "['purchases of cocoa and sugar denominated in US dollars']",
                "What is the fair value of forward contracts as a percentage of total derivatives?",
            ),
            "388 / 1,592 = 24.37",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(
                NORTHGATE,
                "How many ounces of gold were produced in 2020?",
                "['211']",
                "What was the all-in sustaining cost?",
            ),
            "Which year are you asking about?",
            Action.CLARIFY,
        ),
        ClassifierExample(
            _prompt(
                NORTHGATE,
                "What was the all-in sustaining cost?",
                "Which year are you asking about?",
                "2019",
            ),
            "['1,047']",
            Action.ANSWER,
        ),
    ]


_HARBOURLINE_SUMMARY = (
    "The user wants to know: 1. Why freight revenue grew, 2. What the warehousing revenue "
    "was in 2021, and 3. What the change in fuel costs was between 2020 and 2021."
)
_QUILLMARK_SUMMARY = (
    "The user wants to know: 1. How subscriptions are billed, and 2. What the services "
    "revenue in Asia Pacific was."
)
_NORTHGATE_SUMMARY = (
    "The user wants to know: 1. How much gold was produced in 2020, 2. What the ore milled "
    "was in 2018, and 3. What the average all-in sustaining cost was across 2018 to 2020."
)


def simulator_examples() -> SimulatorExamples:
    """Three examples per step of the LLM user simulator (App. H, Tables A23-A24)."""
    intent = (
        IntentExample(
            HARBOURLINE,
            _dialogue(
                "Why did freight revenue grow?",
                "['two new vessels entered service in March 2021']",
                "What was the warehousing revenue in 2021?",
                "['12,074']",
                "What was the change in fuel costs between 2020 and 2021?",
            ),
            _HARBOURLINE_SUMMARY,
        ),
        IntentExample(
            QUILLMARK,
            _dialogue(
                "How are subscriptions billed?",
                "['annually in advance']",
                "What was the services revenue in Asia Pacific?",
            ),
            _QUILLMARK_SUMMARY,
        ),
        IntentExample(
            NORTHGATE,
            _dialogue(
                "How much gold was produced in 2020?",
                "['211']",
                "What was the ore milled in 2018?",
                "['2,980']",
                "What was the average all-in sustaining cost from 2018 to 2020?",
            ),
            _NORTHGATE_SUMMARY,
        ),
    )
    reply = (
        ReplyExample(
            _HARBOURLINE_SUMMARY,
            HARBOURLINE,
            _dialogue(
                "Why did freight revenue grow?",
                "['two new vessels entered service in March 2021']",
                "What was the warehousing revenue?",
                "['Which year are you asking about?']",
            ),
            "2021",
        ),
        ReplyExample(
            _QUILLMARK_SUMMARY,
            QUILLMARK,
            _dialogue(
                "How are subscriptions billed?",
                "['annually in advance']",
                "What was the revenue in Asia Pacific?",
                "What kind of revenue are you asking about?",
            ),
            "The services revenue.",
        ),
        ReplyExample(
            _NORTHGATE_SUMMARY,
            NORTHGATE,
            _dialogue(
                "How much gold was produced in 2020?",
                "['211']",
                "What was the ore milled?",
                "Which year are you asking about?",
            ),
            "2018",
        ),
    )
    return SimulatorExamples(intent=intent, reply=reply)
