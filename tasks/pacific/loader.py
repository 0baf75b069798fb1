"""Read PACIFIC's official JSON files into turn states (p, r, g, a) of §3.1.

A file is a list of conversations ``{"table": {"uid", "table"}, "paragraphs": [...],
"questions": [...]}`` (Deng et al., 2022; github.com/dengyang17/PACIFIC). Reading happens
in two steps, each validated at the edge:

1. :func:`read_conversations` parses the file into :class:`PacificConversation` records.
   It also reads the unlabeled ``test.json``, whose questions carry only ``uid``,
   ``question``, ``original_question`` and ``order`` (their ``label`` is None).
2. :func:`load_conversations` turns labeled records into one :class:`TurnState` per
   question. Every question is a user turn followed by the assistant's reply, so the
   prompt holds the whole prior dialogue with the gold replies (as the ACT authors'
   ``convert_pacific.py`` builds its training conversations).

Any invalid record raises :class:`DataError` naming the file, the record (the
conversation's table uid and the question's uid, or their positions when a uid is
missing) and the field.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from act_bench_tasks.pacific.prompt import linearize_grounding

from act_bench.errors import DataError
from act_bench.types import Action, Conversation, Goal, Message, Prompt, Role, TurnState
from act_bench.validation import JsonChecker, is_kind, read_json_file

DOWNLOAD_HINT = "act-bench data download pacific --data-dir DIR"

# Fields of a question that only a labeled split has; test.json has none of them.
LABEL_FIELDS = ("answer", "answer_type", "scale", "req_clari", "derivation", "answer_from")
ANSWER_TYPES = frozenset({"span", "multi-span", "arithmetic", "count", "question"})

Answer = str | int | float | list[str | int | float]


@dataclass(frozen=True, slots=True)
class PacificLabel:
    """The annotation of one question: its answer and how the evaluator reads it."""

    answer: Answer
    answer_type: str
    scale: str
    req_clari: bool
    derivation: str = ""
    answer_from: str | None = None


@dataclass(frozen=True, slots=True)
class PacificQuestion:
    """One user turn; ``label`` is None in the unlabeled test split."""

    uid: str
    order: int
    question: str
    original_question: str
    label: PacificLabel | None


@dataclass(frozen=True, slots=True)
class PacificConversation:
    """A conversation: its table, paragraph texts and questions, both sorted by ``order``."""

    uid: str
    table: tuple[tuple[str, ...], ...]
    paragraphs: tuple[str, ...]
    questions: tuple[PacificQuestion, ...]

    @property
    def labeled(self) -> bool:
        return all(question.label is not None for question in self.questions)


def read_conversations(path: Path) -> list[PacificConversation]:
    """Parse and validate an official PACIFIC file; works for labeled and unlabeled splits."""
    checker = JsonChecker(path)
    data = read_json_file(path, hint=f"download it again: {DOWNLOAD_HINT}")
    if not isinstance(data, list):
        kind = type(data).__name__
        raise checker.error(f"expected a JSON list of conversations, got {kind}", None)
    conversations = [_read_conversation(checker, item, index) for index, item in enumerate(data)]
    _check_unique_ids(checker, conversations)
    return conversations


def _read_conversation(checker: JsonChecker, item: Any, index: int) -> PacificConversation:
    record = f"conversation [{index}]"
    conversation = checker.mapping(item, record)
    table_record = checker.mapping(checker.field(conversation, "table", dict, record), record)
    uid = checker.field(table_record, "uid", str, record)
    record = f"conversation {uid}"
    rows = checker.field(table_record, "table", list, record)
    table = tuple(_read_row(checker, row, record, number) for number, row in enumerate(rows))
    paragraphs = [
        _read_paragraph(checker, paragraph, f"{record} paragraph [{number}]")
        for number, paragraph in enumerate(checker.field(conversation, "paragraphs", list, record))
    ]
    questions = [
        _read_question(checker, question, record, number)
        for number, question in enumerate(checker.field(conversation, "questions", list, record))
    ]
    if not questions:
        raise checker.error("a conversation needs at least one question", record, "questions")
    orders = [question.order for question in questions]
    if len(set(orders)) != len(orders):
        raise checker.error("two questions share one 'order'", record, "order")
    return PacificConversation(
        uid=uid,
        table=table,
        paragraphs=tuple(text for _, text in sorted(paragraphs, key=lambda p: p[0])),
        questions=tuple(sorted(questions, key=lambda question: question.order)),
    )


def _read_row(checker: JsonChecker, row: Any, record: str, number: int) -> tuple[str, ...]:
    if not isinstance(row, list) or not all(isinstance(cell, str) for cell in row):
        raise checker.error(f"table row {number} must be a list of strings", record, "table")
    return tuple(row)


def _read_paragraph(checker: JsonChecker, item: Any, record: str) -> tuple[int, str]:
    paragraph = checker.mapping(item, record)
    return checker.field(paragraph, "order", int, record), checker.field(
        paragraph, "text", str, record
    )


def _read_question(
    checker: JsonChecker, item: Any, conversation: str, number: int
) -> PacificQuestion:
    record = f"{conversation} question [{number}]"
    question = checker.mapping(item, record)
    uid = checker.field(question, "uid", str, record)
    record = f"{conversation} question {uid}"
    return PacificQuestion(
        uid=uid,
        order=checker.field(question, "order", int, record),
        question=checker.field(question, "question", str, record),
        original_question=checker.field(question, "original_question", str, record),
        label=_read_label(checker, question, record),
    )


def _read_label(
    checker: JsonChecker, question: Mapping[str, Any], record: str
) -> PacificLabel | None:
    """The question's annotation; None when it has none of the label fields (test.json)."""
    if not any(name in question for name in LABEL_FIELDS):
        return None
    answer = checker.field(question, "answer", (str, numbers.Real, list), record)
    if isinstance(answer, list) and not all(is_kind(span, (str, numbers.Real)) for span in answer):
        raise checker.error("'answer' must hold only strings and numbers", record, "answer")
    answer_type = checker.field(question, "answer_type", str, record)
    if answer_type not in ANSWER_TYPES:
        raise checker.error(
            f"unknown answer_type {answer_type!r}; known: {', '.join(sorted(ANSWER_TYPES))}",
            record,
            "answer_type",
        )
    req_clari = checker.field(question, "req_clari", bool, record)
    if req_clari and not _clarifying_question(answer):
        raise checker.error(
            "a clarifying turn (req_clari) needs its clarifying question as "
            "'answer', a list of one non-empty string",
            record,
            "answer",
        )
    answer_from = question.get("answer_from")
    if answer_from is not None and not isinstance(answer_from, str):
        raise checker.error("field 'answer_from' must be a string", record, "answer_from")
    return PacificLabel(
        answer=answer,
        answer_type=answer_type,
        scale=checker.field(question, "scale", str, record),
        req_clari=req_clari,
        derivation=checker.field(question, "derivation", str, record)
        if "derivation" in question
        else "",
        answer_from=answer_from,
    )


