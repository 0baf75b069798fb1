"""``act-bench score --protocol/--mode``: the protocol's response handling and DROP F1 mode."""

from __future__ import annotations

import json

import pytest
from act_bench_tasks.pacific import task as pacific

from act_bench.errors import ConfigError
from act_bench.scoring import score_predictions


@pytest.fixture(autouse=True)
def _bundled_sample(monkeypatch):
    """The bundled sample, even where $ACT_BENCH_DATA points at the real data."""
    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)


@pytest.fixture()
def predictions(tmp_path):
    """The sample's answer turn whose gold answer is ['27,899'] (thousand), answered with a
    second line that only PACIFIC's reading of the whole text sees."""
    state = pacific.load("validation", None)[0].turn_states[2]
    path = tmp_path / "predictions.jsonl"
    path.write_text(json.dumps({"id": state.id, "prediction": "27,899 thousand\n(see table)"}))
    return path


def test_the_mode_decides_the_headline_and_the_other_is_reported_beside_it(predictions):
    pacific_first = score_predictions("pacific", predictions)
    act_first = score_predictions("pacific", predictions, mode="act")
    assert act_first["turn_drop_f1"] == pacific_first["turn_drop_f1_act"]
    assert act_first["turn_drop_f1_pacific"] == pacific_first["turn_drop_f1"]
    # get_metrics: {assistant, 27899, thousand, see, table} vs {assistant, 27899} -> 4/7
    assert act_first["turn_drop_f1"] == 57.0


def test_act_paper_scores_the_first_line_only(predictions):
    paper = score_predictions("pacific", predictions, protocol="act-paper")
    # "Assistant: 27,899 thousand" vs "Assistant: ['27,899']": P 2/3, R 1 -> 0.8
    assert paper["turn_drop_f1"] == 80.0 and paper["turn_drop_f1_pacific"] == 100.0


def test_a_mode_the_task_does_not_have_is_refused(predictions, tmp_path):
    with pytest.raises(ConfigError, match="--mode 'act' is not a mode of ambigsql"):
        score_predictions("ambigsql", tmp_path / "none.jsonl", mode="act")
    with pytest.raises(ConfigError, match="--mode 'tatqa'"):
        score_predictions("pacific", predictions, mode="tatqa")
