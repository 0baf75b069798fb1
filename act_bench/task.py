"""The task plug-in point: what a task supplies to the episode loop, and the task registry.

Tasks live in the ``tasks/`` folder (installed as ``act_bench_tasks``) or any installed
package and are found through the ``act_bench.tasks`` entry-point group, so the core never
imports one by name. A task is an object implementing :class:`Task`, usually a subclass of
:class:`TaskBase` (the optional hooks' defaults); its commands, if it has any, come
through the ``act_bench.commands`` group (:mod:`act_bench.cli.plugins`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from act_bench.errors import ConfigError
from act_bench.registry import Registry
from act_bench.types import Conversation, EpisodeRecord, Goal, Message, Prompt, TurnState

if TYPE_CHECKING:
    from act_bench.backends import Backend
    from act_bench.classifiers.llm import ClassifierExample
    from act_bench.simulators.base import UserSimulator
    from act_bench.simulators.llm import SimulatorExamples

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
    """A conversational task: data, the policy prompt, the heuristic H and the metrics.

    The whole contract the core relies on. Its metadata are plain data, read without
    running anything: the leaderboard, submission checks and ``act-bench tasks`` read
    ``metric_names`` and ``headline_metric`` through the registry (:func:`task_info`).
    The last six methods are optional hooks: :class:`TaskBase` supplies documented
    defaults, so a task that subclasses it implements only what it needs.
    """

    name: str
    description: str
    splits: tuple[str, ...]
    headline_metric: str  # one of metric_names: what the leaderboard ranks by
    metric_names: tuple[str, ...]  # the keys of metrics(), in the order they are shown
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
        """Aggregate metrics (x100) as App. D defines them for this task, keyed and
        ordered as ``metric_names``."""
        ...

    def slice_values(self, turn_state: TurnState) -> dict[str, str]:
        """The slices an item falls in, slice name -> value (AmbigSQL: ``ambiguity_type``);
        ``results.json`` reports every metric per value (:mod:`act_bench.metrics.slices`)."""
        ...

    def download(self, data_dir: Path) -> list[Path]:
        """Fetch the official files into ``data_dir/<task>/`` (needs a network)."""
        ...

    # --- optional hooks: TaskBase's defaults say what "not implemented" means ----------

    def load_training(self, split: str, data_dir: Path | None) -> list[Conversation]:
        """A split's conversations as the trainers read them: every turn state a policy
        should learn from, including any that evaluation does not score on its own
        (AmbigSQL's t2, the clear request after the clarification, App. C.1)."""
        ...

    def skipped(self, split: str, data_dir: Path | None) -> dict[str, int]:
        """Items of the split left out when loading, by reason (``results.json`` ``skipped``)."""
        ...

    def prepare_scoring(self, turn_states: Sequence[TurnState], texts: Iterable[str] = ()) -> None:
        """Batch the scoring work for ``turn_states`` (and responses ``texts``) before the
        loop scores items one at a time."""
        ...

    def classifier_examples(self) -> Sequence[ClassifierExample]:
        """In-context examples of the few-shot action classifier (App. G)."""
        ...

    def simulator_examples(self) -> SimulatorExamples | None:
        """In-context examples of the two-step LLM user simulator (App. H)."""
        ...

    def model_simulator(
        self, backend: Backend, *, spec: str, seed: int, temperature: float = 0.0
    ) -> UserSimulator | None:
        """A task-specific user simulator on ``backend`` (AmbigSQL conditions U on the
        target SQL, App. H), or None for the generic one."""
        ...


class TaskBase:
    """The defaults of the Task protocol's optional hooks; tasks subclass it.

    Each default is what the core does for a task that has nothing to add, so overriding
    a hook changes only that task's behaviour.
    """

    def load_training(self, split: str, data_dir: Path | None) -> list[Conversation]:
        """Default: training reads what evaluation reads."""
        return self.load(split, data_dir)  # type: ignore[attr-defined]  # the task's own

    def skipped(self, split: str, data_dir: Path | None) -> dict[str, int]:
        """Default: the task leaves no item out (``skipped`` is ``{}`` in results.json)."""
        return {}

    def prepare_scoring(self, turn_states: Sequence[TurnState], texts: Iterable[str] = ()) -> None:
        """Default: nothing to prepare; items are scored one at a time."""
        return None

    def classifier_examples(self) -> Sequence[ClassifierExample]:
        """Default: none, so the classifier uses act-bench's generic examples."""
        return ()

    def simulator_examples(self) -> SimulatorExamples | None:
        """Default: None, so the simulator uses act-bench's generic examples."""
        return None

    def model_simulator(
        self, backend: Backend, *, spec: str, seed: int, temperature: float = 0.0
    ) -> UserSimulator | None:
        """Default: None, so a model spec gets the generic two-step LLM simulator
        (:class:`act_bench.simulators.llm.LLMSimulator`) with :meth:`simulator_examples`."""
        return None


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """What is known about a task without running it: for listings, the leaderboard and
    submission checks, which never import a task by name."""

    name: str
    description: str
    splits: tuple[str, ...]
    headline_metric: str
    metric_names: tuple[str, ...]
    metric_modes: tuple[str, ...]

    @classmethod
    def of(cls, task: Task) -> TaskInfo:
        return cls(
            name=task.name,
            description=task.description,
            splits=tuple(task.splits),
            headline_metric=task.headline_metric,
            metric_names=tuple(task.metric_names),
            metric_modes=tuple(task.metric_modes),
        )


TASKS: Registry[Task] = Registry("task")
_PROTOCOL_MEMBERS = (
    *Task.__annotations__,
    *(name for name, value in vars(Task).items() if callable(value) and not name.startswith("_")),
)


@functools.cache
def _discover() -> None:
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in TASKS:
            TASKS.add(entry.name, entry.load())


def get_task(name: str) -> Task:
    _discover()
    task = TASKS.get(name)
    if not isinstance(task, Task):
        missing = [member for member in _PROTOCOL_MEMBERS if not hasattr(task, member)]
        raise ConfigError(
            f"task {name!r} does not implement the Task protocol"
            + (f" (missing: {', '.join(missing)})" if missing else ""),
            hint="subclass act_bench.task.TaskBase for the optional hooks' defaults",
        )
    if task.headline_metric not in task.metric_names:
        raise ConfigError(
            f"task {name!r}: headline_metric {task.headline_metric!r} is not one of its "
            f"metric_names ({', '.join(task.metric_names)})"
        )
    return task


def task_info(name: str) -> TaskInfo:
    """A registered task's metadata (:class:`TaskInfo`)."""
    return TaskInfo.of(get_task(name))


def task_names() -> list[str]:
    _discover()
    return TASKS.names()


def turn_states(conversations: Sequence[Conversation]) -> list[TurnState]:
    return [ts for conversation in conversations for ts in conversation.turn_states]
