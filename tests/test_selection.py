"""A checkpoint's selection conversations are left out of its evaluation on that split."""

from __future__ import annotations

import json

import pytest

from act_bench.errors import DataError
from act_bench.evaluation import EvalConfig, _excluded_selection, select_turn_states
from act_bench.selection import selection_conversations
from act_bench.task import get_task, turn_states


@pytest.fixture(autouse=True)
def _bundled_sample(monkeypatch):
    """The bundled sample, even where $ACT_BENCH_DATA points at the real data."""
    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)


PACIFIC = get_task("pacific")


def checkpoint(tmp_path, validation, task="pacific"):
    """A checkpoint folder whose training_config.json records ``validation``."""
    folder = tmp_path / "ckpt"
    folder.mkdir()
    record = {"task": task, "data": {"validation": validation}}
    (folder / "training_config.json").write_text(json.dumps(record))
    return f"hf:{folder}"


def test_selection_conversations_are_excluded_and_counted(tmp_path):
    conversations = PACIFIC.load("validation", None)
    chosen = conversations[0]
    model = checkpoint(
        tmp_path, {"split": "validation", "conversation_ids": [chosen.id], "conversations": 1}
    )
    config = EvalConfig(model=model, split="validation")
    states, _ = select_turn_states(PACIFIC, config)
    everything = turn_states(conversations)
    assert len(states) == len(everything) - len(chosen.turn_states)
    assert chosen.id not in {state.conversation_id for state in states}
    assert _excluded_selection(PACIFIC, config, None) == len(chosen.turn_states) > 0

    kept = EvalConfig(model=model, split="validation", include_selection=True)
    assert len(select_turn_states(PACIFIC, kept)[0]) == len(everything)
    assert _excluded_selection(PACIFIC, kept, None) == 0


def test_other_splits_tasks_and_models_are_untouched(tmp_path):
    model = checkpoint(tmp_path, {"split": "train", "conversation_ids": ["x"]})
    assert selection_conversations(model).split == "train"
    assert _excluded_selection(PACIFIC, EvalConfig(model=model), None) == 0
    assert selection_conversations("smollm2") is None
    assert selection_conversations(f"hf:{tmp_path / 'missing'}") is None


def test_a_malformed_record_names_its_file_and_field(tmp_path):
    model = checkpoint(tmp_path, {"split": "validation", "conversation_ids": "c1"})
    with pytest.raises(DataError) as error:
        selection_conversations(model)
    assert error.value.field == "conversation_ids" and "training_config.json" in str(error.value)


def test_a_checkpoint_served_by_vllm_is_excluded_too(tmp_path):
    model = checkpoint(tmp_path, {"split": "validation", "conversation_ids": ["c1"]})
    served = model.replace("hf:", "vllm:", 1)
    assert selection_conversations(served).conversation_ids == {"c1"}
    assert selection_conversations("litellm:openai/gpt-4o") is None


def test_training_conversations_on_the_evaluated_split_are_excluded_too(tmp_path):
    """A checkpoint trained with --train_split validation never scores its training
    conversations on validation, with or without a selection sample."""
    conversations = PACIFIC.load("validation", None)
    trained, selected = conversations[0], conversations[1]
    folder = tmp_path / "ckpt"
    folder.mkdir()
    data = {
        "train": {"split": "validation", "conversation_ids": [trained.id]},
        "validation": {"split": "validation", "conversation_ids": [selected.id]},
    }
    (folder / "training_config.json").write_text(json.dumps({"task": "pacific", "data": data}))
    config = EvalConfig(model=f"hf:{folder}", split="validation")
    kept = {state.conversation_id for state in select_turn_states(PACIFIC, config)[0]}
    assert kept == {conversations[2].id}
    assert selection_conversations(config.model).conversation_ids == {selected.id}

    data["validation"] = None  # trained without checkpoint selection
    (folder / "training_config.json").write_text(json.dumps({"task": "pacific", "data": data}))
    kept = {state.conversation_id for state in select_turn_states(PACIFIC, config)[0]}
    assert kept == {selected.id, conversations[2].id}


def test_listed_conversations_are_left_out_of_any_model(tmp_path):
    conversations = PACIFIC.load("validation", None)
    config = EvalConfig(model="smollm2", exclude_conversations=(conversations[0].id,))
    kept = {state.conversation_id for state in select_turn_states(PACIFIC, config)[0]}
    assert kept == {c.id for c in conversations[1:]}
    assert "exclude_conversations" not in EvalConfig().identity()
    assert config.identity()["exclude_conversations"] == (conversations[0].id,)


def test_the_conversations_m_was_shown_are_excluded_too(tmp_path):
    """ACT's D_pref conditions M on in-context conversations of the training pool (App. F);
    trained on validation, those must not be scored either."""
    conversations = PACIFIC.load("validation", None)
    folder = tmp_path / "ckpt"
    folder.mkdir()
    data = {
        "train": {"split": "train", "conversation_ids": ["t1"]},
        "shots": {"split": "validation", "conversation_ids": [conversations[1].id]},
    }
    (folder / "training_config.json").write_text(json.dumps({"task": "pacific", "data": data}))
    config = EvalConfig(model=f"hf:{folder}", split="validation")
    kept = {state.conversation_id for state in select_turn_states(PACIFIC, config)[0]}
    assert kept == {conversations[0].id, conversations[2].id}
