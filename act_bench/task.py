"""The task plug-in point: what a task supplies to the episode loop, and the task registry.

Tasks live in the top-level ``tasks/`` package (or any installed package) and are found
through the ``act_bench.tasks`` entry-point group, so the core never imports one by name.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol, runtime_checkable

from act_bench.errors import ConfigError
from act_bench.registry import Registry
from act_bench.types import Conversation, EpisodeRecord, Goal, Message, Prompt, TurnState

ENTRY_POINT_GROUP = "act_bench.tasks"


@dataclass(frozen=True, slots=True)
class TaskDefaults:
    """Settings whose right value depends on the task's data; a flag still overrides each.

    - ``max_new_tokens``: tokens per policy turn, long enough for the task's answers.
    - ``act_tolerance``: ACT's ε (Alg. 2 line 13): a trajectory wins when H(g', g) > ε.
    - ``multiline_responses``: whether an answer may span lines (SQL), so a protocol that
      keeps only a response's first line must not cut it.
    """

    max_new_tokens: int = 64
    act_tolerance: float = 0.5
    multiline_responses: bool = False


@runtime_checkable
class Task(Protocol):
    """A conversational task: data, the policy prompt, the heuristic H and the metrics."""

    name: str
    description: str
    splits: tuple[str, ...]
    headline_metric: str
    defaults: TaskDefaults
    metric_modes: tuple[str, ...]  # variants of the content metric (PACIFIC: "act", "pacific")

    def load(self, split: str, data_dir: Path | None) -> list[Conversation]:
        """Read a split. ``data_dir is None`` means the bundled sample written by us."""
        ...

    def render_messages(self, prompt: Prompt) -> list[Message]:
        """The policy's chat input for p ("standard" format, App. E Table A17)."""
        ...

    def score_turn(self, response: str, turn_state: TurnState, mode: str | None = None) -> float:
        """Turn-level score of an immediate response y against r, in [0, 1].

        ``mode`` names one of ``metric_modes`` (None: the task's default variant).
        """
        ...

    def score_outcome(self, outcome: str, goal: Goal, mode: str | None = None) -> float:
        """The task heuristic H: trajectory outcome g' against goal g, in [0, 1]."""
        ...

    def metrics(self, records: Sequence[EpisodeRecord]) -> dict[str, float | None]:
        """Aggregate metrics (x100) as App. D defines them for this task."""
        ...

    def slice_values(self, turn_state: TurnState) -> dict[str, str]:
        """The slices an item falls in, slice name -> value (AmbigSQL: ``ambiguity_type``);
        ``results.json`` reports every metric per value (:mod:`act_bench.metrics.slices`)."""
        ...

    def download(self, data_dir: Path) -> list[Path]:
        """Fetch the official files into ``data_dir/<task>/`` (needs a network)."""
        ...


TASKS: Registry[Task] = Registry("task")


@functools.cache
def _discover() -> None:
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in TASKS:
            TASKS.add(entry.name, entry.load())


def get_task(name: str) -> Task:
    _discover()
    task = TASKS.get(name)
    if not isinstance(task, Task):
        raise ConfigError(f"task {name!r} does not implement the Task protocol")
    return task


def task_names() -> list[str]:
    _discover()
    return TASKS.names()


def turn_states(conversations: Sequence[Conversation]) -> list[TurnState]:
    return [ts for conversation in conversations for ts in conversation.turn_states]
