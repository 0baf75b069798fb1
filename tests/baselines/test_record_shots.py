"""training_config.json lists the conversations M's control prompts showed (App. F)."""

from __future__ import annotations

import pytest
from act_bench_baselines.common.record import shots_seen

from act_bench.errors import ConfigError


def _build(pool: str, ids: list[str]) -> dict:
    return {"pairs": 3, "shots": {"pool": pool, "conversation_ids": ids, "used": len(ids)}}


def test_shots_of_every_d_pref_build_are_gathered_by_split():
    data = {
        "train": {"split": "validation", "conversation_ids": ["a"]},
        "preferences": {"train": _build("validation", ["s2", "s1"]), "validation": None},
        "selection_preferences": _build("validation", ["s3", "s1"]),
    }
    assert shots_seen(data) == {"split": "validation", "conversation_ids": ["s1", "s2", "s3"]}


def test_bundled_sample_shots_are_not_a_split_and_none_is_none():
    assert shots_seen({"preferences": {"train": _build("bundled-sample", ["x"])}}) is None
    assert shots_seen({"train": {"split": "train", "conversation_ids": ["a"]}}) is None


def test_shots_from_two_splits_are_refused():
    data = {"a": _build("train", ["x"]), "b": _build("validation", ["y"])}
    with pytest.raises(ConfigError, match="several splits"):
        shots_seen(data)
