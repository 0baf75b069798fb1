"""IRPO labeling and pairing with scripted samples; the preference collator's extras."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch
from act_bench_baselines.common.config import parse_config
from act_bench_baselines.common.trainer import PreferenceCollator
from act_bench_baselines.irpo.config import IRPOConfig
from act_bench_baselines.irpo.labelling import LabeledSample, LabelRule, label_sample
from act_bench_baselines.irpo.pairing import irpo_pairs, pair_samples
from act_bench_baselines.irpo.trainer import IRPORun

from act_bench.errors import ConfigError
from act_bench.prompting import get_prompt_style
from act_bench.protocols import ACT_PAPER
from act_bench.task import get_task, turn_states
from act_bench.types import Action

PACIFIC = get_task("pacific")
AMBIGSQL = get_task("ambigsql")
GOAL = LabelRule(against="goal", threshold=0.5)


def _states(data_dir: Path):
    return turn_states(PACIFIC.load("validation", data_dir))


def _sample(text: str, correct: bool, index: int = 0) -> LabeledSample:
    return LabeledSample("t", index, text, 1.0 if correct else 0.0, correct, Action.ANSWER)


def test_answers_are_correct_iff_they_answer_and_clear_epsilon(tiny_data_dir: Path) -> None:
    answer = _states(tiny_data_dir)[0]
    assert answer.gold_response == "['100']"
    assert label_sample(PACIFIC, answer, "['100']", action=Action.ANSWER, rule=GOAL) == (
        1.0,
        True,
    )
    assert label_sample(PACIFIC, answer, "['90']", action=Action.ANSWER, rule=GOAL) == (0.0, False)
    # the right words, judged a question by A: the wrong action is never correct
    assert label_sample(PACIFIC, answer, "['100']", action=Action.CLARIFY, rule=GOAL)[1] is False
    # ε compared as the protocol compares it: act-bench H > ε, act-paper H >= ε
    at_one = LabelRule(threshold=1.0)
    assert label_sample(PACIFIC, answer, "['100']", action=Action.ANSWER, rule=at_one)[1] is False
    paper = LabelRule(threshold=1.0, protocol=ACT_PAPER)
    assert label_sample(PACIFIC, answer, "['100']", action=Action.ANSWER, rule=paper)[1] is True


@pytest.mark.parametrize("against", ["goal", "response"])
def test_a_gold_clarifying_question_is_correct_on_pacific(tiny_data_dir: Path, against) -> None:
    clarify = next(ts for ts in _states(tiny_data_dir) if ts.gold_action is Action.CLARIFY)
    rule = LabelRule(against=against)
    question = clarify.gold_response
    assert label_sample(PACIFIC, clarify, question, action=Action.CLARIFY, rule=rule) == (
        1.0,
        True,
    )
    # answering an ambiguous request is the wrong action, even with the goal's answer
    assert label_sample(PACIFIC, clarify, "['90']", action=Action.ANSWER, rule=rule)[1] is False


def test_on_ambigsql_asking_is_correct_and_the_sql_after_clarifying_is_scored() -> None:
    """A question executes as no SQL (H = 0 against the goal), yet asking is right at t1;
    at t2 the clear request's gold SQL is what is correct (App. C.1)."""
    [ambiguous] = [c for c in AMBIGSQL.load_training("train", None) if len(c.turn_states) == 2][:1]
    t1, t2 = ambiguous.turn_states
    question = t1.gold_response
    assert AMBIGSQL.score_outcome(question, t1.goals[0]) == 0.0
    assert label_sample(AMBIGSQL, t1, question, action=Action.CLARIFY, rule=GOAL)[1] is True
    # the gold SQL without asking is the wrong action at an ambiguous request
    answered = label_sample(AMBIGSQL, t1, t1.goals[0].answer, action=Action.ANSWER, rule=GOAL)
    assert answered[1] is False
    assert label_sample(AMBIGSQL, t2, t2.gold_response, action=Action.ANSWER, rule=GOAL) == (
        1.0,
        True,
    )
    assert label_sample(AMBIGSQL, t2, question, action=Action.CLARIFY, rule=GOAL)[1] is False


