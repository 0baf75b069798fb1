"""DROP F1 as PACIFIC's official evaluator computes it (§4.1.1; App. D).

PACIFIC (Deng et al., 2022) scores answers with the TAT-QA variant of DROP's F1
(Dua et al., 2019): ``TaTQAEmAndF1`` in ``UniPCQA/tatqa_metric.py``, with the number
rules of ``UniPCQA/tatqa_utils.py`` (github.com/dengyang17/PACIFIC). The ACT authors
score free-text responses with a copy of its ``get_metrics`` (google-research,
``learning_to_clarify/act/src/act/metrics/pacific_metrics.py``). This module is our own
implementation of those rules; each function names the official one it follows.

Scoring one item (:func:`drop_f1`):

1. Each side becomes a list of answer spans. Text is read by :func:`parse_prediction`
   (the ACT response format: a Python list of spans, or a one-line
   ``derivation = answer``); a number becomes one span, as ``extract_gold_answers`` does for
   arithmetic answers.
2. Each span is rendered in a scale (``get_answer_str``): a span that is a number
   becomes its value, rounded to 2 decimals, times the scale's multiplier, written with
   4 decimals (a span with ``%`` is already a fraction and keeps its own value); any
   other span gets the scale word appended. The spans of one side are sorted and joined
   into one string, so a multi-span answer is scored as one bag of tokens, as PACIFIC's
   evaluator does (the ACT authors' scoring of the raw response text amounts to the same).
   Gold spans are rendered in the question's scale; free-text predictions, which state no
   separate scale, in each scale they can mean (``_prediction_readings``).
3. The gold string and each reading of the prediction are normalized into token bags
   (``normalize_answer``) and compared with the bag F1 of :func:`drop_bag_f1`
   (``get_metrics``), rounded to 2 decimals; the best reading counts
   (``metric_max_over_ground_truths``).
4. For arithmetic and count answers the score is the exact match (``TaTQAEmAndF1``).

Where the official code has a plain bug we follow its evident intent and say so:
parenthesized negatives with thousands separators, ``"(39,145)"``, are negative (its
regex omits the comma); a scale word after a closing parenthesis, ``"$(9.8) million"``,
counts (it looks for the word in the raw text); ``".5"`` reads as 0.5 and ``"inf"`` is
not a number (it turns both into the token ``"None"``).
"""

from __future__ import annotations

import ast
import math
import numbers
import re
import string
from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy.optimize import linear_sum_assignment

Answer = str | float | int | Sequence[str | float | int] | None
DropMode = Literal["act", "pacific"]
DROP_MODES: tuple[DropMode, ...] = ("act", "pacific")

# Order matters: the official ``scale_to_num`` tests the words in this order, by substring.
SCALE_MULTIPLIERS: tuple[tuple[str, float], ...] = (
    ("hundred", 100),
    ("thousand", 1_000),
    ("million", 1_000_000),
    ("billion", 1_000_000_000),
    ("percent", 0.01),
)
NUMBER_ONLY_ANSWER_TYPES = frozenset({"arithmetic", "count"})

_NUMBER_NOISE = frozenset("'\"\\$€£¥%(),[]")  # ``EXCLUDE_IN_NUM``
_PUNCTUATION = frozenset(string.punctuation)
_FIRST_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)")
_NUMBER_THEN_WORD = re.compile(r"[\d.]+\s?[a-zA-Z]+")
_PARENTHESIZED_NUMBER = re.compile(r"\([\d.,\s]+\)")
_PERCENT = re.compile(r"[\d.\s]+%")
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def scale_multiplier(word: str) -> float:
    """The multiplier a scale word stands for, 1 for any other word (``scale_to_num``).

    Matching is by substring, case-insensitive: "millions" and "Million" mean 10**6,
    "percentage" means 0.01.
    """
    lowered = word.lower()
    return next((value for name, value in SCALE_MULTIPLIERS if name in lowered), 1)


