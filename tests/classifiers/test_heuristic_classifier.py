from __future__ import annotations

import pytest

from act_bench.classifiers import ClassificationInput, HeuristicClassifier
from act_bench.classifiers.heuristic import decide, normalise
from act_bench.types import Action, Prompt

CLARIFY, ANSWER = Action.CLARIFY, Action.ANSWER


@pytest.mark.parametrize(
    ("response", "action", "rule"),
    [
        ("", ANSWER, "empty"),
        ("   []  ", ANSWER, "empty"),
        ("SELECT name FROM ships WHERE tonnage > 500", ANSWER, "sql"),
        ("```sql\nselect count(*) from voyages\n```", ANSWER, "sql"),
        ("WITH big AS (SELECT * FROM ships) SELECT name FROM big", ANSWER, "sql"),
        ("0.6/5.1 = 11.76", ANSWER, "derivation"),
        ("49,361 - (39,145) = 88506", ANSWER, "derivation"),
        ("(44.1-56.7)/56.7 = -22.22", ANSWER, "derivation"),
        ("The change is 980 - 1,150 = -170 patients.", ANSWER, "derivation"),
        ("$1,382,957", ANSWER, "numeric"),
        ("-12.6 million", ANSWER, "numeric"),
        ("$(39,145)", ANSWER, "numeric"),
        ("['$5.1 million', '$0.6 million']", ANSWER, "numeric"),
        ("[‘$5.1 million’, ‘$0.6 million’]", ANSWER, "numeric"),
        ("['2019', '2018', '2017']", ANSWER, "numeric"),
        ("['Which year are you asking about?']", CLARIFY, "clarification_phrase"),
        ("[‘What kind of defined plans are you asking about?’]", CLARIFY, "clarification_phrase"),
        ("Which segment are you asking about", CLARIFY, "clarification_phrase"),
        (
            "Assistant: Do you mean the fair value or the carrying amount?",
            CLARIFY,
            "clarification_phrase",
        ),
        ("Could you clarify which plan", CLARIFY, "clarification_phrase"),
        ("Please specify the region.", CLARIFY, "clarification_phrase"),
        ("I'm not sure which year you mean.", CLARIFY, "clarification_phrase"),
        ("Which year do you mean? In 2019 it was 5.", CLARIFY, "clarification_phrase"),
        ("Which year?", CLARIFY, "final_question"),
        ("The table has two regions. Is it the northern one?", CLARIFY, "final_question"),
        ("2019?", CLARIFY, "final_question"),
        ("Shall we use your fiscal year? The calendar total was $4m.", CLARIFY, "question_to_user"),
        ("Is it the gross or the net margin", CLARIFY, "interrogative_opening"),
        ("What kind of costs, operating or capital", CLARIFY, "interrogative_opening"),
        ("patented mobile wallet technology.", ANSWER, "default"),
        ("What was revenue in 2019? It was $5m.", ANSWER, "default"),
        ("Revenue was $5m. Let me know if you need anything else.", ANSWER, "default"),
        ("Revenue was $5m. Would you like me to break it down by quarter?", ANSWER, "default"),
        ("['North', 'South']", ANSWER, "default"),
    ],
)
def test_each_rule(response: str, action: Action, rule: str) -> None:
    decision = decide(response)
    assert (decision.action, decision.rule) == (action, rule)


def test_a_lone_courtesy_question_still_clarifies() -> None:
    # Courtesy offers are dropped only after other content.
    assert decide("Would you like me to use the 2019 or the 2018 figures?").action is CLARIFY


def test_derivation_ending_in_a_question_is_not_an_answer() -> None:
    assert decide("Do you want 5 - 3 = 2 or 5 + 3 = 8?").action is CLARIFY


def test_normalise_unwraps_lists_roles_and_quotes() -> None:
    assert normalise("['a', 'b']") == "a\nb"
    assert normalise('Assistant: "Which year?"') == "Which year?"
    assert normalise("[not a list") == "[not a list"


def test_classify_keeps_order_and_ignores_the_prompt() -> None:
    prompt = Prompt(grounding="", history=(), request="What was the revenue?")
    items = [
        ClassificationInput(prompt, "['Which year are you asking about?']"),
        ClassificationInput(prompt, "['$4.2 million']"),
    ]
    classifier = HeuristicClassifier()
    assert classifier.spec == "heuristic"
    assert classifier.classify(items) == [CLARIFY, ANSWER]
    assert classifier.classify([]) == []
    assert classifier.explain("Which year?").rule == "final_question"
