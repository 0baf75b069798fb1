"""The data model of §3.1: turn states (p, r, g, a), conversations and trajectories.

Everything that crosses a module boundary is one of these frozen dataclasses.
JSON conversion for each lives here too, so there is one place per type.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any


class Action(enum.StrEnum):
    """The action space S of §3.1."""

    CLARIFY = "CLARIFY"
    ANSWER = "ANSWER"

    @property
    def rejected(self) -> Action:
        """S \\ a: the one other action (Alg. 1 line 4)."""
        return Action.ANSWER if self is Action.CLARIFY else Action.CLARIFY


class Role(enum.StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message, as backends consume them."""

    role: Role
    content: str

    def to_json(self) -> dict[str, str]:
        return {"role": self.role.value, "content": self.content}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        return cls(role=Role(data["role"]), content=str(data["content"]))


@dataclass(frozen=True, slots=True)
class Prompt:
    """p: task grounding plus the dialogue so far, ending with the user's current request.

    ``history`` alternates user and assistant messages and never holds a system message;
    the task decides how grounding and history are rendered for a model.
    """

    grounding: str
    history: tuple[Message, ...]
    request: str

    def extended(self, assistant_reply: str, user_reply: str) -> Prompt:
        """The prompt after the assistant said ``assistant_reply`` and the user answered."""
        return replace(
            self,
            history=self.history
            + (Message(Role.USER, self.request), Message(Role.ASSISTANT, assistant_reply)),
            request=user_reply,
        )

    def dialogue(self) -> tuple[Message, ...]:
        """History plus the current request, as user/assistant messages."""
        return self.history + (Message(Role.USER, self.request),)

    def to_json(self) -> dict[str, Any]:
        return {
            "grounding": self.grounding,
            "history": [m.to_json() for m in self.history],
            "request": self.request,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Prompt:
        return cls(
            grounding=data["grounding"],
            history=tuple(Message.from_json(m) for m in data["history"]),
            request=data["request"],
        )


@dataclass(frozen=True, slots=True)
class Goal:
    """g: the outcome that resolves a turn's trajectory, and what a user who holds it would say.

    ``answer`` is what the final policy answer is scored against (a string or a list of
    spans; tasks interpret it). ``clarification`` is the user's recorded reply to a
    clarifying question (None when the data has none); ``request`` is the fully specified
    request, which a replayed user gives when the policy asks where the data did not.
    """

    answer: Any
    request: str
    clarification: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "request": self.request,
            "clarification": self.clarification,
            "metadata": self.metadata,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Goal:
        return cls(
            answer=data["answer"],
            request=data["request"],
            clarification=data.get("clarification"),
            metadata=dict(data.get("metadata") or {}),
        )


@dataclass(frozen=True, slots=True)
class TurnState:
    """t_i = (p_i, r_i, g_i, a_i) of §3.1.

    ``goals`` holds one goal for PACIFIC and AmbigSQL and every interpretation of an
    ambiguous request for Abg-CoQA (App. D evaluates each one).
    """

    id: str
    conversation_id: str
    prompt: Prompt
    gold_response: str
    goals: tuple[Goal, ...]
    gold_action: Action
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "prompt": self.prompt.to_json(),
            "gold_response": self.gold_response,
            "goals": [g.to_json() for g in self.goals],
            "gold_action": self.gold_action.value,
            "metadata": self.metadata,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TurnState:
        return cls(
            id=data["id"],
            conversation_id=data["conversation_id"],
            prompt=Prompt.from_json(data["prompt"]),
            gold_response=data["gold_response"],
            goals=tuple(Goal.from_json(g) for g in data["goals"]),
            gold_action=Action(data["gold_action"]),
            metadata=dict(data.get("metadata") or {}),
        )


@dataclass(frozen=True, slots=True)
class Conversation:
    """A dataset conversation: its grounding and one turn state per assistant turn."""

    id: str
    turn_states: tuple[TurnState, ...]


class Speaker(enum.StrEnum):
    POLICY = "policy"
    USER = "user"


class StopReason(enum.StrEnum):
    """Why a trajectory ended (App. D; Alg. 2 lines 6-12)."""

    ANSWERED = "answered"
    TURN_CAP = "turn_cap"  # the cap was reached on a clarifying question: no answer
    FINAL_TURN = "final_turn"  # the protocol took the response at the cap as the answer
    BACKEND_ERROR = "backend_error"


@dataclass(frozen=True, slots=True)
class TrajectoryTurn:
    """One utterance of a simulated trajectory, with who produced it and what it cost."""

    speaker: Speaker
    text: str
    action: Action | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    raw_text: str | None = None  # what the model wrote, when a prompt style parsed ``text`` out

    def to_json(self) -> dict[str, Any]:
        data = {
            "speaker": self.speaker.value,
            "text": self.text,
            "action": self.action.value if self.action else None,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_s": round(self.latency_s, 6),
        }
        if self.raw_text is not None:
            data["raw_text"] = self.raw_text
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrajectoryTurn:
        return cls(
            speaker=Speaker(data["speaker"]),
            text=data["text"],
            action=Action(data["action"]) if data.get("action") else None,
            prompt_tokens=int(data.get("prompt_tokens", 0)),
            completion_tokens=int(data.get("completion_tokens", 0)),
            latency_s=float(data.get("latency_s", 0.0)),
            raw_text=data.get("raw_text"),
        )


@dataclass(frozen=True, slots=True)
class Trajectory:
    """The policy / simulated-user turns that follow one turn state, and how they ended.

    The first turn is the policy's immediate response y; the outcome g' is the text of
    the last policy turn.
    """

    turns: tuple[TrajectoryTurn, ...]
    stop_reason: StopReason
    error: str | None = None

    @property
    def policy_turns(self) -> tuple[TrajectoryTurn, ...]:
        return tuple(t for t in self.turns if t.speaker is Speaker.POLICY)

    @property
    def first_response(self) -> str:
        return self.turns[0].text if self.turns else ""

    @property
    def first_action(self) -> Action | None:
        return self.turns[0].action if self.turns else None

    @property
    def outcome(self) -> str:
        policy = self.policy_turns
        return policy[-1].text if policy else ""

    @property
    def answered(self) -> bool:
        """Whether the trajectory ends in an answer (its outcome g'), rather than at the
        turn cap on a clarifying question or on a backend error."""
        return self.stop_reason in (StopReason.ANSWERED, StopReason.FINAL_TURN)

    @property
    def clarified(self) -> bool:
        """Whether the policy asked at least one clarifying question: a turn before its
        outcome, or, when it never answered (turn cap, backend error), a turn labelled
        CLARIFY (asking once and then hitting the cap is still asking)."""
        policy = self.policy_turns
        if self.answered:
            return len(policy) > 1
        return any(turn.action is Action.CLARIFY for turn in policy)

    def to_json(self) -> dict[str, Any]:
        return {
            "turns": [t.to_json() for t in self.turns],
            "stop_reason": self.stop_reason.value,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trajectory:
        return cls(
            turns=tuple(TrajectoryTurn.from_json(t) for t in data["turns"]),
            stop_reason=StopReason(data["stop_reason"]),
            error=data.get("error"),
        )


@dataclass(frozen=True, slots=True)
class ModeScores:
    """An episode's turn and trajectory scores under another variant of the task's content
    metric (PACIFIC's DROP F1 in the mode its protocol does not report as headline)."""

    turn_score: float
    trajectory_score: float

    def to_json(self) -> dict[str, float]:
        return {"turn_score": self.turn_score, "trajectory_score": self.trajectory_score}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModeScores:
        return cls(float(data["turn_score"]), float(data["trajectory_score"]))


@dataclass(frozen=True, slots=True)
class EpisodeRecord:
    """The evaluated outcome of one (turn state, goal) pair: one line of ``samples.jsonl``.

    ``id`` is the turn state's id, suffixed with ``#g<k>`` when the turn state has
    several goals (Abg-CoQA's interpretations).
    """

    id: str
    turn_state_id: str
    conversation_id: str
    goal_index: int
    gold_action: Action
    predicted_action: Action | None
    gold_response: str
    goal: Goal
    trajectory: Trajectory
    turn_score: float
    trajectory_score: float
    other_modes: dict[str, ModeScores] = field(default_factory=dict)
    # slice name -> value (``Task.slice_values``), so a run can be cut by kind of item
    slices: dict[str, str] = field(default_factory=dict)
    # which of ``--num-trials`` repetitions of the episode this is (0-based; issue 16)
    trial: int = 0

    @property
    def key(self) -> tuple[str, int]:
        """What identifies a line of samples.jsonl: the episode and its trial."""
        return (self.id, self.trial)

    def to_json(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "trial": self.trial,
            "turn_state_id": self.turn_state_id,
            "conversation_id": self.conversation_id,
            "goal_index": self.goal_index,
            "gold_action": self.gold_action.value,
            "predicted_action": self.predicted_action.value if self.predicted_action else None,
            "gold_response": self.gold_response,
            "goal": self.goal.to_json(),
            "prediction": self.trajectory.first_response,
            "outcome": self.trajectory.outcome,
            "clarified": self.trajectory.clarified,
            "trajectory": self.trajectory.to_json(),
            "turn_score": self.turn_score,
            "trajectory_score": self.trajectory_score,
        }
        if self.other_modes:
            data["other_modes"] = {mode: s.to_json() for mode, s in self.other_modes.items()}
        if self.slices:
            data["slices"] = dict(self.slices)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EpisodeRecord:
        return cls(
            id=data["id"],
            turn_state_id=data["turn_state_id"],
            conversation_id=data["conversation_id"],
            goal_index=int(data["goal_index"]),
            gold_action=Action(data["gold_action"]),
            predicted_action=Action(data["predicted_action"])
            if data.get("predicted_action")
            else None,
            gold_response=data["gold_response"],
            goal=Goal.from_json(data["goal"]),
            trajectory=Trajectory.from_json(data["trajectory"]),
            turn_score=float(data["turn_score"]),
            trajectory_score=float(data["trajectory_score"]),
            other_modes={
                mode: ModeScores.from_json(scores)
                for mode, scores in (data.get("other_modes") or {}).items()
            },
            slices={str(k): str(v) for k, v in (data.get("slices") or {}).items()},
            trial=_trial(data.get("trial", 0)),
        )


def _trial(value: Any) -> int:
    """A line's trial index: a non-negative integer (lines written before trials have none)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"trial must be a non-negative integer, got {value!r}")
    return value
