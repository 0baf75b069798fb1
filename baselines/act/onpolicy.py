"""Alg. 2 lines 2-16: turning a batch of D_pref into up-to-date winning/losing pairs.

For each example, sample y from the *current* policy and classify its action with A.
A wrong action makes y the losing response. A right one is followed through a simulated
trajectory (user simulator U and the current policy, up to the turn cap), whose outcome
the task heuristic H scores against the goal g: above the tolerance ε the whole trajectory
becomes the winning response, otherwise the losing one. The other side of the pair keeps
its D_pref response.

An item with several goals (Abg-CoQA's interpretations) simulates one per example per
step, drawn with the step's seed (:func:`draw_goals`), so that over the steps the policy is
rewarded for every interpretation, not only the first.

A response here is a short dialogue (the policy's turns and the simulated user's replies
between them); :class:`Response` keeps which messages the policy wrote, because only
those tokens carry loss (``baselines/act/tokenize.py``).
"""

from __future__ import annotations

import enum
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

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
    goal_index: int = 0  # the goal g the trajectory was simulated and scored against


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


def draw_goals(examples: Sequence[PreferenceExample], *, seed: int, step: int) -> list[int]:
    """The goal each example's trajectory pursues at ``step``: drawn uniformly among its
    goals with a generator seeded by (seed, step, turn state), so a rerun draws the same."""
    return [
        random.Random(f"act-goal:{seed}:{step}:{e.turn_state.id}").randrange(
            len(e.turn_state.goals)
        )
        for e in examples
    ]


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
    goals: Sequence[int] | None = None,
) -> tuple[list[ActPair], StepCosts]:
    """The pairs for one batch, under the current policy (see the module docstring);
    ``goals`` names each example's goal index (default: the first)."""
    costs = StepCosts()
    offline = [
        ActPair(e, Response.single(e.chosen), Response.single(e.rejected), Branch.OFFLINE)
        for e in examples
    ]
    if not settings.on_policy:
        for pair in offline:
            costs.count(pair.branch)
        return offline, costs

    goals = list(goals) if goals is not None else [0] * len(examples)
    episodes = [Episode(e.turn_state, goal) for e, goal in zip(examples, goals, strict=True)]
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
        _pair(episode, trajectory, fallback, task, settings)
        for episode, trajectory, fallback in zip(episodes, trajectories, offline, strict=True)
    ]
    for pair in pairs:
        costs.count(pair.branch)
    return pairs, costs


def _pair(
    episode: Episode,
    trajectory: Trajectory,
    offline: ActPair,
    task: Task,
    settings: ActSettings,
) -> ActPair:
    example = offline.example
    goal_index = episode.goal_index
    if trajectory.error is not None or not trajectory.policy_turns:
        return replace(offline, branch=Branch.SAMPLING_ERROR, goal_index=goal_index)
    first = trajectory.policy_turns[0]
    y, action = first.text, first.action
    if action is not example.action:  # line 3-4
        return ActPair(
            example,
            offline.chosen,
            Response.single(y),
            Branch.WRONG_ACTION,
            y,
            action,
            goal_index=goal_index,
        )
    if not settings.simulate and action is Action.CLARIFY:
        # Without simulation a right clarifying question has no outcome to score: its action
        # is the reward (the on-policy, action-aware DPO of Table 5's ablation).
        return ActPair(
            example,
            Response.single(y),
            offline.rejected,
            Branch.GOOD_TRAJECTORY,
            y,
            action,
            goal_index=goal_index,
        )
    protocol = settings.protocol
    score = protocol.outcome_score(task, trajectory, episode.goal, protocol.metric_mode(task))
    response = Response.from_trajectory(trajectory)
    if protocol.clears_tolerance(score, settings.tolerance):  # line 13-14
        chosen, rejected, branch = response, offline.rejected, Branch.GOOD_TRAJECTORY
    else:  # line 15-16
        chosen, rejected, branch = offline.chosen, response, Branch.BAD_TRAJECTORY
    return ActPair(example, chosen, rejected, branch, y, action, score, goal_index)