def _without_number_noise(text: str) -> str:
    """Drops quotes, currency signs, ``%``, parentheses, commas and brackets (``_clean_num``)."""
    return "".join(ch for ch in text if ch not in _NUMBER_NOISE)


def is_number(text: str) -> bool:
    """Whether ``text`` reads as one number, optionally followed by a scale word (``is_number``).

    Currency signs, commas, ``%``, quotes, parentheses and brackets are ignored; the first
    remaining word must parse as a finite float, and a second word, if any, must be a
    scale word: "$1,496.5", "(39,145)", "11.76%", "5.1 million dollars" are numbers,
    "5 apples" is not.
    """
    words = _without_number_noise(text).split()
    if not words:
        return False
    try:
        value = float(words[0])
    except ValueError:
        return False
    if not math.isfinite(value):
        return False
    return len(words) < 2 or scale_multiplier(words[1]) != 1


def _word_scale(text: str) -> float:
    """The multiplier of the first word that directly follows a number (``word_scale_handle``)."""
    match = _NUMBER_THEN_WORD.search(_without_number_noise(text))
    return scale_multiplier(match.group()) if match else 1


def to_number(text: str) -> float | None:
    """The value of a number written as in financial reports (``to_number``).

    The first number in the text (after dropping currency signs and thousands
    separators), times the scale word that directly follows a number, times -1 when a
    number stands in parentheses ("(39,145)" is -39145), times 0.01 when a number is
    followed by ``%``; rounded to 4 decimals. An integer stays an int. None when the
    text holds no number.
    """
    cleaned = _without_number_noise(text)
    match = _FIRST_NUMBER.search(cleaned)
    if match is None:
        return None
    literal = match.group()
    value: float = float(literal) if "." in literal else int(literal)
    value *= _word_scale(text)
    if _PARENTHESIZED_NUMBER.search(text):
        value *= -1
    if _PERCENT.search(text):
        value *= 0.01
    return round(value, 4)


def _normalize_token(token: str) -> str:
    token = token.lower()
    if not is_number(token):
        token = "".join(ch for ch in token if ch not in _PUNCTUATION)
    if is_number(token):
        value = to_number(token)
        if value is not None:
            token = str(value)
    return " ".join(_ARTICLES.sub(" ", token).split())


def normalize_answer(text: str) -> str:
    """Lower-cased, punctuation and articles removed, numbers as values (``normalize_answer``).

    Works token by token, splitting on single spaces: a token that is a number keeps its
    punctuation and is replaced by its value ("$1,496.5" -> "1496.5", "(134)" -> "-134",
    "12%" -> "0.12"); any other token loses every ASCII punctuation character, so
    "fixed-price" becomes "fixedprice" and "44.1-56.7" becomes "441567".
    """
    parts = (_normalize_token(token) for token in text.split(" "))
    return " ".join(part for part in parts if part.strip())


def _bag_f1(predicted: set[str], gold: set[str]) -> float:
    """Token-set F1; an empty bag has precision (or recall) 1 (``_compute_f1``)."""
    overlap = len(predicted & gold)
    precision = overlap / len(predicted) if predicted else 1.0
    recall = overlap / len(gold) if gold else 1.0
    if precision == 0.0 and recall == 0.0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def _exact_match_and_f1(
    predicted_spans: Sequence[str], gold_spans: Sequence[str]
) -> tuple[float, float]:
    """DROP's exact match and F1 over span bags (``get_metrics``)."""
    if not predicted_spans or not gold_spans:
        return 0.0, 0.0
    predicted_normalized = [normalize_answer(span) for span in predicted_spans]
    gold_normalized = [normalize_answer(span) for span in gold_spans]
    exact_match = float(
        set(predicted_normalized) == set(gold_normalized)
        and len(predicted_normalized) == len(gold_normalized)
    )
    predicted_bags = [set(span.split()) for span in predicted_normalized]
    gold_bags = [set(span.split()) for span in gold_normalized]
    scores = np.array([[_bag_f1(p, g) for p in predicted_bags] for g in gold_bags])
    rows, columns = linear_sum_assignment(scores, maximize=True)
    f1 = float(scores[rows, columns].sum()) / max(len(gold_bags), len(predicted_bags))
    return exact_match, round(f1, 2)


