"""Reading Abg-CoQA files into turn states: the real files, the bundled sample, bad records."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import pytest
from act_bench_tasks.abg_coqa import task
from act_bench_tasks.abg_coqa.loader import interpretation_request, load_conversations, read_items
from helpers import shared_data_dir

from act_bench.errors import ConfigError, DataError
from act_bench.task import turn_states
from act_bench.types import Action, Role


@pytest.fixture(scope="module")
def real_dir() -> Path:
    path = shared_data_dir()
    if not (path / "abg_coqa" / "coqa_abg_val.json").exists():
        pytest.skip(f"real Abg-CoQA data not found under {path} (set ACT_BENCH_DATA)")
    return path


@pytest.fixture(scope="module")
def validation(real_dir):
    raw = json.loads((real_dir / "abg_coqa" / "coqa_abg_val.json").read_text())["data"]
    return raw, task.load("validation", real_dir)


def test_real_validation_counts_match_the_file(validation):
    raw, conversations = validation
    states = turn_states(conversations)
    labels = Counter(item["ambiguity"] for item in raw)
    actions = Counter(state.gold_action for state in states)
    assert len(states) == len(raw) == 1092
    assert actions[Action.CLARIFY] == labels["ambiguous"] == 130
    assert actions[Action.ANSWER] == labels["non_ambiguous"] == 962
    assert len(conversations) == len({item["id"].split("|")[0] for item in raw}) == 500


def test_every_interpretation_of_an_ambiguous_item_is_a_goal(validation):
    raw, conversations = validation
    by_id = {item["id"]: item for item in raw}
    for state in turn_states(conversations):
        item = by_id[state.id]
        if state.gold_action is Action.ANSWER:
            assert [g.answer for g in state.goals] == [item["target_turn"]["answer"]]
            assert state.goals[0].clarification is None
            assert state.gold_response == item["target_turn"]["answer"]
            continue
        answers = item["clarification_turn"]["answers"]
        assert [(g.clarification, g.answer) for g in state.goals] == [
            (a["clr_ans"], a["org_ans"]) for a in answers
        ]
        assert state.gold_response == item["clarification_turn"]["question"]
    goal_counts = Counter(
        len(s.goals) for s in turn_states(conversations) if s.gold_action is Action.CLARIFY
    )
    # Most ambiguous items have 2 interpretations; 15 record only one (1 to 4 occur).
    assert goal_counts == {2: 99, 1: 15, 3: 11, 4: 5}
    assert sum(len(s.goals) for s in turn_states(conversations)) == 962 + 266


def test_prompt_is_story_history_and_request_without_clarifications(validation):
    raw, conversations = validation
    by_id = {item["id"]: item for item in raw}
    state = next(
        s for s in turn_states(conversations) if s.id == "3pxx5px6lxyuqm3uo2o1yddekb4ab3|9|2"
    )
    item = by_id[state.id]
    assert state.prompt.grounding == "[story]\n" + item["story"].strip()
    assert [(m.role, m.content) for m in state.prompt.history] == [
        (Role.USER, "where did the path lead?"),
        (Role.ASSISTANT, "dense thicket"),
        (Role.USER, "Which way was fastest?"),
        (Role.ASSISTANT, "the shore"),
    ]
    assert state.prompt.request == "What did they remove?"
    assert state.conversation_id == "3pxx5px6lxyuqm3uo2o1yddekb4ab3"
    assert state.goals[1].request == (
        'What did they remove? (Asked "Do you mean what did they remove before heading for '
        'the path?", I answer: No, I mean what did they remove after heading for the path.)'
    )
    assert state.goals[1].metadata["alternative_answers"] == ["Unknown", "dense brush- wood"]
    assert state.metadata["clarification_turn_2"]["question"] == (
        "Do you mean the ropes from their arms?"
    )


def test_items_are_grouped_by_story_in_target_turn_order(validation):
    _, conversations = validation
    for conversation in conversations:
        assert {s.conversation_id for s in conversation.turn_states} == {conversation.id}
        turns = [s.metadata["target_turn_id"] for s in conversation.turn_states]
        assert turns == sorted(turns)


def test_real_test_split_is_labeled(real_dir):
    states = turn_states(task.load("test", real_dir))
    assert len(states) == 1055
    assert sum(s.gold_action is Action.CLARIFY for s in states) == 123


def test_missing_train_file_names_the_file_and_the_download_command(tmp_path):
    with pytest.raises(DataError) as caught:
        task.load("train", tmp_path)
    assert "coqa_abg_train.json" in str(caught.value)
    assert caught.value.file == str(tmp_path / "abg_coqa" / "coqa_abg_train.json")
    assert caught.value.hint == f"act-bench data download abg-coqa --data-dir {tmp_path}"


def test_bundled_sample_has_only_validation():
    with pytest.raises(DataError, match="bundled sample has only the validation split") as caught:
        task.load("test", None)
    assert "act-bench data download abg-coqa" in caught.value.hint


def test_unknown_split_suggests_the_closest():
    with pytest.raises(ConfigError, match="unknown split 'valid'") as caught:
        task.load("valid", None)
    assert caught.value.hint == "did you mean 'validation'?"


def test_bundled_sample():
    conversations = task.load("validation", None)
    states = turn_states(conversations)
    assert [c.id for c in conversations] == [
        "actbench-sample-lighthouse",
        "actbench-sample-glassworks",
        "actbench-sample-trees",
    ]
    # The lighthouse's last item comes last in the file; grouping brings it to its story.
    assert [s.id for s in conversations[0].turn_states] == [
        "actbench-sample-lighthouse|3|2",
        "actbench-sample-lighthouse|5|2",
        "actbench-sample-lighthouse|7|1",
    ]
    assert [len(s.goals) for s in states if s.gold_action is Action.CLARIFY] == [2, 3, 2]
    assert sum(len(s.goals) for s in states) == 13


def test_interpretation_request_keeps_the_question_and_the_reply():
    assert interpretation_request("Who planted them?", "Do you mean the first 500?", "Yes.") == (
        'Who planted them? (Asked "Do you mean the first 500?", I answer: Yes.)'
    )


# --- malformed records -------------------------------------------------------------

VALID_ITEM = {
    "id": "story1|3|1",
    "story": "Ana fed the cat and then the dog.",
    "source": "mctest",
    "target_turn": {"turn_id": 3, "question": "What did she feed?", "answer": "the cat"},
    "history_turns": [{"turn_id": 2, "question": "Who is Ana?", "answer": "a girl"}],
    "ambiguity": "ambiguous",
    "clarification_turn": {
        "question": "Do you mean first?",
        "answers": [
            {"clr_ans": "Yes.", "org_ans": "the cat"},
            {"clr_ans": "No, then.", "org_ans": "the dog"},
        ],
    },
}


def write(tmp_path: Path, items, top: object = None) -> Path:
    path = tmp_path / "coqa_abg_val.json"
    path.write_text(json.dumps(top if top is not None else {"version": "1.0", "data": items}))
    return path


def test_valid_minimal_item_loads(tmp_path):
    [conversation] = load_conversations(write(tmp_path, [VALID_ITEM]))
    [state] = conversation.turn_states
    assert [g.answer for g in state.goals] == ["the cat", "the dog"]
    assert state.gold_action is Action.CLARIFY


def mutate(path: str, value: object) -> dict:
    """VALID_ITEM with the field at a dotted path set to value (``...`` deletes it)."""
    item = copy.deepcopy(VALID_ITEM)
    *parents, last = path.split(".")
    target = item
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is ...:
        del target[int(last) if last.isdigit() else last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return item


@pytest.mark.parametrize(
    ("field_path", "value", "message", "field"),
    [
        ("ambiguity", "maybe", "unknown ambiguity 'maybe'", "ambiguity"),
        ("story", ..., "missing field 'story'", "story"),
        ("story", "  ", "field 'story' is empty", "story"),
        ("target_turn.answer", 3, "must be a string, got int", "target_turn.answer"),
        ("target_turn.turn_id", "3", "must be an integer", "target_turn.turn_id"),
        ("target_turn", ..., "missing field 'target_turn'", "target_turn"),
        ("history_turns", {}, "must be a list", "history_turns"),
        ("history_turns.0.question", ..., "missing field", "history_turns[0].question"),
        ("clarification_turn", {}, "an ambiguous item needs", "clarification_turn"),
        ("clarification_turn", ..., "missing field", "clarification_turn"),
        ("clarification_turn.answers", [], "non-empty list", "clarification_turn.answers"),
        (
            "clarification_turn.answers.1.clr_ans",
            ...,
            "missing field",
            "clarification_turn.answers[1].clr_ans",
        ),
        (
            "clarification_turn.answers.0",
            "Yes.",
            "expected a JSON object",
            "clarification_turn.answers[0]",
        ),
        ("clarification_turn.question", "", "is empty", "clarification_turn.question"),
        ("source", 7, "must be a string, got int", "source"),
        ("history_turns.0.rationale", None, "must be a string", "history_turns[0].rationale"),
    ],
)
def test_malformed_item_names_file_id_and_field(tmp_path, field_path, value, message, field):
    path = write(tmp_path, [mutate(field_path, value)])
    with pytest.raises(DataError, match=message) as caught:
        read_items(path)
    assert caught.value.file == str(path)
    assert caught.value.record == "item story1|3|1"
    assert caught.value.field == field


def test_non_ambiguous_item_with_a_clarification_is_rejected(tmp_path):
    path = write(tmp_path, [mutate("ambiguity", "non_ambiguous")])
    with pytest.raises(DataError, match="non-ambiguous item has an empty") as caught:
        read_items(path)
    assert caught.value.field == "clarification_turn"


@pytest.mark.parametrize("identifier", ["story1", "|3|1", "story1|3"])
def test_malformed_id(tmp_path, identifier):
    with pytest.raises(DataError, match="an id must read") as caught:
        read_items(write(tmp_path, [mutate("id", identifier)]))
    assert caught.value.field == "id"


def test_missing_id_is_named_by_position(tmp_path):
    with pytest.raises(DataError, match="missing field 'id'") as caught:
        read_items(write(tmp_path, [VALID_ITEM, mutate("id", ...)]))
    assert caught.value.record == "item [1]"


def test_duplicate_ids(tmp_path):
    with pytest.raises(DataError, match="duplicate item id") as caught:
        read_items(write(tmp_path, [VALID_ITEM, VALID_ITEM]))
    assert caught.value.record == "item story1|3|1"


@pytest.mark.parametrize("top", [[VALID_ITEM], {"version": "1.0"}, {"data": {}}])
def test_wrong_top_level_shape(tmp_path, top):
    with pytest.raises(DataError, match=r'expected a JSON object \{"version"'):
        read_items(write(tmp_path, None, top=top))


def test_truncated_file(tmp_path):
    path = tmp_path / "coqa_abg_val.json"
    path.write_text(json.dumps({"version": "1.0", "data": [VALID_ITEM]})[:-20])
    with pytest.raises(DataError, match="invalid JSON") as caught:
        read_items(path)
    assert "act-bench data download abg-coqa" in caught.value.hint
