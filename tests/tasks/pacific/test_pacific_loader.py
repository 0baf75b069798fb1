"""Loading PACIFIC: the real validation split, the bundled sample, and malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from act_bench_tasks.pacific import task
from act_bench_tasks.pacific.loader import (
    LABEL_FIELDS,
    gold_response,
    load_conversations,
    read_conversations,
)
from act_bench_tasks.pacific.task import SAMPLE_DIR

from act_bench.errors import DataError
from act_bench.types import Action, Role

SAMPLE = SAMPLE_DIR / "validation.json"


def sample_records() -> list[dict]:
    return json.loads(SAMPLE.read_text())


def write(tmp_path: Path, records: object) -> Path:
    path = tmp_path / "validation.json"
    path.write_text(json.dumps(records))
    return path


def test_real_validation_split_counts(data_dir):
    conversations = task.load("validation", data_dir)
    states = [state for conversation in conversations for state in conversation.turn_states]
    assert len(conversations) == 277
    assert len(states) == 1982
    assert sum(state.gold_action is Action.CLARIFY for state in states) == 320
    assert len({state.id for state in states}) == 1982
    clarifying = [state for state in states if state.gold_action is Action.CLARIFY]
    assert all(state.goals[0].clarification for state in clarifying)
    assert all(len(state.goals) == 1 for state in states)
    assert all(state.goals[0].clarification is None for state in states if state not in clarifying)


def test_real_first_conversation_turns(data_dir):
    # The first validation conversation opens with an answer turn, then a clarifying turn
    # and the user's reply to it (checked against the raw records, quoting none of them).
    raw = json.loads((data_dir / "pacific" / "validation.json").read_text())[0]
    questions = sorted(raw["questions"], key=lambda question: question["order"])
    first = task.load("validation", data_dir)[0]
    answer, clarify, reply = first.turn_states[:3]
    assert first.id == raw["table"]["uid"]
    assert [state.id for state in first.turn_states] == [q["uid"] for q in questions]
    assert [answer.gold_action, clarify.gold_action, reply.gold_action] == [
        Action.ANSWER,
        Action.CLARIFY,
        Action.ANSWER,
    ]
    assert clarify.gold_response == str(questions[1]["answer"])
    assert clarify.goals[0].clarification == reply.prompt.request == questions[2]["question"]
    assert clarify.goals[0].request == questions[2]["original_question"]
    assert clarify.goals[0].answer == reply.goals[0].answer == questions[2]["answer"]
    assert reply.prompt.history[-1].content == clarify.gold_response
    opening = raw["paragraphs"][0]["text"].replace("\n", " ")[:40]
    assert answer.prompt.grounding.startswith("[context]\n" + opening)


def test_sample_loads_through_the_same_loader():
    conversations = task.load("validation", None)
    states = [state for conversation in conversations for state in conversation.turn_states]
    assert len(conversations) == 3
    assert len(states) == 15
    assert sum(state.gold_action is Action.CLARIFY for state in states) == 3
    assert {state.metadata["answer_type"] for state in states} == {
        "span",
        "multi-span",
        "arithmetic",
        "count",
        "question",
    }


def test_questions_are_sorted_by_order_and_history_holds_gold_replies():
    # The third sample conversation lists its questions out of order in the file.
    kestrel = task.load("validation", None)[2]
    assert [state.metadata["order"] for state in kestrel.turn_states] == [1, 2, 3, 4, 5]
    count, clarify, reply = kestrel.turn_states[:3]
    assert count.prompt.history == ()
    assert [m.role for m in reply.prompt.history] == [Role.USER, Role.ASSISTANT] * 2
    assert [m.content for m in reply.prompt.history] == [
        "How many kinds of costs are listed in the table?",
        "2",
        "What was the change in costs from 2018 to 2019?",
        "['Which kind of costs are you asking about?']",
    ]
    assert reply.prompt.request == "The energy costs."
    assert reply.gold_response == "96,210 - 88,473 = 7737"


def test_goal_of_a_clarifying_turn_is_the_reply_turns_answer():
    clarify, reply = task.load("validation", None)[0].turn_states[1:3]
    goal = clarify.goals[0]
    assert clarify.gold_action is Action.CLARIFY
    assert goal.answer == ["27,899"]
    assert goal.clarification == "2023."
    assert goal.request == "What was the total revenue in 2023?"
    assert goal.metadata["scale"] == "thousand" and goal.metadata["answer_type"] == "span"
    assert goal.metadata["question_uid"] == reply.id
    assert reply.goals[0].clarification is None
    assert reply.goals[0].request == goal.request


def test_goal_of_an_answer_turn_is_its_own_answer():
    percentage = task.load("validation", None)[0].turn_states[4]
    goal = percentage.goals[0]
    assert percentage.gold_response == "(7,315 - 6,880) / 6,880 = 6.32"
    assert goal.answer == 6.32 and goal.clarification is None
    assert goal.request == "What was the percentage change in vehicle fares from 2022 to 2023?"
    assert percentage.prompt.request == "What was the percentage change?"


def test_gold_response_follows_the_act_convert_script():
    (label,) = [
        q.label for q in read_conversations(SAMPLE)[2].questions if q.label.answer_type == "count"
    ]
    assert gold_response(label) == "2"  # a count keeps its text; no derivation for it
    spans = read_conversations(SAMPLE)[0].questions[0].label
    assert gold_response(spans) == "['passenger fares', 'vehicle fares', 'onboard retail']"


def test_truncated_json_names_the_file(tmp_path):
    path = tmp_path / "validation.json"
    path.write_text(SAMPLE.read_text()[:700])
    with pytest.raises(DataError, match="invalid JSON") as caught:
        load_conversations(path)
    assert caught.value.file == str(path)
    assert "download" in caught.value.hint


def test_question_without_answer_names_file_record_and_field(tmp_path):
    records = sample_records()
    broken = records[1]["questions"][2]
    del broken["answer"]
    path = write(tmp_path, records)
    with pytest.raises(DataError) as caught:
        load_conversations(path)
    error = caught.value
    assert error.file == str(path) and error.field == "answer"
    assert records[1]["table"]["uid"] in error.record and broken["uid"] in error.record
    assert str(path) in str(error) and broken["uid"] in str(error)


def test_question_with_no_label_fields_in_a_labeled_file_is_missing_its_answer(tmp_path):
    records = sample_records()
    broken = records[0]["questions"][3]
    for name in LABEL_FIELDS:
        broken.pop(name)
    with pytest.raises(DataError, match="missing field 'answer'") as caught:
        load_conversations(write(tmp_path, records))
    assert broken["uid"] in caught.value.record


def test_missing_table_uid_names_the_conversation_by_position(tmp_path):
    records = sample_records()
    del records[2]["table"]["uid"]
    with pytest.raises(DataError) as caught:
        load_conversations(write(tmp_path, records))
    assert caught.value.record == "conversation [2]" and caught.value.field == "uid"


def test_wrong_field_type_is_reported(tmp_path):
    records = sample_records()
    records[0]["questions"][1]["req_clari"] = "yes"
    with pytest.raises(DataError, match="must be a boolean") as caught:
        load_conversations(write(tmp_path, records))
    assert caught.value.field == "req_clari"


def test_clarifying_turn_at_the_end_of_a_conversation_is_an_error(tmp_path):
    records = sample_records()
    questions = records[0]["questions"]
    records[0]["questions"] = questions[:2]  # ends on "What was the total revenue?"
    with pytest.raises(DataError, match="conversation ends first") as caught:
        load_conversations(write(tmp_path, records))
    assert (
        caught.value.record
        == f"conversation {records[0]['table']['uid']} question " + (questions[1]["uid"])
    )


def test_duplicate_question_uid_is_an_error(tmp_path):
    records = sample_records()
    records[1]["questions"][0]["uid"] = records[0]["questions"][0]["uid"]
    with pytest.raises(DataError, match="duplicate question uid"):
        load_conversations(write(tmp_path, records))


def test_unlabeled_file_reads_but_does_not_load_as_turn_states(tmp_path):
    records = sample_records()
    for conversation in records:
        for question in conversation["questions"]:
            for name in (*LABEL_FIELDS, "rel_paragraphs", "req_comparison", "follow_up"):
                question.pop(name)
    path = write(tmp_path, records)
    conversations = read_conversations(path)
    assert [len(c.questions) for c in conversations] == [5, 5, 5]
    assert all(q.label is None for c in conversations for q in c.questions)
    with pytest.raises(DataError, match="no labels") as caught:
        load_conversations(path)
    assert "validation" in caught.value.hint


def test_real_test_split_is_unlabeled(data_dir):
    path = data_dir / "pacific" / "test.json"
    if not path.exists():
        pytest.skip(f"{path} not found")
    conversations = read_conversations(path)
    assert len(conversations) == 278
    assert sum(len(c.questions) for c in conversations) == 1939
    with pytest.raises(DataError, match="test.json is unlabeled"):
        task.load("test", data_dir)