def drop_bag_f1(predicted_spans: Sequence[str], gold_spans: Sequence[str]) -> float:
    """DROP's F1 over bags of spans, without PACIFIC's scale handling (``get_metrics``).

    Each span is normalized into a set of tokens; predicted and gold bags are paired
    one-to-one to maximize the summed token F1 (``scipy.optimize.linear_sum_assignment``);
    the sum is divided by the larger number of bags, so a missing or an extra span scores
    0; the result is rounded to 2 decimals, as the official code does. Either side empty
    scores 0.
    """
    return _exact_match_and_f1(predicted_spans, gold_spans)[1]


def _literal_spans(text: str) -> list[str] | None:
    """The spans of a Python list literal of strings and numbers, else None.

    Only a list counts: "5,687" and "(39,145)" are tuple literals but mean numbers.
    """
    if not text.startswith("["):
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(item, str) or _is_real(item) for item in value):
        return None
    return [_span_text(item) for item in value]


def parse_prediction(text: str) -> list[str]:
    """Answer spans from a response in the ACT format (App. E, Table A17).

    The ACT authors train on PACIFIC answers rendered as ``str(answer)`` (a Python list of
    spans) or, for arithmetic, ``derivation + " = " + answer`` (``convert_pacific.py``).
    So: a text that is a list literal gives its items; a one-line ``derivation = answer``
    gives what follows the last ``=``; any other text is one span. The whole response is
    scored: the ACT authors cut generations at the first newline at generation time, which
    is a sampling choice (a stop string), not part of the metric.
    """
    stripped = text.strip()
    if not stripped:
        return []
    spans = _literal_spans(stripped)
    if spans is not None:
        return spans
    if "\n" not in stripped:
        _, equals, answer = stripped.rpartition("=")
        if equals and answer.strip():
            answer = answer.strip()
            return _literal_spans(answer) or [answer]
    return [stripped]


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _span_text(value: str | float | int) -> str:
    """A span as text; a float is written without an exponent, which the number rules misread."""
    if isinstance(value, str):
        return value
    text = str(value)
    return format(value, "f") if "e" in text.lower() and math.isfinite(value) else text


def _answer_spans(answer: Answer) -> list[str]:
    if answer is None:
        return []
    if isinstance(answer, str):
        return parse_prediction(answer)
    if _is_real(answer):
        return [_span_text(answer)]
    if isinstance(answer, list | tuple):
        return [_span_text(item) if _is_real(item) else str(item) for item in answer]
    raise TypeError(f"an answer must be a string, a number or a list of them, not {answer!r}")


def _carries_own_scale(span: str) -> bool:
    """Whether a number states its scale in words, as "$5.1 million" does."""
    return is_number(span) and _word_scale(span) != 1


def _render_span(span: str, scale: str) -> str:
    """A span in the common form both sides are compared in (``get_answer_str``)."""
    value = to_number(span) if is_number(span) else None
    if value is None:
        return f"{span} {scale}" if scale else span
    if "%" in span:
        return f"{value:.4f}"
    return f"{round(value, 2) * scale_multiplier(scale):.4f}"


def _readings_in_scale(spans: Sequence[str], scale: str) -> list[str]:
    """The official readings of a prediction whose scale is ``scale``.

    The spans rendered in ``scale`` and joined (``get_answer_str``), and, when no scale
    was predicted, a single bare number also written unrounded, so "0.2342" matches 23.42
    percent (``add_percent_pred``).
    """
    readings = [" ".join(_render_span(span, scale) for span in sorted(spans))]
    if len(spans) == 1 and not scale and "%" not in spans[0] and is_number(spans[0]):
        value = to_number(spans[0])
        if value is not None:
            readings.append(f"{value:.4f}")
    return readings


