"""The episode loop of App. D and Alg. 2 lines 6-12, shared by evaluation and the ACT trainer.

For a batch of episodes (a turn state and one of its goals): generate the policy's
response to p; classify its action; while it clarifies and the turn cap allows, let the
user simulator reply and query the policy again. Every step is batched across the
episodes still running; each trajectory is kept whole and ends with an explicit reason.
The loop knows nothing about a task: the caller passes the task's prompt renderer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from act_bench.backends import Backend, Generation, SamplingParams
from act_bench.classifiers.base import ActionClassifier, ClassificationInput
from act_bench.errors import ConfigError
from act_bench.simulators.base import SimulationRequest, UserSimulator
from act_bench.types import (
    Action,
    Goal,
    Message,
    Prompt,
    Speaker,
    StopReason,
    Trajectory,
    TrajectoryTurn,
    TurnState,
)

PromptRenderer = Callable[[Prompt], list[Message]]
ResponseParser = Callable[[str], str]
FinishedCallback = Callable[[int, Trajectory], None]


@dataclass(frozen=True, slots=True)
class Episode:
    """One (turn state, goal) pair to simulate; App. D runs one per goal g in G."""

    turn_state: TurnState
    goal_index: int = 0

    @property
    def goal(self) -> Goal:
        return self.turn_state.goals[self.goal_index]

    @property
    def id(self) -> str:
        if len(self.turn_state.goals) == 1:
            return self.turn_state.id
        return f"{self.turn_state.id}#g{self.goal_index}"


def episodes_for(turn_states: Sequence[TurnState]) -> list[Episode]:
    """Every (turn state, goal) pair, in order."""
    return [
        Episode(turn_state, index)
        for turn_state in turn_states
        for index in range(len(turn_state.goals))
    ]


@dataclass(frozen=True, slots=True)
class TurnRules:
    """How the loop treats policy turns, as an evaluation protocol sets it
    (:mod:`act_bench.protocols`).

    - ``max_turns``: cap on policy turns per trajectory.
    - ``first_line_only``: keep only the first line of each response and of each
      simulated user reply (stripped), as the ACT authors' simulator does
      (``simulation/simulator.py``, ``generate_response`` and ``generate_trajectory``).
    - ``last_turn_is_final``: the response at the cap ends the trajectory as its answer
      whatever its action (the authors' single clarification round), rather than as a
      trajectory that hit the cap without answering.
    """

    max_turns: int = 3
    first_line_only: bool = False
    last_turn_is_final: bool = False

    def cut(self, text: str) -> str:
        return text.strip().split("\n")[0] if self.first_line_only else text


@dataclass(slots=True)
class _Running:
    prompt: Prompt
    turns: list[TrajectoryTurn]


def simulate_trajectories(
    episodes: Sequence[Episode],
    *,
    policy: Backend,
    render: PromptRenderer,
    classifier: ActionClassifier,
    simulator: UserSimulator,
    sampling: SamplingParams,
    max_turns: int | None = None,
    first_responses: Sequence[Generation] | None = None,
    on_finished: FinishedCallback | None = None,
    parse_response: ResponseParser | None = None,
    rules: TurnRules | None = None,
) -> list[Trajectory]:
    """Simulate each episode until the policy answers, errs, or has spoken ``max_turns`` times.

    ``first_responses`` lets a caller that has already sampled y (the ACT trainer, Alg. 2
    line 2) continue from it instead of sampling again. ``on_finished(i, trajectory)`` is
    called as soon as episode ``i`` ends, so results can be written incrementally.
    ``parse_response`` extracts the utterance the user sees from a model's output (the
    chain-of-thought and proactive prompting styles); it is classified, shown to the
    simulated user and scored, and the raw output is kept beside it. ``rules`` are the
    protocol's (:class:`TurnRules`); ``max_turns``, when given, is a shorthand for
    ``TurnRules(max_turns)``.
    """
    if rules is not None and max_turns is not None and max_turns != rules.max_turns:
        raise ConfigError(f"max_turns {max_turns} contradicts rules.max_turns {rules.max_turns}")
    rules = rules or TurnRules(max_turns if max_turns is not None else 3)
    max_turns = rules.max_turns
    if max_turns < 1:
        raise ConfigError(f"max_turns must be at least 1, got {max_turns}")
    if first_responses is not None and len(first_responses) != len(episodes):
        raise ConfigError("first_responses must hold one generation per episode")

    running = {i: _Running(e.turn_state.prompt, []) for i, e in enumerate(episodes)}
    finished: dict[int, Trajectory] = {}

    def finish(i: int, reason: StopReason, error: str | None = None) -> None:
        state = running.pop(i)
        finished[i] = Trajectory(turns=tuple(state.turns), stop_reason=reason, error=error)
        if on_finished is not None:
            on_finished(i, finished[i])

    for round_index in range(max_turns):
        if not running:
            break
        active = sorted(running)
        if round_index == 0 and first_responses is not None:
            generations = list(first_responses)
        else:
            generations = policy.generate([render(running[i].prompt) for i in active], sampling)
        answered_ok = [i for i, g in zip(active, generations, strict=True) if g.error is None]
        for i, generation in zip(active, generations, strict=True):
            if generation.error is not None:
                finish(i, StopReason.BACKEND_ERROR, generation.error)
        by_index = dict(zip(active, generations, strict=True))
        texts = {
            i: rules.cut(parse_response(by_index[i].text) if parse_response else by_index[i].text)
            for i in answered_ok
        }
        actions = classifier.classify(
            [ClassificationInput(running[i].prompt, texts[i]) for i in answered_ok]
        )
        clarifying: list[int] = []
        for i, action in zip(answered_ok, actions, strict=True):
            generation = by_index[i]
            running[i].turns.append(
                TrajectoryTurn(
                    speaker=Speaker.POLICY,
                    text=texts[i],
                    raw_text=generation.text if texts[i] != generation.text else None,
                    action=action,
                    prompt_tokens=generation.prompt_tokens,
                    completion_tokens=generation.completion_tokens,
                    latency_s=generation.latency_s,
                )
            )
            if action is Action.ANSWER:
                finish(i, StopReason.ANSWERED)
            elif round_index == max_turns - 1:
                at_cap = StopReason.FINAL_TURN if rules.last_turn_is_final else StopReason.TURN_CAP
                finish(i, at_cap)
            else:
                clarifying.append(i)
        if clarifying:
            _simulate_user_replies(clarifying, episodes, running, simulator, round_index, rules)

    return [finished[i] for i in range(len(episodes))]


def _simulate_user_replies(
    clarifying: list[int],
    episodes: Sequence[Episode],
    running: dict[int, _Running],
    simulator: UserSimulator,
    round_index: int,
    rules: TurnRules,
) -> None:
    """Alg. 2 lines 9-10: the simulated user answers each clarifying question (cut to its
    first line where the rules cut responses, as the authors' simulator cuts both)."""
    requests = [
        SimulationRequest(
            turn_state=episodes[i].turn_state,
            goal=episodes[i].goal,
            prompt=running[i].prompt,
            clarifying_question=running[i].turns[-1].text,
            round=round_index,
        )
        for i in clarifying
    ]
    replies = simulator.reply(requests)
    for i, reply in zip(clarifying, map(rules.cut, replies), strict=True):
        state = running[i]
        state.turns.append(TrajectoryTurn(speaker=Speaker.USER, text=reply))
        state.prompt = state.prompt.extended(state.turns[-2].text, reply)
