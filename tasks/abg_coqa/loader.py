"""Read Abg-CoQA's official JSON files into turn states (p, r, g, a) of §3.1.

A file is ``{"version", "data": [item, ...]}`` (Guo et al., 2021;
github.com/MeiqiGuo/AKBC2021-Abg-CoQA). Each item is one window of a CoQA conversation:
the ``story``, one or two ``history_turns`` and the ``target_turn`` whose question is
``ambiguous`` or ``non_ambiguous``. An ambiguous item records a clarifying question and,
in ``clarification_turn.answers``, every interpretation of the request: the user's reply
to the question (``clr_ans``) and the answer under that reading (``org_ans``).

Reading happens in two steps, each validated at the edge:

1. :func:`read_items` parses the file into :class:`AbgCoqaItem` records.
2. :func:`load_conversations` turns each item into one :class:`TurnState`, grouped into
   one :class:`Conversation` per CoQA story (in order of first appearance, items by target
   turn). The prompt holds the story and the history turns without any clarification
   (App. D); the gold action is CLARIFY iff the item is ambiguous; r is the recorded
   clarifying question, else the answer; the goals G are every interpretation (App. D
   evaluates each), or the answer alone.

Any invalid record raises :class:`DataError` naming the file, the item id (its position
when the id is missing) and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from act_bench_tasks.abg_coqa.prompt import story_grounding

from act_bench.types import Action, Conversation, Goal, Message, Prompt, Role, TurnState
from act_bench.validation import JsonChecker, read_json_file

DOWNLOAD_HINT = "act-bench data download abg-coqa --data-dir DIR"
AMBIGUITY_LABELS = {"ambiguous": True, "non_ambiguous": False}
ALTERNATIVE_ANSWER_FIELDS = ("org_ans_2", "org_ans_3")


@dataclass(frozen=True, slots=True)
class QaTurn:
    """One CoQA exchange: the user's question and the recorded answer with its rationale."""

    turn_id: int
    question: str
    answer: str
    rationale: str = ""


@dataclass(frozen=True, slots=True)
class Interpretation:
    """One reading of an ambiguous request: the user's clarification and its answer.

    ``alternative_answers`` are the other annotators' answers (``org_ans_2``,
    ``org_ans_3``), kept for reference; the goal is scored against ``answer``.
    """

    clarification: str
    answer: str
    alternative_answers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClarificationTurn:
    """A recorded clarifying question and every interpretation of the request it resolves."""

    question: str
    interpretations: tuple[Interpretation, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answers": [
                {"clr_ans": i.clarification, "org_ans": i.answer} for i in self.interpretations
            ],
        }


@dataclass(frozen=True, slots=True)
class AbgCoqaItem:
    """One Abg-CoQA record. ``clarification`` is None exactly when ``ambiguous`` is False;
    ``second_clarification`` is a second annotator's (``clarification_turn_2``)."""

    id: str
    story_id: str
    story: str
    source: str
    history: tuple[QaTurn, ...]
    target: QaTurn
    ambiguous: bool
    clarification: ClarificationTurn | None
    second_clarification: ClarificationTurn | None = None


def read_items(path: Path) -> list[AbgCoqaItem]:
    """Parse and validate an official Abg-CoQA file, in the file's order."""
    checker = JsonChecker(path)
    data = read_json_file(path, hint=f"download it again: {DOWNLOAD_HINT}")
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise checker.error(
            'expected a JSON object {"version": ..., "data": [items]}', None, "data"
        )
    items = [_read_item(checker, item, index) for index, item in enumerate(data["data"])]
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise checker.error("duplicate item id", f"item {item.id}", "id")
        seen.add(item.id)
    return items


def _read_item(checker: JsonChecker, value: Any, index: int) -> AbgCoqaItem:
    item = checker.mapping(value, f"item [{index}]")
    identifier = checker.text(item, "id", f"item [{index}]")
    record = f"item {identifier}"
    story_id = identifier.split("|")[0]
    if identifier.count("|") != 2 or not story_id:
        raise checker.error(
            "an id must read '<story id>|<target turn id>|<number of history turns>'",
            record,
            "id",
        )
    label = checker.text(item, "ambiguity", record)
    if label not in AMBIGUITY_LABELS:
        raise checker.error(
            f"unknown ambiguity {label!r}; known: {', '.join(AMBIGUITY_LABELS)}",
            record,
            "ambiguity",
        )
    ambiguous = AMBIGUITY_LABELS[label]
    return AbgCoqaItem(
        id=identifier,
        story_id=story_id,
        story=checker.text(item, "story", record),
        source=checker.optional_text(item, "source", record),
        history=tuple(
            _read_turn(checker, turn, record, f"history_turns[{number}].")
            for number, turn in enumerate(checker.items(item, "history_turns", record))
        ),
        target=_read_turn(checker, item.get("target_turn"), record, "target_turn."),
        ambiguous=ambiguous,
        clarification=_read_first_clarification(checker, item, record, ambiguous),
        second_clarification=_read_clarification(
            checker, item.get("clarification_turn_2", {}), record, "clarification_turn_2"
        ),
    )


