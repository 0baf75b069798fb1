"""The ``rule`` generator: deterministic, offline ambiguous twins driven by the SQL parse.

App. C.1 prompts an LLM; this generator needs none. For each Spider example it knows, from
:mod:`act_bench_tasks.ambigsql.sql_shape` and ``tables.json``, what is selected, from which
table and how the rows are ordered, and rewrites the clear request accordingly:

* **presentation** (for a sorted list: ORDER BY without LIMIT): the phrase that asks for
  the order ("in descending order of age", ", sorted alphabetically", "from the oldest to
  the youngest") is removed, and the question asks how the results should be ordered. If
  the request has no such phrase that can be cut cleanly, one of the two other types is
  drawn instead, as App. C.1 does for queries without presentation to perturb.
* **information** (Table A13): the span of the request that names the selected columns
  ("name, country, age") becomes "details", and the question asks what the user wants to
  know about the table's rows (Table A15: "What specifically would you like to know about
  the singers? For example ...").
* **population** (Tables A12, A16): every mention of the table the request is about is
  replaced by a pronoun phrase ("Which professionals live ..." -> "Which ones live ...",
  "How many singers ..." -> "How many ..."), and the question asks which records are meant.

When the request cannot be rewritten (no mention found, an aggregate-only query for
information), a template written from the parse alone takes its place ("Tell me about the
singers.", "How many are there?"), as in Tables A15 and A16. Which template and question
wording is used is drawn with a random generator seeded by the build seed and the
example's key, so a build is reproducible and independent of processing order.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from act_bench_tasks.ambigsql.builder.naming import (
    Mention,
    column_mention,
    compound_column_mentions,
    mentions,
    natural_list,
    plural,
    table_name,
    table_variants,
)
from act_bench_tasks.ambigsql.builder.records import (
    AmbiguityType,
    AmbiguousRequest,
    GenerationInput,
    Rejection,
)
from act_bench_tasks.ambigsql.spider import SpiderSchema
from act_bench_tasks.ambigsql.sql_shape import QueryShape

# --- presentation ------------------------------------------------------------------------

_DIRECTION = (
    r"(?:descending|ascending|decreasing|increasing|alphabetical|alphabetic|"
    r"lexicographic(?:al)?|reverse(?:\s+alphabetical)?|numerical|chronological|"
    r"reverse\s+chronological|the)"
)
_EXTREME = (
    r"(?:most|least|highest|lowest|largest|smallest|biggest|oldest|youngest|newest|"
    r"latest|earliest|greatest|longest|shortest|best|worst|high|low|large|small|big|old|"
    r"young|new|recent|early|late|top|bottom|first|last|max\w*|min\w*|a|z)"
)
_CLAUSE_REST = r"[^,.?;!]*"
# Phrases that ask for an order, removed with the comma or connective before them.
_ORDER_PHRASES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"(?:sorted|ordered|ranked|arranged|sort|order|rank|arrange)\s+"
        r"(?:the\s+(?:results?|list|records)\s+|them\s+|it\s+)?"
        rf"(?:in|by|from|according\s+to|based\s+on|on)\b{_CLAUSE_REST}",
        rf"listed\s+(?:by|in|from)\b{_CLAUSE_REST}",
        r"(?:sorted|ordered|ranked|listed)\s+(?:descending|ascending|decreasing|increasing)(?:ly)?"
        rf"(?:\s+by\b{_CLAUSE_REST})?",
        r"(?:sort|order|rank|arrange)\s+(?:the\s+)?(?:results?|them|it)\s+"
        r"(?:descending|ascending)(?:ly)?",
        rf"(?:in|by|with)\s+(?:{_DIRECTION}\s+)*order(?:\s+(?:of|by|based\s+on)\b{_CLAUSE_REST})?",
        r"(?:(?:sorted|ordered|listed)\s+)?alphabetically",
        rf"(?:in\s+order\s+)?from\s+(?:the\s+)?{_EXTREME}\s+to\s+(?:the\s+)?\w+",
        r"(?:descending|ascending)(?:ly)?",
    )
]
_LEADING_GLUE = re.compile(r"(?:\s*,)?\s*(?:\band\s+|\bthen\s+|\bplease\s+|\bthat\s+are\s+)*$")
_ORDER_CUE = re.compile(
    r"\b(?:order(?:ed|ing)?|sort(?:ed|ing)?|descend\w*|ascend\w*|alphabetic\w*|"
    r"decreas\w*|increas\w*|reverse)\b",
    re.IGNORECASE,
)

PRESENTATION_QUESTIONS = (
    "How would you like the results to be ordered?",
    "Should the results be sorted in a particular order?",
    "Do you want the results sorted? If so, by what and in which direction?",
)
PRESENTATION_QUESTIONS_WITH_KEY = (
    "Should the results be sorted, for example by {key}? In which direction?",
    "Would you like the results ordered by {key}, and if so, ascending or descending?",
)

# --- information -------------------------------------------------------------------------

INFORMATION_QUESTIONS = (
    "What information about the {entities} would you like to see?",
    "Which details of the {entities} do you want to know?",
    "What specifically would you like to know about the {entities}? For example, their "
    "{first} or their {second}?",
)
INFORMATION_TEMPLATES = (
    "Tell me about the {entities}.",
    "I would like some information about the {entities}.",
    "Show me something about the {entities}.",
)
_MAX_COLUMN_SPAN = 80
_CATEGORY_BEFORE = re.compile(r"\b(?:which|what|each|every|per|different)\s+$", re.IGNORECASE)
_COORDINATED_BEFORE = re.compile(r"(?:\band|\bor|,)\s*$", re.IGNORECASE)
_COORDINATED_AFTER = re.compile(r"^\s*(?:and|or)\b", re.IGNORECASE)
_DETAILS_AGREEMENT = re.compile(r"\b(is)(\s+the\s+details)\b", re.IGNORECASE)

# --- population --------------------------------------------------------------------------

POPULATION_QUESTIONS = (
    "Could you please specify which table you are referring to?",
    "Which records are you asking about?",
    "Are you asking about the {first} or the {second}?",
    "Which ones do you mean, for example the {first} or the {second}?",
)
_FUNCTION_WORDS = (
    r"(?:of|in|for|with|by|from|to|on|at|and|or|who|whose|that|which|are|is|was|were|have|"
    r"has|had|do|does|did|not|than|as)"
)
_BEFORE_MENTION = re.compile(
    r"(?P<word>\b(?:how many|which|what|the|all(?: of)?(?: the)?|each|every|these|those|any|"
    rf"a|an)\s+)(?P<adjectives>(?:(?!{_FUNCTION_WORDS}\b)[a-z]+\s+){{0,2}})$",
    re.IGNORECASE,
)
_BARE_CONTEXT = re.compile(
    r"(?:^|\b(?:of|for|with|by|to|in|on|from|about|among|list|show|find|give|return|count|"
    r"display|tell|name|are|were)\s+)$",
    re.IGNORECASE,
)
_AFTER_SINGULAR = re.compile(
    r"^(?:\s*$|\s*[,.?!;:]|'s\b|\s+(?:who|that|which|whose|with|in|of|from|for|by|on|at|and|"
    r"or|has|had|is|was|does|did|named|called)\b)",
    re.IGNORECASE,
)
_QUANTIFIERS = re.compile(
    r"\b(?:most|fewest|least|more|fewer|many|few|number|total|average|maximum|minimum)\b",
    re.IGNORECASE,
)
AGGREGATE_WORDS = {"avg": "average", "max": "maximum", "min": "minimum", "sum": "total"}
_STAR_TEMPLATE = "List all the records."
UNPARSABLE_SQL = "unparsable_gold_sql"


class RuleGenerator:
    """Ambiguous twins from the parse and ``tables.json`` (see the module docstring)."""

    spec = "rule"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def generate(self, items: Sequence[GenerationInput]) -> list[AmbiguousRequest | Rejection]:
        """One request per item; a rejection when sqlglot could not parse the gold SQL."""
        return [self.generate_one(item) for item in items]

    def generate_one(self, item: GenerationInput) -> AmbiguousRequest | Rejection:
        if item.shape is None:
            return Rejection(UNPARSABLE_SQL, item.example.query)
        rng = random.Random(f"{self.seed}:{item.key}")
        kind = item.ambiguity_type
        if kind is AmbiguityType.PRESENTATION:
            presentation = _presentation(item, rng)
            if presentation is not None:
                return presentation
            kind = rng.choice([AmbiguityType.INFORMATION, AmbiguityType.POPULATION])
        if kind is AmbiguityType.INFORMATION:
            return _information(item, rng)
        return _population(item, rng)


def _entities(schema: SpiderSchema, shape: QueryShape) -> str:
    main = shape.main_table
    return plural(table_name(schema, main)) if main is not None else "records"


def _tidy(text: str, ending: str) -> str:
    """Whitespace and punctuation repaired after a cut, first letter capitalized."""
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.?;!])", r"\1", text)
    text = re.sub(r",\s*([.?;!])", r"\1", text)
    text = re.sub(r"([.?!;])\s*[,;]\s*", r"\1 ", text)
    text = re.sub(r"^\s*[,;.]\s*", "", text).strip()
    text = re.sub(r"(?:,|\band)$", "", text).strip()
    if text and text[-1] not in ".?!":
        text += ending
    return text[:1].upper() + text[1:]


def _ending(question: str) -> str:
    stripped = question.rstrip()
    return stripped[-1] if stripped and stripped[-1] in ".?!" else "."


# --- presentation ------------------------------------------------------------------------


def _without_order_phrases(question: str) -> str:
    text = question
    for pattern in _ORDER_PHRASES:
        while match := pattern.search(text):
            glue = _LEADING_GLUE.search(text[: match.start()])
            start = glue.start() if glue else match.start()
            text = f"{text[:start]} {text[match.end() :]}"
    sentences = re.split(r"(?<=[.?!])\s+", text)
    kept = [s for s in sentences if len(re.findall(r"[A-Za-z]+", s)) >= 2]
    return " ".join(kept)


def _presentation(item: GenerationInput, rng: random.Random) -> AmbiguousRequest | None:
    question = item.example.question
    remaining = _without_order_phrases(question)
    request = _tidy(remaining, _ending(question)) if remaining.strip() else ""
    if len(request.split()) < 3 or _ORDER_CUE.search(request) or request == question:
        return None
    keys = [k.column.name for k in item.shape.order if k.column is not None] if item.shape else []
    if keys and rng.random() < 0.5:
        clarifying = rng.choice(PRESENTATION_QUESTIONS_WITH_KEY).format(key=keys[0])
    else:
        clarifying = rng.choice(PRESENTATION_QUESTIONS)
    return AmbiguousRequest(AmbiguityType.PRESENTATION, request, clarifying, "edit")


# --- information -------------------------------------------------------------------------


def _information(item: GenerationInput, rng: random.Random) -> AmbiguousRequest:
    assert item.shape is not None
    entities = _entities(item.schema, item.shape)
    clarifying = _information_question(item, entities, rng)
    edited = _mask_columns(item)
    if edited is not None:
        return AmbiguousRequest(AmbiguityType.INFORMATION, edited, clarifying, "edit")
    request = rng.choice(INFORMATION_TEMPLATES).format(entities=entities)
    return AmbiguousRequest(AmbiguityType.INFORMATION, request, clarifying, "template")


def _information_question(item: GenerationInput, entities: str, rng: random.Random) -> str:
    assert item.shape is not None
    main = item.shape.main_table
    columns = [
        c.name
        for c in (item.schema.columns_of(main) if main is not None else ())
        if not c.name.lower().endswith(" id") and c.name.lower() != "id"
    ]
    templates = INFORMATION_QUESTIONS if len(columns) >= 2 else INFORMATION_QUESTIONS[:2]
    template = rng.choice(templates)
    first, second = rng.sample(columns, 2) if len(columns) >= 2 else ("", "")
    return template.format(entities=entities, first=first, second=second)


def _mask_columns(item: GenerationInput) -> str | None:
    """The request with the span naming the selected columns replaced by "details"."""
    assert item.shape is not None
    question = item.example.question
    if item.shape.only_aggregates or not item.shape.selected_columns:
        return None
    found = [column_mention(question, c) for c in item.shape.selected_columns]
    spans = [m for m in found if m is not None]
    if not spans:
        return None
    start, end = min(m.start for m in spans), max(m.end for m in spans)
    population = _population_mentions(item)
    if end - start > _MAX_COLUMN_SPAN or any(m.start < end and start < m.end for m in population):
        return None
    if _CATEGORY_BEFORE.search(question[:start]) or _COORDINATED_BEFORE.search(question[:start]):
        return None  # the column names a category ("Which authors ...") or a column is missed
    if _COORDINATED_AFTER.match(question[end:]):
        return None
    edited = f"{question[:start]}details{question[end:]}"
    edited = _DETAILS_AGREEMENT.sub(r"are\2", edited)
    edited = _tidy(edited, _ending(question))
    return edited if edited.lower() != question.lower() else None


# --- population --------------------------------------------------------------------------


def _population_mentions(item: GenerationInput) -> list[Mention]:
    """Uses of the main table's name, except inside a longer column name ("customer type code")."""
    assert item.shape is not None
    main = item.shape.main_table
    if main is None:
        return []
    question = item.example.question
    compounds = compound_column_mentions(question, item.schema)
    return [
        m
        for m in mentions(question, table_variants(item.schema, main))
        if not any(
            c.start <= m.start and m.end <= c.end and c.end - c.start > m.end - m.start
            for c in compounds
        )
    ]


