"""IRPO labeling and pairing with scripted samples; the preference collator's extras."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch
from act_bench_baselines.common.config import parse_config
from act_bench_baselines.common.trainer import PreferenceCollator
from act_bench_baselines.irpo.trainer import (
    IRPOConfig,
    IRPORun,
    LabeledSample,
    irpo_pairs,
    label_sample,
)

from act_bench.errors import ConfigError
from act_bench.task import get_task, turn_states

PACIFIC = get_task("pacific")


def _states(data_dir: Path):
    return turn_states(PACIFIC.load("validation", data_dir))


def _sample(text: str, correct: bool, index: int = 0) -> LabeledSample:
    return LabeledSample("t", index, text, 1.0 if correct else 0.0, correct)


def test_labels_score_against_the_goal_or_the_gold_response(tiny_data_dir: Path) -> None:
    answer, clarify = _states(tiny_data_dir)[0], _states(tiny_data_dir)[1]
    assert answer.gold_response == "['100']"
    assert label_sample(PACIFIC, answer, "['100']", against="goal", threshold=0.5) == (1.0, True)
    assert label_sample(PACIFIC, answer, "['90']", against="goal", threshold=0.5) == (0.0, False)
    # a clarifying turn: its goal is the answer after clarification (90), its response a question
    question = "Which year are you asking about?"
    assert label_sample(PACIFIC, clarify, question, against="goal", threshold=0.5)[1] is False
    assert label_sample(PACIFIC, clarify, "['90']", against="goal", threshold=0.5)[1] is True
    assert label_sample(PACIFIC, clarify, question, against="response", threshold=0.5)[1] is True
    # H > ε, strictly (Alg. 2 line 13)
    assert label_sample(PACIFIC, answer, "['100']", against="goal", threshold=1.0)[1] is False


def test_pairs_join_correct_winners_with_incorrect_losers(tiny_data_dir: Path) -> None:
    state = _states(tiny_data_dir)[0]
    samples = [_sample("a", True, 0), _sample("b", False, 1), _sample("c", False, 2)]
    samples += [_sample("a", True, 3)]  # a duplicate text pairs once
    pairs = irpo_pairs(state, samples, max_pairs=5, rng=random.Random(0))
    assert sorted((p.chosen, p.rejected) for p in pairs) == [("a", "b"), ("a", "c")]
    assert all(p.turn_state_id == state.id for p in pairs)
    capped = irpo_pairs(state, samples, max_pairs=1, rng=random.Random(0))
    assert len(capped) == 1 and capped[0].chosen == "a"


def test_prompts_without_both_labels_give_no_pair_unless_gold_wins(tiny_data_dir: Path) -> None:
    state = _states(tiny_data_dir)[0]
    wrong = [_sample("x", False, 0), _sample("y", False, 1)]
    assert irpo_pairs(state, wrong, max_pairs=4, rng=random.Random(0)) == []
    assert irpo_pairs(state, [_sample("a", True)], max_pairs=4, rng=random.Random(0)) == []
    with_gold = irpo_pairs(
        state, wrong, max_pairs=4, rng=random.Random(0), gold_winner_fallback=True
    )
    assert {(p.chosen, p.rejected) for p in with_gold} == {("['100']", "x"), ("['100']", "y")}
    assert {p.provenance["chosen_from"] for p in with_gold} == {"gold"}


def test_collator_passes_row_indices_and_per_token_masks() -> None:
    collator = PreferenceCollator(pad_token_id=0, max_length=6)
    examples = [
        {
            "prompt_ids": [1, 2],
            "chosen_ids": [3, 4, 5],
            "rejected_ids": [6],
            "chosen_mask": [1, 0, 1],  # e.g. a simulated user's token in the middle
            "rejected_mask": [1],
            "example_index": 7,
        },
        {
            "prompt_ids": [8],
            "chosen_ids": [9, 10, 11, 12, 13, 14],
            "rejected_ids": [15, 16],
            "chosen_mask": [1, 1, 1, 1, 1, 1],
            "rejected_mask": [0, 1],
            "example_index": 2,
        },
    ]
    batch = collator(examples)
    assert batch["example_index"].tolist() == [7, 2]
    assert batch["input_ids"].shape == (4, 6)
    assert batch["completion_mask"].tolist() == [
        [0, 0, 1, 0, 1, 0],
        [0, 1, 1, 1, 1, 1],  # truncated to max_length like the ids
        [0, 0, 1, 0, 0, 0],
        [0, 0, 1, 0, 0, 0],
    ]
    plain = collator([{k: v for k, v in e.items() if "mask" not in k} for e in examples])
    assert plain["completion_mask"][0].tolist() == [0, 0, 1, 1, 1, 0]
    assert torch.equal(plain["input_ids"], batch["input_ids"])


def test_pair_statistics_count_every_prompt(tiny_data_dir: Path, tmp_path: Path) -> None:

    config = parse_config(
        IRPOConfig, ["--output_dir", str(tmp_path), "--max_pairs_per_prompt", "1"]
    )
    run = IRPORun(config)
    states = _states(tiny_data_dir)[:3]
    samples = {
        states[0].id: [_sample("a", True, 0), _sample("b", False, 1)],
        states[1].id: [_sample("c", True, 0), _sample("c2", True, 1)],
        states[2].id: [_sample("d", False, 0), _sample("e", False, 1)],
    }
    pairs, stats = run.pair(states, samples, iteration=1)
    assert [(p.turn_state_id, p.chosen, p.rejected) for p in pairs] == [(states[0].id, "a", "b")]
    assert stats.to_json() == {
        "prompts": 3,
        "samples": 6,
        "correct": 3,
        "failed": 0,
        "prompts_with_pairs": 1,
        "all_correct": 1,
        "all_incorrect": 1,
        "pairs": 1,
        "gold_winner_pairs": 0,
    }


def test_irpo_never_overwrites_a_run_and_resumes_whole(tmp_path: Path) -> None:

    (tmp_path / "iterations" / "1").mkdir(parents=True)
    with pytest.raises(ConfigError, match="already holds an IRPO run"):
        IRPORun(parse_config(IRPOConfig, ["--output_dir", str(tmp_path)]))._check_resume()
    resume = ["--output_dir", str(tmp_path), "--resume_from_checkpoint"]
    assert IRPORun(parse_config(IRPOConfig, [*resume, "last"]))._check_resume() is True
    with pytest.raises(ConfigError, match="resumes a whole run"):
        IRPORun(parse_config(IRPOConfig, [*resume, str(tmp_path / "checkpoint-1")]))._check_resume()