def _clarifying_question(answer: Answer) -> str | None:
    if isinstance(answer, list) and answer and isinstance(answer[0], str) and answer[0].strip():
        return answer[0]
    return None


def _check_unique_ids(checker: JsonChecker, conversations: Sequence[PacificConversation]) -> None:
    """Table uids name conversations and question uids name turn states: both must be unique."""
    seen_tables: set[str] = set()
    seen_questions: set[str] = set()
    for conversation in conversations:
        if conversation.uid in seen_tables:
            raise checker.error("duplicate table uid", f"conversation {conversation.uid}", "uid")
        seen_tables.add(conversation.uid)
        for question in conversation.questions:
            if question.uid in seen_questions:
                raise checker.error(
                    "duplicate question uid",
                    f"conversation {conversation.uid} question {question.uid}",
                    "uid",
                )
            seen_questions.add(question.uid)


def gold_response(label: PacificLabel) -> str:
    """r: the assistant's reply as the ACT authors render it (``convert_pacific.py``).

    ``str(answer)``, a Python list for span answers (``['$1,496.5']``); for arithmetic
    answers ``derivation = answer`` when there is a derivation (``44.1-56.7 = -12.6``).
    """
    text = str(label.answer)
    if label.answer_type == "arithmetic" and label.derivation:
        text = f"{label.derivation} = {text}"
    return text


UNANSWERED_TARGET = "This question was not answered by the Assistant."


def transcript_turn(speaker: str, text: str) -> str:
    """One line of the ACT authors' training transcript (``data/base_dataset.py``)."""
    return f"{speaker}: {text}\n"


