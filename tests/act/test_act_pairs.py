"""Alg. 2's pair construction, and the Table 5 ablations, with scripted components."""

from __future__ import annotations

from act_bench_baselines.act.onpolicy import ActSettings, Branch, Response, build_pairs
from act_bench_baselines.act.preferences import PreferenceExample, build_preferences
from act_bench_tasks.pacific import task
from helpers import EchoSimulator, QuestionMarkClassifier, ScriptedBackend

from act_bench.backends import SamplingParams
from act_bench.types import Action, Role

SAMPLING = SamplingParams(max_new_tokens=16)


def states():
    """Turn 0 (answer: the revenue streams), turn 1 (clarify: which year?) of the sample."""
    return task.load("validation", None)[0].turn_states[:2]


def d_pref():
    return [
        PreferenceExample(
            turn_state=state,
            action=state.gold_action,
            rejected_action=state.gold_action.rejected,
            chosen=state.gold_response,
            rejected="offline loser",
            rejected_judged=state.gold_action.rejected,
            generator="scripted",
            action_labels="gold",
        )
        for state in states()
    ]


def policy(answers: dict[str, str]):
    """A policy that answers each request from a table; after a user reply, answers '27,899'."""

    def script(messages):
        last = messages[-1].content
        for request, reply in answers.items():
            if last.startswith(request):
                return reply
        return "['$ 27,899']"

    return ScriptedBackend(script)


def run(answers, settings=None, simulator=None):
    return build_pairs(
        d_pref(),
        task=task,
        policy=policy(answers),
        render=task.render_messages,
        classifier=QuestionMarkClassifier(),
        simulator=simulator or EchoSimulator("2023"),
        sampling=SAMPLING,
        settings=settings or ActSettings(),
    )


def test_wrong_action_replaces_the_losing_response_and_a_good_trajectory_the_winning():
    first, second = states()
    pairs, costs = run(
        {
            first.prompt.request: "Do you mean in 2023?",  # wrong: the gold action is ANSWER
            second.prompt.request: "Which year are you asking about?",  # right: CLARIFY
        }
    )
    wrong, good = pairs
    assert wrong.branch is Branch.WRONG_ACTION
    assert wrong.rejected == Response.single("Do you mean in 2023?")
    assert wrong.chosen == Response.single(first.gold_response)  # the D_pref winner stays

    assert good.branch is Branch.GOOD_TRAJECTORY and good.outcome_score == 1.0
    assert [m.role for m in good.chosen.messages] == [Role.ASSISTANT, Role.USER, Role.ASSISTANT]
    assert good.chosen.messages[1].content == "2023"
    assert good.rejected == Response.single("offline loser")
    assert costs.branches == {"wrong_action": 1, "good_trajectory": 1}
    # each phase ran and was timed (the good trajectory also asked the simulator)
    assert costs.sampling_s > 0 and costs.classification_s > 0 and costs.simulation_s > 0


def test_a_trajectory_whose_outcome_misses_the_goal_becomes_the_loser():
    _, second = states()
    pairs, _ = run({second.prompt.request: "Which year are you asking about?", "2023": "['12']"})
    bad = pairs[1]
    assert bad.branch is Branch.BAD_TRAJECTORY and bad.outcome_score == 0.0
    assert bad.rejected.messages[-1].content == "['12']"
    assert bad.chosen == Response.single(second.gold_response)


def test_no_on_policy_keeps_the_offline_pairs():
    pairs, costs = run({}, ActSettings(on_policy=False))
    assert [p.branch for p in pairs] == [Branch.OFFLINE, Branch.OFFLINE]
    assert [p.rejected for p in pairs] == [Response.single("offline loser")] * 2
    assert costs.sampling_s == 0


def test_no_simulation_checks_the_action_only():
    first, second = states()
    simulator = EchoSimulator("2023")
    pairs, _ = run(
        {
            first.prompt.request: "['passenger fares', 'vehicle fares', 'onboard retail']",
            second.prompt.request: "Which year are you asking about?",
        },
        ActSettings(simulate=False),
        simulator,
    )
    answered, clarified = pairs
    assert answered.branch is Branch.GOOD_TRAJECTORY and answered.outcome_score == 1.0
    assert clarified.branch is Branch.GOOD_TRAJECTORY
    assert clarified.chosen == Response.single("Which year are you asking about?")
    assert simulator.requests == []  # the user was never simulated


def test_random_actions_draw_both_actions_and_generate_a_winner_when_needed(tmp_path):
    many = task.load("validation", None)[0].turn_states
    backend = ScriptedBackend(lambda m: "Which one?" if "clarifying" in m[-1].content else "42")
    examples, _ = build_preferences(
        many,
        task=task,
        generator=backend,
        classifier=QuestionMarkClassifier(),
        cache=tmp_path / "random.jsonl",
        sampling=SAMPLING,
        action_labels="random",
        seed=3,
    )
    pairs = [(e.action, e.rejected_action) for e in examples]
    assert len(set(pairs)) > 1  # not the gold rule a' = S \\ a everywhere
    assert any(won is lost for won, lost in pairs)  # both drawn independently
    for example in examples:
        if example.action is example.turn_state.gold_action:
            assert example.chosen == example.turn_state.gold_response
        else:
            assert example.chosen == ("Which one?" if example.action is Action.CLARIFY else "42")


def test_multi_goal_items_draw_their_goal_per_step_seeded_and_record_it():
    """Abg-CoQA: every interpretation is a goal; a step simulates one drawn with its seed."""
    from act_bench_baselines.act.onpolicy import draw_goals

    from act_bench.task import get_task

    abg = get_task("abg-coqa")
    states = [ts for c in abg.load("validation", None) for ts in c.turn_states if len(ts.goals) > 1]
    examples = [
        PreferenceExample(ts, ts.gold_action, ts.gold_action.rejected, ts.gold_response,
                          "offline loser", None, "scripted", "gold")
        for ts in states
    ]  # fmt: skip
    steps = [draw_goals(examples, seed=0, step=step) for step in range(12)]
    assert steps == [draw_goals(examples, seed=0, step=step) for step in range(12)]
    assert steps != [draw_goals(examples, seed=1, step=step) for step in range(12)]
    for position, state in enumerate(states):
        drawn = {goals[position] for goals in steps}
        assert drawn <= set(range(len(state.goals))) and len(drawn) > 1  # not always goal 0

    goals = [len(state.goals) - 1 for state in states]
    simulator = EchoSimulator("the second one")
    pairs, _ = build_pairs(
        examples,
        task=abg,
        policy=ScriptedBackend(lambda m: "Which one do you mean?"),
        render=abg.render_messages,
        classifier=QuestionMarkClassifier(),
        simulator=simulator,
        sampling=SAMPLING,
        settings=ActSettings(max_turns=2),
        goals=goals,
    )
    assert [p.goal_index for p in pairs] == goals
    assert [r.goal for r in simulator.requests[: len(states)]] == [
        state.goals[g] for state, g in zip(states, goals, strict=True)
    ]
