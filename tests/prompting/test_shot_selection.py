"""Drawing in-context conversations: seeded, never an evaluated conversation, recorded."""

from __future__ import annotations

import pytest
from act_bench_tasks.pacific import task

from act_bench.errors import ConfigError
from act_bench.prompting import select_shots
from act_bench.prompting.shots import BUNDLED_POOL, shot_from_conversation
from act_bench.types import Action


def test_same_seed_same_shots_and_a_different_seed_can_differ(bundled_sample):
    picks = {
        seed: select_shots(
            task, num_shots=1, seed=seed, data_dir=None, pool_split="validation"
        ).to_json()["conversation_ids"]
        for seed in range(6)
    }
    again = select_shots(task, num_shots=1, seed=0, data_dir=None, pool_split="validation")
    assert again.to_json()["conversation_ids"] == picks[0]
    assert len({tuple(ids) for ids in picks.values()}) > 1


def test_evaluated_conversations_are_never_shots(bundled_sample):
    conversations = task.load("validation", None)
    excluded = {conversations[0].id}
    selection = select_shots(
        task, num_shots=5, seed=0, data_dir=None, pool_split="validation", exclude=excluded
    )
    ids = selection.to_json()["conversation_ids"]
    assert sorted(ids) == sorted(c.id for c in conversations[1:])
    assert selection.pool_size == len(conversations) - 1 == 2
    assert selection.note is not None and "2 of the 5" in selection.note


def test_pool_is_250_conversations_as_in_the_paper(data_dir):
    selection = select_shots(task, num_shots=2, seed=0, data_dir=data_dir, pool_split="validation")
    assert selection.pool_size == 250


def test_absent_train_split_falls_back_to_the_bundled_sample_and_says_so(tmp_path):
    (tmp_path / "pacific").mkdir()  # a data root without PACIFIC's train.json
    selection = select_shots(task, num_shots=10, seed=0, data_dir=tmp_path)
    record = selection.to_json()
    assert record["pool"] == BUNDLED_POOL
    assert record["used"] == 3 and record["requested"] == 10
    assert "train split is absent" in record["note"] and "3 of the 10" in record["note"]


def test_zero_shots_reads_no_data():
    assert select_shots(task, num_shots=0, seed=0, data_dir=None).to_json()["used"] == 0
    with pytest.raises(ConfigError):
        select_shots(task, num_shots=-1, seed=0, data_dir=None)


def test_a_shot_holds_every_exchange_with_its_gold_action():
    conversation = task.load("validation", None)[0]
    shot = shot_from_conversation(conversation)
    assert len(shot.exchanges) == len(conversation.turn_states)
    assert [e.action for e in shot.exchanges] == [s.gold_action for s in conversation.turn_states]
    assert Action.CLARIFY in {e.action for e in shot.exchanges}
    assert shot.exchanges[-1].response == conversation.turn_states[-1].gold_response