def act_gold_texts(
    labels: Sequence[PacificLabel], questions: Sequence[PacificQuestion], index: int
) -> tuple[str, str]:
    """(turn gold, trajectory target) of question ``index`` as the ACT authors score them.

    Their dataset code (``data/base_dataset.py``, ``get_next_turn``) writes each turn as
    ``"Assistant: <r>\n"``. For an ANSWER turn both texts are that line. For a CLARIFY
    turn the turn gold is the clarifying question, the user's reply and the next
    assistant turn, each on its line, and the target is that next assistant line (or
    their "not answered" sentence when the conversation ends first); later lines have
    their newlines replaced by spaces, as theirs do.
    """
    own = transcript_turn("Assistant", gold_response(labels[index]))
    if not labels[index].req_clari:
        return own, own
    if index + 1 >= len(questions):
        return own, UNANSWERED_TARGET
    reply = transcript_turn("User", questions[index + 1].question.replace("\n", " "))
    target = transcript_turn("Assistant", gold_response(labels[index + 1]).replace("\n", " "))
    return own + reply + target, target


def load_conversations(path: Path) -> list[Conversation]:
    """Turn states of a labeled PACIFIC file, one per question, in the file's order."""
    conversations = read_conversations(path)
    if conversations and not any(c.labeled for c in conversations):
        raise DataError(
            "this PACIFIC file has no labels: its questions carry only 'uid', 'question', "
            "'original_question' and 'order' (the official test.json is unlabeled), so there "
            "are no gold actions, responses or goals to evaluate against",
            file=str(path),
            field="answer",
            hint="evaluate on --split validation, the paper's public evaluation set",
        )
    return [_conversation(path, conversation) for conversation in conversations]


def _conversation(path: Path, conversation: PacificConversation) -> Conversation:
    grounding = linearize_grounding(conversation.table, conversation.paragraphs)
    history: list[Message] = []
    states = []
    labels = [_label(path, conversation, question) for question in conversation.questions]
    for index, question in enumerate(conversation.questions):
        label = labels[index]
        response = gold_response(label)
        act_response, act_target = act_gold_texts(labels, conversation.questions, index)
        goal = _goal(path, conversation, index)
        states.append(
            TurnState(
                id=question.uid,
                conversation_id=conversation.uid,
                prompt=Prompt(grounding, tuple(history), question.question),
                gold_response=response,
                goals=(replace(goal, metadata={**goal.metadata, "act_gold_target": act_target}),),
                gold_action=Action.CLARIFY if label.req_clari else Action.ANSWER,
                metadata={
                    "order": question.order,
                    "answer": label.answer,
                    "act_gold_response": act_response,
                    **_label_metadata(label),
                },
            )
        )
        history += [Message(Role.USER, question.question), Message(Role.ASSISTANT, response)]
    return Conversation(id=conversation.uid, turn_states=tuple(states))


def _label(
    path: Path, conversation: PacificConversation, question: PacificQuestion
) -> PacificLabel:
    if question.label is None:
        raise DataError(
            "missing field 'answer'",
            file=str(path),
            record=f"conversation {conversation.uid} question {question.uid}",
            field="answer",
        )
    return question.label


def _label_metadata(label: PacificLabel) -> dict[str, Any]:
    """What the scorer needs beside the answer: the official evaluator's fields."""
    return {
        "answer_type": label.answer_type,
        "scale": label.scale,
        "derivation": label.derivation,
        "answer_from": label.answer_from,
    }


def _goal(path: Path, conversation: PacificConversation, index: int) -> Goal:
    """g: the answer that resolves the turn's trajectory (§3.1).

    An answer turn resolves itself (g = r's answer; the fully specified request is its
    ``original_question``). A clarifying turn is resolved by the next answer turn: the
    user's reply that follows it (its ``question``, e.g. "2019") is the recorded
    clarification, and that answer turn's ``answer`` and ``original_question`` are the
    goal. In PACIFIC the reply turn itself is that answer turn; should a reply be
    clarified again, the first later answer turn resolves the trajectory.
    """
    questions = conversation.questions
    question = questions[index]
    label = _label(path, conversation, question)
    if not label.req_clari:
        return _goal_from(question, label, clarification=None)
    later = questions[index + 1 :]
    resolving = next((q for q in later if not _label(path, conversation, q).req_clari), None)
    if resolving is None:
        raise DataError(
            "a clarifying turn must be followed by the user's reply and an answer turn, "
            "but the conversation ends first",
            file=str(path),
            record=f"conversation {conversation.uid} question {question.uid}",
            field="req_clari",
        )
    reply = questions[index + 1]
    return _goal_from(
        resolving, _label(path, conversation, resolving), clarification=reply.question
    )


def _goal_from(question: PacificQuestion, label: PacificLabel, clarification: str | None) -> Goal:
    return Goal(
        answer=label.answer,
        request=question.original_question,
        clarification=clarification,
        metadata={"question_uid": question.uid, **_label_metadata(label)},
    )
