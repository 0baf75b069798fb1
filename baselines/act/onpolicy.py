"""Alg. 2 lines 2-16: turning a batch of D_pref into up-to-date winning/losing pairs.

For each example, sample y from the *current* policy and classify its action with A.
A wrong action makes y the losing response. A right one is followed through a simulated
trajectory (user simulator U and the current policy, up to the turn cap), whose outcome
the task heuristic H scores against the goal g: above the tolerance ε the whole trajectory
becomes the winning response, otherwise the losing one. The other side of the pair keeps
its D_pref response.

A response here is a short dialogue (the policy's turns and the simulated user's replies
between them); :class:`Response` keeps which messages the policy wrote, because only
those tokens carry loss (``baselines/act/tokenize.py``).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from act_bench_baselines.act.preferences import PreferenceExample

from act_bench.backends import Backend, SamplingParams
from act_bench.classifiers.base import ActionClassifier
from act_bench.episode import Episode, PromptRenderer, TurnRules, simulate_trajectories
from act_bench.protocols import ACT_BENCH, EvaluationProtocol
from act_bench.simulators.base import UserSimulator
from act_bench.task import Task
from act_bench.types import Action, Message, Role, Speaker, Trajectory


class Branch(enum.StrEnum):
    """Which line of Alg. 2 produced a pair."""

    WRONG_ACTION = "wrong_action"  # line 4: y_l = y
    GOOD_TRAJECTORY = "good_trajectory"  # line 14: y_w = trajectory
    BAD_TRAJECTORY = "bad_trajectory"  # line 16: y_l = trajectory
    OFFLINE = "offline"  # --no-on-policy, or y could not be sampled: the D_pref pair
    SAMPLING_ERROR = "sampling_error"


@dataclass(frozen=True, slots=True)
class Response:
    """One side of a pair: assistant (and simulated user) messages after the prompt."""

    messages: tuple[Message, ...]

    @classmethod
    def single(cls, text: str) -> Response:
        return cls((Message(Role.ASSISTANT, text),))

    @classmethod
    def from_trajectory(cls, trajectory: Trajectory) -> Response:
        role = {Speaker.POLICY: Role.ASSISTANT, Speaker.USER: Role.USER}
        return cls(tuple(Message(role[t.speaker], t.text) for t in trajectory.turns))

    @property
    def text(self) -> str:
        return "\n".join(f"{m.role.value}: {m.content}" for m in self.messages)


@dataclass(frozen=True, slots=True)
class ActPair:
    example: PreferenceExample
    chosen: Response
    rejected: Response
    branch: Branch
    sampled: str | None = None
    sampled_action: Action | None = None
    outcome_score: float | None = None


@dataclass(frozen=True, slots=True)
class ActSettings:
    """The ablations of Table 5 and the heuristic tolerance ε."""

    on_policy: bool = True  # False: --no-on-policy, plain offline DPO on D_pref
    simulate: bool = True  # False: --no-simulation, action check (and H on answers) only
    tolerance: float = 0.5  # ε: H(g', g) must exceed it for a trajectory to win
    max_turns: int | None = None  # None: the protocol's cap, else 3
    # How trajectories are simulated and scored; under act-bench a trajectory that never
    # answers scores 0, so it always loses.
    protocol: EvaluationProtocol = ACT_BENCH

    def turn_rules(self, task: Task) -> TurnRules:
        rules = self.protocol.turn_rules(self.max_turns, task.defaults)
        return rules if self.simulate else TurnRules(1, rules.first_line_only)


@dataclass(slots=True)
class StepCosts:
    """Seconds spent per phase of one ACT step (written to the training log)."""

    sampling_s: float = 0.0
    classification_s: float = 0.0
    simulation_s: float = 0.0
    branches: dict[str, int] = field(default_factory=dict)

    def count(self, branch: Branch) -> None:
        self.branches[branch.value] = self.branches.get(branch.value, 0) + 1


class _TimedClassifier:
    def __init__(self, inner: ActionClassifier, costs: StepCosts) -> None:
        self._inner, self._costs = inner, costs

    def classify(self, items):
        started = time.perf_counter()
        try:
            return self._inner.classify(items)
        finally:
            self._costs.classification_s += time.perf_counter() - started


class _TimedSimulator:
    def __init__(self, inner: UserSimulator, costs: StepCosts) -> None:
        self._inner, self._costs = inner, costs

    def reply(self, requests):
        started = time.perf_counter()
        try:
            return self._inner.reply(requests)
        finally:
            self._costs.simulation_s += time.perf_counter() - started


class _TimedPolicy:
    def __init__(self, inner: Backend, costs: StepCosts) -> None:
        self._inner, self._costs = inner, costs
        self.spec, self.usage = inner.spec, inner.usage

    def generate(self, conversations, params):
        started = time.perf_counter()
        try:
            return self._inner.generate(conversations, params)
        finally:
            self._costs.sampling_s += time.perf_counter() - started


def build_pairs(
    examples: Sequence[PreferenceExample],
    *,
    task: Task,
    policy: Backend,
    render: PromptRenderer,
    classifier: ActionClassifier,
    simulator: UserSimulator,
    sampling: SamplingParams,
    settings: ActSettings,
) -> tuple[list[ActPair], StepCosts]:
    """The pairs for one batch, under the current policy (see the module docstring)."""
    costs = StepCosts()
    offline = [
        ActPair(e, Response.single(e.chosen), Response.single(e.rejected), Branch.OFFLINE)
        for e in examples
    ]
    if not settings.on_policy:
        for pair in offline:
            costs.count(pair.branch)
        return offline, costs

    episodes = [Episode(e.turn_state, 0) for e in examples]
    trajectories = simulate_trajectories(
        episodes,
        policy=_TimedPolicy(policy, costs),
        render=render,
        classifier=_TimedClassifier(classifier, costs),
        simulator=_TimedSimulator(simulator, costs),
        sampling=sampling,
        rules=settings.turn_rules(task),
    )
    pairs = [
        _pair(example, trajectory, fallback, task, settings)
        for example, trajectory, fallback in zip(examples, trajectories, offline, strict=True)
    ]
    for pair in pairs:
        costs.count(pair.branch)
    return pairs, costs


def _pair(
    example: PreferenceExample,
    trajectory: Trajectory,
    offline: ActPair,
    task: Task,
    settings: ActSettings,
) -> ActPair:
    if trajectory.error is not None or not trajectory.policy_turns:
        return ActPair(example, offline.chosen, offline.rejected, Branch.SAMPLING_ERROR)
    first = trajectory.policy_turns[0]
    y, action = first.text, first.action
    if action is not example.action:  # line 3-4
        return ActPair(example, offline.chosen, Response.single(y), Branch.WRONG_ACTION, y, action)
    if not settings.simulate and action is Action.CLARIFY:
        # Without simulation a right clarifying question has no outcome to score: its action
        # is the reward (the on-policy, action-aware DPO of Table 5's ablation).
        return ActPair(
            example, Response.single(y), offline.rejected, Branch.GOOD_TRAJECTORY, y, action
        )
    goal = example.turn_state.goals[0]
    protocol = settings.protocol
    score = protocol.outcome_score(task, trajectory, goal, protocol.metric_mode(task))
    response = Response.from_trajectory(trajectory)
    if score > settings.tolerance:  # line 13-14
        return ActPair(
            example, response, offline.rejected, Branch.GOOD_TRAJECTORY, y, action, score
        )
    return ActPair(example, offline.chosen, response, Branch.BAD_TRAJECTORY, y, action, score)
