"""Evaluation protocols: one test per act-paper rule, and no credit without an answer."""

from __future__ import annotations

import pytest
from act_bench_baselines.act.onpolicy import ActSettings, Branch, build_pairs
from act_bench_baselines.act.preferences import PreferenceExample
from act_bench_tasks.pacific import task as pacific
from helpers import EchoSimulator, QuestionMarkClassifier, ScriptedBackend

from act_bench.backends import SamplingParams
from act_bench.episode import Episode, TurnRules, simulate_trajectories
from act_bench.errors import ConfigError
from act_bench.evaluation import EvalConfig, score_episode
from act_bench.metrics import metric_counts
from act_bench.protocols import ACT_BENCH, ACT_PAPER, get_protocol
from act_bench.task import get_task
from act_bench.types import Action, StopReason

ALWAYS_ASK = "Which year are you asking about?"


def sample_states():
    """The bundled sample's first conversation: turn 0 answers, turn 1 clarifies."""
    return pacific.load("validation", None)[0].turn_states


def simulate(states, script, rules):
    return simulate_trajectories(
        [Episode(state) for state in states],
        policy=ScriptedBackend(script),
        render=pacific.render_messages,
        classifier=QuestionMarkClassifier(),
        simulator=EchoSimulator("2019"),
        sampling=SamplingParams(max_new_tokens=8),
        rules=rules,
    )


def test_the_registry_names_both_protocols_and_suggests_the_closest():
    assert get_protocol("act-paper") is ACT_PAPER and get_protocol("act-bench") is ACT_BENCH
    with pytest.raises(ConfigError) as error:
        get_protocol("act_paper")
    assert error.value.hint == "did you mean 'act-paper'?"


def test_act_paper_keeps_the_first_line_of_each_response():
    state = sample_states()[0]
    rules = ACT_PAPER.turn_rules(None, pacific.defaults)
    [trajectory] = simulate([state], lambda m: "  ['2019']\nBecause the table says so.", rules)
    assert trajectory.turns[0].text == "['2019']"
    assert trajectory.turns[0].raw_text == "  ['2019']\nBecause the table says so."
    [whole] = simulate(
        [state], lambda m: "['2019']\nBecause.", ACT_BENCH.turn_rules(None, pacific.defaults)
    )
    assert whole.turns[0].text == "['2019']\nBecause."


def test_sql_is_never_cut_at_its_first_line():
    ambigsql = get_task("ambigsql")
    assert ACT_PAPER.turn_rules(None, ambigsql.defaults).first_line_only is False
    assert ACT_PAPER.turn_rules(None, pacific.defaults).first_line_only is True


def test_act_paper_generates_128_tokens_and_tasks_keep_larger_defaults():
    paper = EvalConfig(task="pacific", protocol="act-paper").resolved()
    assert (paper.max_new_tokens, paper.max_turns) == (128, 2)
    assert EvalConfig(task="pacific").resolved().max_new_tokens == 64
    assert EvalConfig(task="ambigsql").resolved().max_new_tokens == 256
    assert EvalConfig(task="ambigsql", protocol="act-paper").resolved().max_new_tokens == 256
    assert EvalConfig(task="pacific", max_new_tokens=40).resolved().max_new_tokens == 40
    assert EvalConfig(task="pacific", max_turns=5).resolved().max_turns == 5
    assert paper.resolved() == paper  # resolving twice changes nothing
    sql = EvalConfig(task="ambigsql", protocol="act-paper").resolved()
    assert sql.resolved() == sql


def test_act_paper_refuses_flags_that_break_its_rules():
    with pytest.raises(ConfigError, match="--max-new-tokens 64 contradicts protocol act-paper"):
        EvalConfig(task="pacific", protocol="act-paper", max_new_tokens=64).resolved()
    with pytest.raises(ConfigError, match="--max-turns 3 contradicts protocol act-paper"):
        EvalConfig(task="pacific", protocol="act-paper", max_turns=3).resolved()


def test_act_paper_simulates_exactly_one_round_and_takes_the_next_response_as_the_answer():
    state = sample_states()[1]
    rules = ACT_PAPER.turn_rules(None, pacific.defaults)
    [trajectory] = simulate([state], lambda m: ALWAYS_ASK, rules)
    assert len(trajectory.policy_turns) == 2
    assert trajectory.stop_reason is StopReason.FINAL_TURN
    assert trajectory.policy_turns[-1].action is Action.CLARIFY  # recorded as classified
    assert trajectory.answered and trajectory.outcome == ALWAYS_ASK


def test_act_bench_never_credits_a_trajectory_that_never_answered():
    state = sample_states()[1]  # gold: clarify "Which year are you asking about?"
    rules = TurnRules(max_turns=3)
    [trajectory] = simulate([state], lambda m: ALWAYS_ASK, rules)
    assert trajectory.stop_reason is StopReason.TURN_CAP and not trajectory.answered
    record = score_episode(pacific, Episode(state), trajectory, ACT_BENCH)
    assert record.turn_score == 1.0  # the first response is the right question
    assert record.trajectory_score == 0.0
    assert record.other_modes["act"].trajectory_score == 0.0
    counts = metric_counts([record])
    assert counts["n_no_answer"] == 1 and counts["n_turn_cap"] == 1


