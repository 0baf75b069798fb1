"""In-context conversations for the prompting baselines (App. E).

The paper samples 10 conversations from each task's 250-conversation training pool. Here
the pool is a seeded sample of ``POOL_SIZE`` conversations of the task's ``train`` split (or
another split the user names); when that split is absent, the task's bundled sample (our own
hand-written conversations) is the documented fallback. Conversations being evaluated are
never used as shots.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from act_bench.classifiers.heuristic import decide
from act_bench.errors import ConfigError, DataError
from act_bench.task import Task
from act_bench.types import Action, Conversation, Prompt, Role

POOL_SIZE = 250
BUNDLED_POOL = "bundled-sample"


@dataclass(frozen=True, slots=True)
class Exchange:
    """One user request and the assistant's response to it, with the response's action."""

    request: str
    response: str
    action: Action


@dataclass(frozen=True, slots=True)
class Shot:
    """A whole conversation shown in context: its final prompt and every exchange."""

    conversation_id: str
    prompt: Prompt  # the last turn's prompt: its grounding, for the task's renderer
    exchanges: tuple[Exchange, ...]


@dataclass(frozen=True, slots=True)
class ShotSelection:
    """The shots chosen for a run and where they came from (recorded in results.json)."""

    shots: tuple[Shot, ...]
    pool: str
    pool_size: int
    requested: int
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "used": len(self.shots),
            "pool": self.pool,
            "pool_size": self.pool_size,
            "conversation_ids": [shot.conversation_id for shot in self.shots],
            "note": self.note,
        }


def shot_from_conversation(conversation: Conversation) -> Shot:
    """All exchanges of a conversation, ending with its last gold response.

    Past assistant turns take the gold action of their own turn state when the conversation
    has one per assistant turn; otherwise (a task whose history turns are not turn states,
    such as Abg-CoQA's) they are labelled by the heuristic classifier.
    """
    if not conversation.turn_states:
        raise DataError(
            "a conversation with no turn states cannot be a shot", record=conversation.id
        )
    last = conversation.turn_states[-1]
    history = last.prompt.history
    requests = [m.content for m in history if m.role is Role.USER] + [last.prompt.request]
    responses = [m.content for m in history if m.role is Role.ASSISTANT] + [last.gold_response]
    if len(requests) != len(responses):
        raise DataError(
            "history does not alternate user and assistant turns",
            record=conversation.id,
            field="prompt.history",
        )
    if len(conversation.turn_states) == len(responses):
        actions = [state.gold_action for state in conversation.turn_states]
    else:
        actions = [decide(text).action for text in responses[:-1]] + [last.gold_action]
    exchanges = tuple(
        Exchange(request, response, action)
        for request, response, action in zip(requests, responses, actions, strict=True)
    )
    return Shot(conversation_id=conversation.id, prompt=last.prompt, exchanges=exchanges)


def _load_pool(task: Task, split: str, data_dir: Path | None) -> tuple[list[Conversation], str]:
    """The shot pool's conversations and its description; the bundled sample if absent."""
    if data_dir is not None:
        try:
            return task.load(split, data_dir), f"{split} ({data_dir})"
        except DataError as error:
            if Path(error.file or "").exists():
                raise  # present but malformed: not a reason to fall back
    for sample_split in task.splits:
        try:
            return task.load(sample_split, None), BUNDLED_POOL
        except DataError:
            continue
    raise ConfigError(f"task {task.name} has no {split} split here and no bundled sample")


def select_shots(
    task: Task,
    *,
    num_shots: int,
    seed: int,
    data_dir: Path | None,
    pool_split: str = "train",
    exclude: Collection[str] = (),
) -> ShotSelection:
    """K conversations drawn with ``seed`` from a ``POOL_SIZE``-conversation pool."""
    if num_shots < 0:
        raise ConfigError(f"--num-shots must be 0 or more, got {num_shots}")
    if num_shots == 0:
        return ShotSelection((), "none", 0, 0)
    conversations, pool_name = _load_pool(task, pool_split, data_dir)
    rng = random.Random(seed)
    candidates = [c for c in conversations if c.id not in set(exclude) and c.turn_states]
    pool = _sample(candidates, POOL_SIZE, rng)
    chosen = _sample(pool, num_shots, rng)
    note = None
    if len(chosen) < num_shots:
        note = (
            f"the {pool_name} pool holds {len(pool)} usable conversations; "
            f"{len(chosen)} of the {num_shots} requested shots were used"
        )
    if pool_name == BUNDLED_POOL and pool_split == "train" and data_dir is not None:
        note = f"{task.name}'s train split is absent; shots come from the bundled sample. " + (
            note or ""
        )
    return ShotSelection(
        tuple(shot_from_conversation(c) for c in chosen),
        pool_name,
        len(pool),
        num_shots,
        note.strip() if note else None,
    )


def _sample(items: Sequence[Conversation], k: int, rng: random.Random) -> list[Conversation]:
    return list(items) if len(items) <= k else rng.sample(list(items), k)
