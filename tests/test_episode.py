from __future__ import annotations

from helpers import EchoSimulator, QuestionMarkClassifier, ScriptedBackend

from act_bench.backends import Generation, SamplingParams
from act_bench.episode import Episode, episodes_for, simulate_trajectories
from act_bench.types import Action, Goal, Message, Prompt, Role, Speaker, StopReason, TurnState


def render(prompt: Prompt) -> list[Message]:
    return [Message(Role.SYSTEM, prompt.grounding), *prompt.dialogue()]


def turn_state(id: str, request: str, goals: int = 1) -> TurnState:
    return TurnState(
        id=id,
        conversation_id="c",
        prompt=Prompt("table", (), request),
        gold_response="r",
        goals=tuple(Goal(answer=[f"a{k}"], request=f"{request} (full {k})") for k in range(goals)),
        gold_action=Action.CLARIFY if request.endswith("?") else Action.ANSWER,
    )


def run(episodes, backend, simulator=None, max_turns=3, **kwargs):
    return simulate_trajectories(
        episodes,
        policy=backend,
        render=render,
        classifier=QuestionMarkClassifier(),
        simulator=simulator or EchoSimulator(),
        sampling=SamplingParams(max_new_tokens=8),
        max_turns=max_turns,
        **kwargs,
    )


def test_clarify_then_user_reply_then_answer():
    backend, simulator = ScriptedBackend(), EchoSimulator("2019")
    [trajectory] = run([Episode(turn_state("t1", "What were sales?"))], backend, simulator)

    assert [t.speaker for t in trajectory.turns] == [Speaker.POLICY, Speaker.USER, Speaker.POLICY]
    assert trajectory.turns[0].text == "Which year are you asking about?"
    assert trajectory.turns[0].action is Action.CLARIFY
    assert trajectory.turns[1].text == "2019"
    assert trajectory.outcome == "['answer to 2019']"
    assert trajectory.stop_reason is StopReason.ANSWERED
    assert trajectory.clarified
    # the second policy call saw the whole dialogue, ending with the simulated reply
    second_call = backend.batches[1][0]
    assert [m.content for m in second_call[1:]] == [
        "What were sales?",
        "Which year are you asking about?",
        "2019",
    ]
    assert simulator.requests[0].clarifying_question == "Which year are you asking about?"
    assert simulator.requests[0].round == 0


def test_direct_answer_stops_after_one_turn():
    [trajectory] = run([Episode(turn_state("t1", "Sales in 2019."))], ScriptedBackend())
    assert len(trajectory.turns) == 1
    assert trajectory.stop_reason is StopReason.ANSWERED
    assert not trajectory.clarified
    assert trajectory.outcome == trajectory.first_response


def test_turn_cap_stops_a_policy_that_keeps_asking():
    always_ask = ScriptedBackend(script=lambda messages: "Could you clarify?")
    [trajectory] = run([Episode(turn_state("t1", "Sales?"))], always_ask, max_turns=3)
    assert trajectory.stop_reason is StopReason.TURN_CAP
    assert len(trajectory.policy_turns) == 3
    assert len(trajectory.turns) == 5  # three questions, two user replies


def test_batches_across_items_and_keeps_order():
    backend = ScriptedBackend()
    episodes = episodes_for(
        [turn_state("a", "Sales?"), turn_state("b", "Sales in 2019."), turn_state("c", "Cost?")]
    )
    trajectories = run(episodes, backend)
    assert [len(b) for b in backend.batches] == [
        3,
        2,
    ]  # the second round only for the two that asked
    assert [t.stop_reason for t in trajectories] == [StopReason.ANSWERED] * 3
    assert [len(t.turns) for t in trajectories] == [3, 1, 3]


def test_one_episode_per_goal():
    episodes = episodes_for([turn_state("a", "Who?", goals=2), turn_state("b", "Why?")])
    assert [e.id for e in episodes] == ["a#g0", "a#g1", "b"]
    assert episodes[1].goal.request == "Who? (full 1)"


def test_backend_error_ends_only_that_trajectory():
    backend = ScriptedBackend(fail_on="boom")
    trajectories = run(episodes_for([turn_state("a", "boom?"), turn_state("b", "fine.")]), backend)
    assert trajectories[0].stop_reason is StopReason.BACKEND_ERROR
    assert trajectories[0].error == "scripted failure"
    assert trajectories[1].stop_reason is StopReason.ANSWERED


def test_continues_from_given_first_responses_and_reports_each_finish():
    backend = ScriptedBackend()
    finished = []
    trajectories = run(
        [Episode(turn_state("a", "Sales?"))],
        backend,
        first_responses=[Generation(text="Do you mean 2019?")],
        on_finished=lambda i, t: finished.append((i, t.stop_reason)),
    )
    assert trajectories[0].first_response == "Do you mean 2019?"
    assert len(backend.batches) == 1  # only the post-clarification turn was generated
    assert finished == [(0, StopReason.ANSWERED)]
