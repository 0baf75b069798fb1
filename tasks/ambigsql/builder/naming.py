"""Natural names of tables and columns, and where a request mentions them.

``tables.json`` gives every table and column a natural name ("singer in concert", "song
release year"). A request may use it in the singular or the plural, or the original name
with its underscores as spaces; :func:`mentions` finds each such use as a whole word.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from act_bench_tasks.ambigsql.spider import SpiderColumn, SpiderSchema

_SIBILANT_ENDINGS = ("s", "x", "z", "ch", "sh")
_VOWELS = "aeiou"
_IRREGULAR_PLURALS = {
    "person": "people",
    "man": "men",
    "woman": "women",
    "child": "children",
    "staff": "staff",
    "people": "people",
    "information": "information",
    "equipment": "equipment",
    "series": "series",
    "species": "species",
    "data": "data",
}
_IRREGULAR_SINGULARS = {p: s for s, p in _IRREGULAR_PLURALS.items() if s != p}


_PREPOSITIONS = frozenset({"in", "of", "on", "for", "by", "at", "with"})


def plural(noun: str) -> str:
    """The plural of an English noun phrase by the regular rules: of its last word, or of
    the word before a preposition ("singer in concert" -> "singers in concert")."""
    words = noun.split()
    if not words:
        return noun
    head = next((i - 1 for i, w in enumerate(words) if i > 0 and w.lower() in _PREPOSITIONS), None)
    if head is not None:
        return " ".join([*words[:head], plural(words[head]), *words[head + 1 :]])
    last = words[-1]
    lowered = last.lower()
    if lowered in _IRREGULAR_PLURALS:
        inflected = _IRREGULAR_PLURALS[lowered]
    elif lowered.endswith("s") and not lowered.endswith(("ss", "us")):
        inflected = last  # already plural ("professionals", "apartments")
    elif lowered.endswith(_SIBILANT_ENDINGS):
        inflected = last + "es"
    elif lowered.endswith("y") and len(lowered) > 1 and lowered[-2] not in _VOWELS:
        inflected = last[:-1] + "ies"
    else:
        inflected = last + "s"
    return " ".join([*words[:-1], inflected])


def singular(noun: str) -> str:
    """The singular of a regular English plural (its last word); other words unchanged."""
    words = noun.split()
    if not words:
        return noun
    last = words[-1]
    lowered = last.lower()
    if lowered in _IRREGULAR_SINGULARS or lowered in _IRREGULAR_PLURALS:
        inflected = _IRREGULAR_SINGULARS.get(lowered, lowered)
    elif lowered.endswith("ies") and len(lowered) > 4:
        inflected = last[:-3] + "y"
    elif lowered.endswith(("ches", "shes", "xes", "sses")):
        inflected = last[:-2]
    elif lowered.endswith("s") and not lowered.endswith(("ss", "us", "is")):
        inflected = last[:-1]
    else:
        inflected = last
    return " ".join([*words[:-1], inflected])


def _spaced(original: str) -> str:
    return " ".join(original.replace("_", " ").split())


def table_name(schema: SpiderSchema, index: int) -> str:
    return schema.table_names[index]


def table_variants(schema: SpiderSchema, index: int) -> list[str]:
    """Ways a request may name a table: natural and original name, singular and plural."""
    names = {schema.table_names[index].lower(), _spaced(schema.table_names_original[index]).lower()}
    return _inflections(names)


def column_variants(column: SpiderColumn) -> list[str]:
    """Ways a request may name a column, longest first; a name of three or more words also
    by its last two ("song release year" as "release year")."""
    names = {column.name.lower(), _spaced(column.original).lower()}
    for name in list(names):
        words = name.split()
        if len(words) >= 3:
            names.add(" ".join(words[-2:]))
    return _inflections(n for n in names if n and n not in _GENERIC_WORDS)


# Column-name tails too generic to stand for a column on their own.
_GENERIC_WORDS = frozenset({"id", "name", "code", "number", "type", "details", "date"})


def _inflections(names: Iterable[str]) -> list[str]:
    variants = set()
    for name in names:
        variants.update({name, plural(name), singular(name)})
    return sorted((v for v in variants if v), key=lambda v: (-len(v), v))


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    text: str

    @property
    def plural(self) -> bool:
        return singular(self.text.lower()) != self.text.lower()


@functools.lru_cache(maxsize=65_536)
def _word_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", re.IGNORECASE)


def mentions(text: str, variants: Iterable[str]) -> list[Mention]:
    """Non-overlapping whole-word uses of any variant, left to right (longest variant wins)."""
    found: list[Mention] = []
    for variant in variants:
        for match in _word_pattern(variant).finditer(text):
            if not any(m.start < match.end() and match.start() < m.end for m in found):
                found.append(Mention(match.start(), match.end(), match.group()))
    return sorted(found, key=lambda m: m.start)


def compound_column_mentions(text: str, schema: SpiderSchema) -> list[Mention]:
    """Uses of multi-word column names ("customer type code", "county name")."""
    names = {c.name.lower() for c in schema.columns if len(c.name.split()) > 1}
    return mentions(text, _inflections(names))


def column_mention(text: str, column: SpiderColumn) -> Mention | None:
    """The first use of a column's name in ``text``; a generic name ("name") counts as
    itself, but never as the tail of a longer name."""
    exact = mentions(text, _inflections({column.name.lower(), _spaced(column.original).lower()}))
    if exact:
        return exact[0]
    tails = mentions(text, column_variants(column))
    return tails[0] if tails else None


def natural_list(items: list[str]) -> str:
    """Items joined as English lists them: a; a and b; a, b and c."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