def _prediction_readings(
    spans: Sequence[str], gold_scale: str, prediction_scale: str | None
) -> list[str]:
    """Every reading of the prediction; the best one counts (``metric_max_over_ground_truths``).

    With ``prediction_scale`` given (a model that predicts the scale apart from the
    answer, as UniPCQA does) these are the official readings in that scale. Free text
    states no separate scale, so each scale it can mean is tried: every number in its own
    scale word and every other span in the gold's ("$5.1 million" and "5.1" against
    "$5.1" in millions), all spans in the gold's scale (the official reading of a model
    that predicted the gold's scale; "$3.0 million" against a gold "$3.0 million" that
    the data also marks as millions), and no scale at all ("5100000").
    """
    if prediction_scale is not None:
        return _readings_in_scale(spans, prediction_scale)
    own_scales = " ".join(
        _render_span(span, "" if _carries_own_scale(span) else gold_scale) for span in sorted(spans)
    )
    readings = [own_scales, *_readings_in_scale(spans, gold_scale), *_readings_in_scale(spans, "")]
    return list(dict.fromkeys(readings))


def drop_f1(
    prediction: Answer,
    gold: Answer,
    *,
    gold_scale: str = "",
    prediction_scale: str | None = None,
    answer_type: str | None = None,
    mode: DropMode = "pacific",
) -> float:
    """DROP F1 of one answer, in [0, 1], as PACIFIC's evaluator or the ACT authors compute it.

    ``mode="pacific"`` (the default) is PACIFIC's ``TaTQAEmAndF1.__call__``, described
    below. ``mode="act"`` is the ACT authors' ``get_metrics`` F1 on the raw inputs
    (:func:`act_bench.metrics.drop_act.act_drop_f1`): ``gold_scale``,
    ``prediction_scale`` and ``answer_type`` play no part there, a text is one span, a
    list several, and None (no answer at all) scores 0.

    ``prediction`` and ``gold`` are each a text, a number, or a list of spans (strings or
    numbers); a text is read by :func:`parse_prediction`, on either side, so a gold
    response in the ACT format is scored span for span. The pipeline is described in the
    module docstring.

    Keyword options, each a field of a PACIFIC question that the official evaluator uses:

    - ``gold_scale``: the question's ``scale`` ("", "thousand", "million", "billion",
      "percent"); numeric gold spans are multiplied by it, so "$5.1" in millions matches
      "$5.1 million" and "5100000".
    - ``prediction_scale``: the scale a model predicted apart from its answer; None (the
      default, for free text) tries every scale the text can mean, the gold's first
      (see ``_prediction_readings``).
    - ``answer_type``: the question's ``answer_type``; for "arithmetic" and "count" the
      score is the exact match, 0 or 1, as the official evaluator sets it.

    An empty prediction or gold scores 0, as in the official evaluator.
    """
    if mode == "act":
        from act_bench.metrics.drop_act import act_drop_f1  # it builds on this module

        if prediction is None or gold is None:
            return 0.0
        return act_drop_f1(prediction, gold)
    if mode != "pacific":
        raise ValueError(f"unknown DROP F1 mode {mode!r}; known: {', '.join(DROP_MODES)}")
    predicted_spans = _answer_spans(prediction)
    gold_spans = _answer_spans(gold)
    if not any(span.strip() for span in predicted_spans) or not any(
        span.strip() for span in gold_spans
    ):
        return 0.0
    gold_string = " ".join(_render_span(span, gold_scale) for span in sorted(gold_spans))
    exact_match, f1 = max(
        _exact_match_and_f1([reading], [gold_string])
        for reading in _prediction_readings(predicted_spans, gold_scale, prediction_scale)
    )
    return exact_match if answer_type in NUMBER_ONLY_ANSWER_TYPES else f1
