from __future__ import annotations

from act_bench.simulators import GoldSimulator, SimulationRequest, UserSimulator
from act_bench.types import Action, Goal, Message, Prompt, Role, TurnState

PROMPT = Prompt("Table: Year | Sales\n2019 | 5", (), "What were the sales?")


def _request(goal: Goal, round_index: int) -> SimulationRequest:
    state = TurnState("c1-1", "c1", PROMPT, "['Which year?']", (goal,), Action.CLARIFY)
    prompt = PROMPT if round_index == 0 else PROMPT.extended("Which year?", "2019")
    return SimulationRequest(state, goal, prompt, "Which year are you asking about?", round_index)


RECORDED = Goal(answer=["5"], request="What were the sales in 2019?", clarification="2019")
UNRECORDED = Goal(answer=["5"], request="What were the sales in 2019?")


def test_round_zero_replays_the_recorded_clarification() -> None:
    simulator = GoldSimulator()
    assert isinstance(simulator, UserSimulator) and simulator.spec == "gold"
    assert simulator.reply([_request(RECORDED, 0)]) == ["2019"]
    assert (simulator.replayed, simulator.restated) == (1, 0)


def test_asking_again_gets_the_full_request() -> None:
    simulator = GoldSimulator()
    assert simulator.reply([_request(RECORDED, 1)]) == ["What were the sales in 2019?"]
    assert (simulator.replayed, simulator.restated) == (0, 1)


def test_no_recorded_reply_gets_the_full_request() -> None:
    simulator = GoldSimulator()
    blank = Goal(answer=["5"], request="What were the sales in 2019?", clarification="  ")
    replies = simulator.reply([_request(UNRECORDED, 0), _request(blank, 0), _request(RECORDED, 0)])
    assert replies == ["What were the sales in 2019?", "What were the sales in 2019?", "2019"]
    assert simulator.reply([]) == []


def test_history_is_irrelevant_to_the_replay() -> None:
    request = _request(RECORDED, 0)
    longer = SimulationRequest(
        request.turn_state,
        request.goal,
        Prompt("", (Message(Role.USER, "Hi"), Message(Role.ASSISTANT, "Hello")), "Sales?"),
        "Which year?",
        0,
    )
    assert GoldSimulator().reply([longer]) == ["2019"]
