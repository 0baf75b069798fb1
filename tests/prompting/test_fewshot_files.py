"""A task's few-shot data file is validated when read: errors name file, record and field."""

from __future__ import annotations

import json

import pytest
from act_bench_tasks.abg_coqa import fewshot as abg_fewshot
from act_bench_tasks.ambigsql import fewshot as ambigsql_fewshot
from act_bench_tasks.pacific import fewshot as pacific_fewshot

from act_bench.errors import DataError
from act_bench.types import Action, Role


def _broken(tmp_path, module, edit):
    data = json.loads(module.EXAMPLES_PATH.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "fewshot.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_an_unknown_action_names_the_record_and_field(tmp_path):
    path = _broken(tmp_path, pacific_fewshot, lambda d: d["classifier"][3].update(action="ASK"))
    with pytest.raises(DataError) as raised:
        pacific_fewshot.examples_file.__wrapped__(path).classifier_examples()
    assert raised.value.file == str(path)
    assert raised.value.record == "classifier [3]" and raised.value.field == "action"
    assert "CLARIFY" in str(raised.value)


def test_an_unknown_grounding_lists_the_known_ones(tmp_path):
    path = _broken(
        tmp_path, abg_fewshot, lambda d: d["simulator"]["reply"][1].update(grounding="ferry")
    )
    with pytest.raises(DataError, match="unknown grounding 'ferry'.*bridge") as raised:
        abg_fewshot.examples_file.__wrapped__(path).simulator_examples()
    assert (raised.value.record, raised.value.field) == ("simulator.reply [1]", "grounding")


def test_an_even_number_of_turns_is_refused(tmp_path):
    path = _broken(tmp_path, ambigsql_fewshot, lambda d: d["classifier"][0]["turns"].append("x"))
    with pytest.raises(DataError, match="odd number of turns") as raised:
        ambigsql_fewshot.examples_file.__wrapped__(path).classifier_examples()
    assert (raised.value.record, raised.value.field) == ("classifier [0]", "turns")


def test_a_bad_grounding_value_is_refused_when_the_file_is_read(tmp_path):
    def edit(data):
        data["groundings"]["harbourline"]["table"][1] = "not a row"

    path = _broken(tmp_path, pacific_fewshot, edit)
    with pytest.raises(DataError, match="table row 1") as raised:
        pacific_fewshot.examples_file.__wrapped__(path)
    assert (raised.value.record, raised.value.field) == ("groundings.harbourline", "table")


def test_a_missing_field_of_an_interpretation_turn_is_named(tmp_path):
    def edit(data):
        del data["simulator"]["intent"][0]["dialogue"][-1]["clarification"]

    path = _broken(tmp_path, abg_fewshot, edit)
    with pytest.raises(DataError, match="missing field 'clarification'") as raised:
        abg_fewshot.examples_file.__wrapped__(path).simulator_examples()
    assert raised.value.record == "simulator.intent [0] dialogue[4]"


def test_turns_alternate_from_the_user():
    example = pacific_fewshot.classifier_examples()[1]
    assert [m.role for m in example.prompt.history] == [Role.USER, Role.ASSISTANT]
    assert example.prompt.request == "2021" and example.action is Action.ANSWER