def _replacement(before: str, after: str, mention: Mention) -> tuple[int, str] | None:
    """How far before a mention to cut, and the words that replace the cut and the mention.

    None where the mention is not the head of a noun phrase that a pronoun can replace: a
    singular name used as a modifier ("bank customers", "submission score"), a bare name
    in an unknown context, or one after a quantifier ("the most students").
    """
    if not mention.plural and not _AFTER_SINGULAR.match(after):
        return None
    match = _BEFORE_MENTION.search(before)
    if match is None:
        return (0, "them") if mention.plural and _BARE_CONTEXT.search(before) else None
    word = match.group("word").strip().lower()
    adjectives = match.group("adjectives")
    one = "ones" if mention.plural else "one"
    if adjectives:
        return None if _QUANTIFIERS.search(adjectives) else (0, one)
    if word == "how many":
        return 0, ""
    if word in ("each", "every"):
        return len(match.group("word")), "each of them" if word == "each" else "every one of them"
    if word.startswith("all"):
        return len(match.group("word")), "all of them"
    if word in ("a", "an"):
        return len(match.group("word")), "one"
    return 0, one


def _mask_population(item: GenerationInput) -> str | None:
    """The request with every mention of its table replaced, or None if one cannot be."""
    question = item.example.question
    found = _population_mentions(item)
    if not found:
        return None
    text = question
    for mention in reversed(found):
        replacement = _replacement(text[: mention.start], text[mention.end :], mention)
        if replacement is None:
            return None
        cut, words = replacement
        text = f"{text[: mention.start - cut]}{words}{text[mention.end :]}"
    text = re.sub(r"\b(them|it|ones?)'s\b", "their", text)
    edited = _tidy(text, _ending(question))
    return edited if edited.lower() != question.lower() else None