def _read_turn(checker: JsonChecker, value: Any, record: str, path: str) -> QaTurn:
    field = path.rstrip(".")
    if value is None:
        raise checker.error(f"missing field {field!r}", record, field)
    turn = checker.mapping(value, record, field)
    return QaTurn(
        turn_id=checker.integer(turn, "turn_id", record, path=path),
        question=checker.text(turn, "question", record, path=path),
        answer=checker.text(turn, "answer", record, path=path),
        rationale=checker.optional_text(turn, "rationale", record, path=path),
    )


def _read_first_clarification(
    checker: JsonChecker, item: Mapping[str, Any], record: str, ambiguous: bool
) -> ClarificationTurn | None:
    """``clarification_turn``: required for an ambiguous item, ``{}`` for any other."""
    if "clarification_turn" not in item:
        raise checker.error("missing field 'clarification_turn'", record, "clarification_turn")
    clarification = _read_clarification(
        checker, item["clarification_turn"], record, "clarification_turn"
    )
    if ambiguous and clarification is None:
        raise checker.error(
            "an ambiguous item needs its clarifying question and interpretations",
            record,
            "clarification_turn",
        )
    if not ambiguous and clarification is not None:
        raise checker.error(
            "a non-ambiguous item has an empty 'clarification_turn' ({})",
            record,
            "clarification_turn",
        )
    return clarification


def _read_clarification(
    checker: JsonChecker, value: Any, record: str, field: str
) -> ClarificationTurn | None:
    """A clarification turn, or None for ``{}``."""
    turn = checker.mapping(value, record, field)
    if not turn:
        return None
    answers = turn.get("answers")
    if not isinstance(answers, list) or not answers:
        raise checker.error(
            f"field '{field}.answers' must be a non-empty list of interpretations",
            record,
            f"{field}.answers",
        )
    return ClarificationTurn(
        question=checker.text(turn, "question", record, path=f"{field}."),
        interpretations=tuple(
            _read_interpretation(checker, answer, record, f"{field}.answers[{number}].")
            for number, answer in enumerate(answers)
        ),
    )


def _read_interpretation(
    checker: JsonChecker, value: Any, record: str, path: str
) -> Interpretation:
    answer = checker.mapping(value, record, path.rstrip("."))
    alternatives = []
    for name in ALTERNATIVE_ANSWER_FIELDS:
        if name in answer:
            alternatives.append(checker.text(answer, name, record, path=path))
    return Interpretation(
        clarification=checker.text(answer, "clr_ans", record, path=path),
        answer=checker.text(answer, "org_ans", record, path=path),
        alternative_answers=tuple(alternatives),
    )


def interpretation_request(question: str, clarifying_question: str, clarification: str) -> str:
    """The request of one interpretation, fully specified: the question as asked plus the
    user's answer to the recorded clarifying question.

    Abg-CoQA has no rewritten question, and a bare clarification ("Yes.", "No") means
    nothing without the question it answers, so both go into the request. The gold
    simulator restates it when asked a second time; the LLM simulator reads it to
    summarize the user's intent (App. H).
    """
    return f'{question} (Asked "{clarifying_question}", I answer: {clarification})'


def goals(item: AbgCoqaItem) -> tuple[Goal, ...]:
    """G: one goal per interpretation of an ambiguous request, else the recorded answer."""
    target = item.target
    if item.clarification is None:
        return (
            Goal(
                answer=target.answer,
                request=target.question,
                metadata={"rationale": target.rationale},
            ),
        )
    question = item.clarification.question
    return tuple(
        Goal(
            answer=interpretation.answer,
            request=interpretation_request(target.question, question, interpretation.clarification),
            clarification=interpretation.clarification,
            metadata={
                "interpretation": index,
                "clarifying_question": question,
                "alternative_answers": list(interpretation.alternative_answers),
            },
        )
        for index, interpretation in enumerate(item.clarification.interpretations)
    )


def turn_state(item: AbgCoqaItem) -> TurnState:
    history: list[Message] = []
    for turn in item.history:
        history += [Message(Role.USER, turn.question), Message(Role.ASSISTANT, turn.answer)]
    clarification = item.clarification
    metadata: dict[str, Any] = {
        "source": item.source,
        "target_turn_id": item.target.turn_id,
        "ambiguous": item.ambiguous,
        "answer": item.target.answer,
        "rationale": item.target.rationale,
    }
    if item.second_clarification is not None:
        metadata["clarification_turn_2"] = item.second_clarification.to_json()
    return TurnState(
        id=item.id,
        conversation_id=item.story_id,
        prompt=Prompt(story_grounding(item.story), tuple(history), item.target.question),
        gold_response=clarification.question if clarification else item.target.answer,
        goals=goals(item),
        gold_action=Action.CLARIFY if item.ambiguous else Action.ANSWER,
        metadata=metadata,
    )


def group_by_story(items: Sequence[AbgCoqaItem]) -> list[Conversation]:
    """One conversation per story, in order of first appearance; items by target turn."""
    by_story: dict[str, list[AbgCoqaItem]] = {}
    for item in items:
        by_story.setdefault(item.story_id, []).append(item)
    return [
        Conversation(
            id=story_id,
            turn_states=tuple(
                turn_state(item) for item in sorted(group, key=lambda i: i.target.turn_id)
            ),
        )
        for story_id, group in by_story.items()
    ]


def load_conversations(path: Path) -> list[Conversation]:
    """The turn states of an Abg-CoQA file, grouped by story."""
    return group_by_story(read_items(path))