def test_a_similarity_floor_makes_an_off_topic_question_wrong(tiny_data_dir: Path) -> None:
    clarify = next(ts for ts in _states(tiny_data_dir) if ts.gold_action is Action.CLARIFY)
    floored = LabelRule(clarify_similarity_floor=0.5)

    def similarity(pairs):  # word overlap stands in for the embedding model
        return [len(set(a.split()) & set(b.split())) / len(set(b.split())) for a, b in pairs]

    near = clarify.gold_response
    far = "Do you like tables?"
    assert label_sample(
        PACIFIC, clarify, near, action=Action.CLARIFY, rule=floored, similarity=similarity
    ) == (1.0, True)
    score, correct = label_sample(
        PACIFIC, clarify, far, action=Action.CLARIFY, rule=floored, similarity=similarity
    )
    assert correct is False and score < 0.5


def test_pairs_join_correct_winners_with_incorrect_losers(tiny_data_dir: Path) -> None:
    state = _states(tiny_data_dir)[0]
    samples = [_sample("a", True, 0), _sample("b", False, 1), _sample("c", False, 2)]
    samples += [_sample("a", True, 3)]  # a duplicate text pairs once
    pairs = irpo_pairs(state, samples, max_pairs=5, rng=random.Random(0))
    assert sorted((p.chosen, p.rejected) for p in pairs) == [("a", "b"), ("a", "c")]
    assert all(p.turn_state_id == state.id for p in pairs)
    capped = irpo_pairs(state, samples, max_pairs=1, rng=random.Random(0))
    assert len(capped) == 1 and capped[0].chosen == "a"


def test_cot_pairs_write_each_text_after_its_reasoning_line(tiny_data_dir: Path) -> None:
    state = _states(tiny_data_dir)[0]
    style = get_prompt_style("cot")
    asked = LabeledSample("t", 1, "Which year?", 0.0, False, Action.CLARIFY)

    def styled(text, action):
        return style.exchange("", text, action)[-1].content

    [pair] = irpo_pairs(
        state, [_sample("['100']", True), asked], max_pairs=2, rng=random.Random(0), styled=styled
    )
    assert pair.chosen.startswith("Reasoning: The user’s question is not ambiguous.")
    assert pair.rejected.startswith("Reasoning: The user’s question was ambiguous.")
    assert style.final_utterance(pair.rejected) == "Which year?"


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


def test_pair_statistics_count_every_prompt(tiny_data_dir: Path) -> None:
    states = _states(tiny_data_dir)[:3]
    samples = {
        states[0].id: [_sample("a", True, 0), _sample("b", False, 1)],
        states[1].id: [_sample("c", True, 0), _sample("c2", True, 1)],
        states[2].id: [_sample("d", False, 0), _sample("e", False, 1)],
    }
    pairs, stats = pair_samples(states, samples, max_pairs=1, rng=random.Random(0))
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


def test_irpo_samples_in_cot_by_default_and_records_it(tmp_path: Path) -> None:
    config = parse_config(IRPOConfig, ["--output-dir", str(tmp_path)])
    assert config.prompt_style == "cot" and IRPORun(config).prompt_style().name == "cot"
    standard = parse_config(
        IRPOConfig, ["--output-dir", str(tmp_path), "--prompt-style", "standard"]
    )
    assert standard.data_identity()["prompt_style"] == "standard"
    with pytest.raises(ConfigError, match="similarity-floor"):
        parse_config(IRPOConfig, ["--output-dir", str(tmp_path), "--clarify-similarity-floor", "2"])


def test_irpo_never_overwrites_a_run_and_resumes_whole(tmp_path: Path) -> None:

    (tmp_path / "iterations" / "1").mkdir(parents=True)
    with pytest.raises(ConfigError, match="already holds an IRPO run"):
        IRPORun(parse_config(IRPOConfig, ["--output_dir", str(tmp_path)]))._check_resume()
    resume = ["--output_dir", str(tmp_path), "--resume_from_checkpoint"]
    assert IRPORun(parse_config(IRPOConfig, [*resume, "last"]))._check_resume() is True
    with pytest.raises(ConfigError, match="resumes a whole run"):
        IRPORun(parse_config(IRPOConfig, [*resume, str(tmp_path / "checkpoint-1")]))._check_resume()