def test_the_protocols_score_the_same_trajectory_in_their_own_modes():
    state = sample_states()[2]  # an answer turn whose gold answer is ['27,899'] (thousand)
    [trajectory] = simulate([state], lambda m: "27,899 thousand", TurnRules(max_turns=1))
    paper = score_episode(pacific, Episode(state), trajectory, ACT_PAPER)
    ours = score_episode(pacific, Episode(state), trajectory, ACT_BENCH)
    # PACIFIC's evaluator reads the scale word; get_metrics compares tokens of
    # "Assistant: 27,899 thousand" with those of "Assistant: ['27,899']".
    assert ours.trajectory_score == 1.0 and paper.other_modes["pacific"].trajectory_score == 1.0
    assert paper.trajectory_score == 0.8 and ours.other_modes["act"].trajectory_score == 0.8


def test_pacific_tolerance_is_the_authors_and_others_are_documented():
    assert pacific.defaults.act_tolerance == 0.9
    assert get_task("abg-coqa").defaults.act_tolerance == 0.5
    assert get_task("ambigsql").defaults.max_new_tokens >= 256


def test_a_policy_that_never_stops_asking_loses_its_act_trajectory():
    state = sample_states()[1]
    example = PreferenceExample(
        turn_state=state,
        action=Action.CLARIFY,
        rejected_action=Action.ANSWER,
        chosen=state.gold_response,
        rejected="offline loser",
        rejected_judged=Action.ANSWER,
        generator="scripted",
        action_labels="gold",
    )
    pairs, _ = build_pairs(
        [example],
        task=pacific,
        policy=ScriptedBackend(lambda m: ALWAYS_ASK),
        render=pacific.render_messages,
        classifier=QuestionMarkClassifier(),
        simulator=EchoSimulator("2019"),
        sampling=SamplingParams(max_new_tokens=8),
        settings=ActSettings(tolerance=0.0),  # even ε = 0 does not save it
    )
    [pair] = pairs
    assert pair.branch is Branch.BAD_TRAJECTORY and pair.outcome_score == 0.0


def test_a_sample_that_asks_at_an_answer_turn_is_never_a_correct_irpo_sample():
    from act_bench_baselines.irpo.labelling import LabelRule, label_sample

    state = sample_states()[2]  # gold answer ['27,899']
    # A sample that names the answer but asks (the classifier reads it as CLARIFY).
    asking = "27,899 thousand?"
    bench, paper = LabelRule(threshold=0.5), LabelRule(threshold=0.5, protocol=ACT_PAPER)
    assert label_sample(pacific, state, asking, action=Action.ANSWER, rule=bench) == (1.0, True)
    # act-bench: an unanswered sample scores 0 against the goal; act-paper credits its
    # content (get_metrics' mode), but either way asking is the wrong action here
    assert label_sample(pacific, state, asking, action=Action.CLARIFY, rule=bench) == (0.0, False)
    assert label_sample(pacific, state, asking, action=Action.CLARIFY, rule=paper) == (0.8, False)


def test_act_training_takes_the_task_tolerance_and_the_protocol_rules(tmp_path):
    from act_bench_baselines.act.trainer import ActConfig
    from act_bench_baselines.common.config import parse_config

    pacific_config = parse_config(ActConfig, ["--output_dir", str(tmp_path)])
    assert pacific_config.tolerance == 0.9 and pacific_config.max_new_tokens == 64
    assert pacific_config.settings().protocol is ACT_BENCH
    explicit = parse_config(ActConfig, ["--output_dir", str(tmp_path), "--tolerance", "0.3"])
    assert explicit.tolerance == 0.3
    paper = parse_config(ActConfig, ["--output_dir", str(tmp_path), "--protocol", "act-paper"])
    assert (paper.max_new_tokens, paper.max_turns) == (128, 2)
    assert paper.settings().turn_rules(pacific).first_line_only
    abg = parse_config(ActConfig, ["--output_dir", str(tmp_path), "--task", "abg-coqa"])
    assert abg.tolerance == 0.5


def test_act_paper_cuts_the_simulated_users_reply_to_its_first_line_too():
    state = sample_states()[1]
    rules = ACT_PAPER.turn_rules(None, pacific.defaults)
    [trajectory] = simulate_trajectories(
        [Episode(state)],
        policy=ScriptedBackend(lambda m: ALWAYS_ASK),
        render=pacific.render_messages,
        classifier=QuestionMarkClassifier(),
        simulator=EchoSimulator(" 2019\nUser: and 2018?"),
        sampling=SamplingParams(max_new_tokens=8),
        rules=rules,
    )
    assert trajectory.turns[1].text == "2019"


def test_tolerance_is_exclusive_under_act_bench_and_inclusive_under_act_paper() -> None:
    """Alg. 2 line 13 reads H > ε; the authors' code counts F1 >= 0.9 as good."""
    from act_bench.protocols import ACT_BENCH, ACT_PAPER

    assert not ACT_BENCH.clears_tolerance(0.9, 0.9) and ACT_BENCH.clears_tolerance(0.91, 0.9)
    assert ACT_PAPER.clears_tolerance(0.9, 0.9) and not ACT_PAPER.clears_tolerance(0.89, 0.9)