def _population_template(item: GenerationInput) -> str:
    assert item.shape is not None
    shape = item.shape
    if shape.only_aggregates and any(s.aggregate == "count" for s in shape.selected):
        return "How many are there?"
    columns = [c.name for c in shape.selected_columns] or [
        f"{AGGREGATE_WORDS.get(s.aggregate or '', s.aggregate)} {s.column.name}"
        for s in shape.selected
        if s.column is not None
    ]
    if not columns:
        return _STAR_TEMPLATE
    return f"Show me the {natural_list(columns)}."


def _population_question(item: GenerationInput, rng: random.Random) -> str:
    assert item.shape is not None
    main = item.shape.main_table
    others = [i for i in range(len(item.schema.table_names)) if i != main]
    template = rng.choice(
        POPULATION_QUESTIONS if main is not None and others else POPULATION_QUESTIONS[:2]
    )
    if "{first}" not in template:
        return template
    pair = [
        plural(table_name(item.schema, main)),
        plural(table_name(item.schema, rng.choice(others))),
    ]
    rng.shuffle(pair)
    return template.format(first=pair[0], second=pair[1])


def _population(item: GenerationInput, rng: random.Random) -> AmbiguousRequest:
    clarifying = _population_question(item, rng)
    edited = _mask_population(item)
    if edited is not None:
        return AmbiguousRequest(AmbiguityType.POPULATION, edited, clarifying, "edit")
    return AmbiguousRequest(
        AmbiguityType.POPULATION, _population_template(item), clarifying, "template"
    )
