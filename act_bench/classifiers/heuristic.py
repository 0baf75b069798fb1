"""A deterministic action classifier: CLARIFY or ANSWER from the response text alone.

The paper's A is a few-shot LLM (App. G, :mod:`act_bench.classifiers.llm`); this one needs
no model, so it is the default for evaluation and the fallback when an LLM's verdict cannot
be parsed. Recognising whether an utterance asks or answers is much easier than deciding
whether a request is ambiguous (App. G), and surface rules do it well on the responses the
tasks produce. The prompt is not consulted: the rules look at the response only.

The text is first normalised:

* a leading role label (``Assistant:``) and surrounding code fences or quotes are removed;
* a list repr such as ``['Which year are you asking about?']`` or ``['$5.1 million',
  '$0.6 million']`` (the format of PACIFIC's gold responses, App. E Table A17) is unwrapped
  into its elements, one per line; curly quotes (``[‘...’]``) are accepted too.

Then the first rule that fires decides (its name is what :func:`decide` reports):

1. ``empty``: nothing left after normalisation -> ANSWER (no question was asked).
2. ``sql``: the text is a SQL query (``SELECT ... FROM`` or ``WITH name AS (``) -> ANSWER,
   the answer action of text-to-SQL tasks (App. G Table A22).
3. ``derivation``: an arithmetic derivation ``x op y = z`` (``0.6/5.1 = 11.76``, PACIFIC's
   arithmetic answers) and the text does not end with a question mark -> ANSWER.
4. ``numeric``: every line is a number, possibly with a currency sign, sign, parentheses,
   percent sign or scale word (``$1,382,957``, ``(39,145)``, ``-12.6 million``) -> ANSWER.
5. Courtesy offers that follow other content (``Let me know if ...``, ``Would you like me
   to ...?``, ``Is there anything else ...?``) are dropped before the remaining rules: a
   response that answers and then offers more help is an answer, not a clarification.
6. ``clarification_phrase``: a phrase that asks the user to disambiguate, anywhere in the
   text: ``are you asking/referring/talking about``, ``do/did you mean``, ``could/can you
   clarify/specify``, ``please clarify/specify``, ``which ... do you mean/want`` ... -> CLARIFY.
7. ``final_question``: the last sentence ends with a question mark -> CLARIFY.
8. ``question_to_user``: an earlier sentence is a question addressed to the user (it ends
   with ``?`` and says "you"/"your"), as in "Which year do you mean? For 2019 it is ..."
   -> CLARIFY. A restated question without "you" ("What was revenue in 2019? It was $5m.")
   does not fire.
9. ``interrogative_opening``: the first sentence opens like a question to the user (``Which``,
   ``Whose``, ``What kind/type/sort of``, ``Do/Did/Are/Could/Can/Would you``, ``Is it`` ...)
   even without a question mark, which small models often drop -> CLARIFY.
10. ``default``: anything else -> ANSWER (a span, a sentence, a list of values).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass

from act_bench.classifiers.base import ClassificationInput
from act_bench.types import Action


@dataclass(frozen=True, slots=True)
class HeuristicDecision:
    """The action and the name of the rule that decided it (see the module docstring)."""

    action: Action
    rule: str


_ROLE_LABEL = re.compile(r"^\s*(?:\[?assistant\]?|system)\s*:\s*", re.IGNORECASE)
_CODE_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
_OPEN_QUOTES = "'\"‘“"
_CLOSE_QUOTES = "'\"’”"
_CURLY_LIST = re.compile(r"^\[\s*[‘'\"“](?P<body>.*)[’'\"”]\s*\]$", re.DOTALL)
_CURLY_SEPARATOR = re.compile(r"[’'\"”]\s*,\s*[‘'\"“]")

_SQL = re.compile(
    r"^(?:select\b[\s\S]*\bfrom\b|with\s+\w+(?:\s*\([^)]*\))?\s+as\s*\()", re.IGNORECASE
)
_NUMBER = r"[-−+]?[$€£¥]?\(?[-−]?[$€£¥]?\s?\d[\d,]*(?:\.\d+)?\)?%?"
_OPERATION = re.compile(rf"{_NUMBER}\s*[-−+*/×÷x]\s*\(?[-−]?[$€£¥]?\d")
_RESULT = re.compile(r"=\s*[-−]?\(?[$€£¥]?\s?\d")
_NUMERIC_TOKEN = re.compile(
    rf"^(?:{_NUMBER}(?:[kmb]n?|bn|mn|x)?|[$€£¥%/-]|and|to|percent|thousands?|millions?|"
    r"billions?|trillions?|usd|us\$|eur|gbp)$",
    re.IGNORECASE,
)

_COURTESY = re.compile(
    r"^(?:let me know\b|please let me know if\b|is there anything else\b|anything else\b|"
    r"would you like me to\b|do you want me to\b|shall i\b|should i (?:also|go on)\b|"
    r"i hope (?:this|that) helps\b|hope (?:this|that) helps\b|feel free to\b)",
    re.IGNORECASE,
)
_CLARIFICATION_PHRASE = re.compile(
    r"\bare you (?:asking|referring|talking|inquiring|interested in)\b"
    r"|\b(?:do|did) you (?:mean|want to know|refer|have in mind)\b"
    r"|\b(?:could|can|would|will) you (?:please )?(?:clarify|specify|confirm|tell me which|"
    r"let me know which|be more specific)\b"
    r"|\bplease (?:clarify|specify|confirm which|indicate which|tell me which)\b"
    r"|\bwhich (?:one|of (?:these|them|the following))\b[^.?!]*\?"
    r"|\bwhich\b[^.?!]*\b(?:do you|are you|did you|you (?:mean|want|are))\b"
    r"|\bi(?:'m| am) not sure (?:which|what) you\b",
    re.IGNORECASE,
)
_INTERROGATIVE_OPENING = re.compile(
    r"^(?:which|whose|what (?:kind|type|sort|period|year|part|aspect)\b|"
    r"(?:do|did|are|were|could|can|would|will) you\b|is it\b|is that\b|is this\b|"
    r"should i\b|shall i\b)",
    re.IGNORECASE,
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"'’”)\]]*\s+|\n+")
_SECOND_PERSON = re.compile(r"\byou(?:r|rs)?\b", re.IGNORECASE)


def normalise(response: str) -> str:
    """The response with role label, fences and list-repr wrapping removed (see above)."""
    text = _ROLE_LABEL.sub("", response.strip())
    text = _CODE_FENCE.sub("", text).strip()
    elements = _list_elements(text)
    if elements is not None:
        text = "\n".join(e.strip() for e in elements if e.strip())
    if len(text) >= 2 and text[0] in _OPEN_QUOTES and text[-1] in _CLOSE_QUOTES:
        text = text[1:-1].strip()
    return text


def _list_elements(text: str) -> list[str] | None:
    if not (text.startswith("[") and text.endswith("]")):
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        match = _CURLY_LIST.match(text)
        return _CURLY_SEPARATOR.split(match.group("body")) if match else None
    if isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    return None


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_BREAK.split(text) if s.strip()]


def _ends_with_question(sentence: str) -> bool:
    return sentence.rstrip(_CLOSE_QUOTES + ")] ").endswith("?")


def _is_derivation(text: str) -> bool:
    return bool(_OPERATION.search(text) and _RESULT.search(text)) and not _ends_with_question(text)


def _is_numeric(line: str) -> bool:
    """Every whitespace-separated token is a number, a scale word or a connective."""
    tokens = [t.strip(",;:") for t in line.rstrip(".").split()]
    return all(_NUMERIC_TOKEN.match(t) for t in tokens if t)


def _drop_courtesy(parts: list[str]) -> list[str]:
    """Drop trailing courtesy offers, keeping at least one sentence."""
    while len(parts) > 1 and _COURTESY.match(parts[-1]):
        parts = parts[:-1]
    return parts


def decide(response: str) -> HeuristicDecision:
    """The action of ``response`` and the rule that decided it (module docstring)."""
    text = normalise(response)
    if not text:
        return HeuristicDecision(Action.ANSWER, "empty")
    if _SQL.match(text):
        return HeuristicDecision(Action.ANSWER, "sql")
    if _is_derivation(text):
        return HeuristicDecision(Action.ANSWER, "derivation")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if all(_is_numeric(line) for line in lines):
        return HeuristicDecision(Action.ANSWER, "numeric")
    parts = _drop_courtesy(sentences(text))
    kept = " ".join(parts)
    if _CLARIFICATION_PHRASE.search(kept):
        return HeuristicDecision(Action.CLARIFY, "clarification_phrase")
    if _ends_with_question(parts[-1]):
        return HeuristicDecision(Action.CLARIFY, "final_question")
    if any(_ends_with_question(s) and _SECOND_PERSON.search(s) for s in parts[:-1]):
        return HeuristicDecision(Action.CLARIFY, "question_to_user")
    if _INTERROGATIVE_OPENING.match(parts[0]):
        return HeuristicDecision(Action.CLARIFY, "interrogative_opening")
    return HeuristicDecision(Action.ANSWER, "default")


class HeuristicClassifier:
    """The ``heuristic`` action classifier: :func:`decide` on each response."""

    spec = "heuristic"

    def classify(self, items: Sequence[ClassificationInput]) -> list[Action]:
        return [decide(item.response).action for item in items]

    def explain(self, response: str) -> HeuristicDecision:
        """Which action and which rule, for debugging and the agreement benchmark."""
        return decide(response)
