"""Training examples from a task, rendered exactly as evaluation renders them.

The paper's data-efficient settings (§4.2; Tables 1-3) train on 50, 100 or 250
conversations sampled from a task's training split, every turn of which becomes an
example (AmbigSQL's t2 included: ``Task.load_training``). :func:`select_data`
draws them with a seed, plus a held-out validation sample for checkpoint selection
(App. J.2): from the validation split, or, when training and validation name the same
split, from the conversations not drawn for training, so the two never share a
conversation.

:class:`ChatFormat` renders p with the task's ``render_messages`` and the policy's chat
template, as the ``hf`` backend does at evaluation, so a checkpoint is scored on exactly
the prompt it was trained on.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from act_bench.backends.hf import plain_transcript
from act_bench.data import resolve_data_dir
from act_bench.errors import ConfigError
from act_bench.files import append_jsonl, read_jsonl  # noqa: F401 -- re-exported for the trainers
from act_bench.prompting import PromptStyle, build_styled_prompt
from act_bench.prompting.styles import StandardStyle
from act_bench.task import Task
from act_bench.types import Action, Conversation, Message, Prompt, TurnState

ALL = -1


@dataclass(frozen=True, slots=True)
class SplitSample:
    """Conversations drawn from one split and the turn states they contribute."""

    split: str
    conversation_ids: tuple[str, ...]
    turn_states: tuple[TurnState, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "conversations": len(self.conversation_ids),
            "turn_states": len(self.turn_states),
            "conversation_ids": list(self.conversation_ids),
        }


@dataclass(frozen=True, slots=True)
class DataSelection:
    """The examples of one training run: what ``training_config.json`` records as data."""

    task: str
    data_source: str
    seed: int
    train: SplitSample
    validation: SplitSample | None
    validation_disjoint_from_train: bool = False
    limit: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "data_source": self.data_source,
            "seed": self.seed,
            "limit": self.limit,
            "train": self.train.to_json(),
            "validation": self.validation.to_json() if self.validation else None,
            "validation_disjoint_from_train": self.validation_disjoint_from_train,
        }


def select_data(
    task: Task,
    *,
    data_dir: str | Path | None,
    train_split: str,
    conversations: int,
    validation_split: str,
    validation_conversations: int,
    seed: int,
    limit: int | None = None,
) -> DataSelection:
    """Sample training and validation conversations with ``seed`` (see the module doc).

    ``validation_conversations`` is a count, ``-1`` for all available, or 0 for none.
    """
    root = resolve_data_dir(data_dir)
    pool = task.load_training(train_split, root)
    train = _sample(
        pool, conversations, random.Random(f"train:{seed}"), train_split, "--conversations"
    )
    validation = None
    disjoint = validation_split == train_split
    if validation_conversations != 0:
        if disjoint:
            chosen = set(train.conversation_ids)
            candidates = [c for c in pool if c.id not in chosen]
        else:
            candidates = task.load_training(validation_split, root)
        count = len(candidates) if validation_conversations == ALL else validation_conversations
        validation = _sample(
            candidates,
            count,
            random.Random(f"validation:{seed}"),
            validation_split,
            "--validation-conversations",
            held_out=disjoint,
        )
    return DataSelection(
        task=task.name,
        data_source=str(root) if root is not None else "bundled-sample",
        seed=seed,
        train=_limited(train, limit),
        validation=_limited(validation, limit) if validation else None,
        validation_disjoint_from_train=disjoint and validation is not None,
        limit=limit,
    )


def _sample(
    pool: Sequence[Conversation],
    count: int,
    rng: random.Random,
    split: str,
    flag: str,
    *,
    held_out: bool = False,
) -> SplitSample:
    if count < 1 or count > len(pool):
        where = f"the {split} split minus the training conversations" if held_out else split
        raise ConfigError(
            f"{flag} {count} cannot be drawn from {where}, which has {len(pool)} conversations",
            hint=f"pass {flag} between 1 and {len(pool)}" if pool else None,
        )
    chosen = sorted(rng.sample(range(len(pool)), count))  # file order, for readable logs
    picked = [pool[i] for i in chosen]
    return SplitSample(
        split=split,
        conversation_ids=tuple(c.id for c in picked),
        turn_states=tuple(ts for c in picked for ts in c.turn_states),
    )


def _limited(sample: SplitSample, limit: int | None) -> SplitSample:
    if limit is None:
        return sample
    states = sample.turn_states[:limit]
    kept = {ts.conversation_id for ts in states}
    ids = tuple(c for c in sample.conversation_ids if c in kept)
    return SplitSample(sample.split, ids, states)


@dataclass(frozen=True, slots=True)
class ChatFormat:
    """Renders prompts and responses for TRL exactly as the ``hf`` backend renders them.

    With a chat template: conversational rows (lists of role/content messages), which TRL
    renders with the template, the prompt with ``add_generation_prompt=True``, as
    :meth:`act_bench.backends.hf.HFBackend.render` does. Without one: the backend's plain
    "Role: content" transcript ending in "Assistant:", and the response after a space.

    ``style`` is the prompting style (App. E) the run trains in, as ``act-bench eval
    --prompt-style`` renders it with no shots: ``standard`` is ``task.render_messages``
    itself; ``cot`` (IRPO's default, §5.1) adds its instruction to every user turn and
    writes a gold response after its one-line reasoning (:meth:`styled`).
    """

    task: Task
    chat: bool
    style: PromptStyle = field(default_factory=StandardStyle)

    @classmethod
    def for_tokenizer(
        cls, task: Task, tokenizer: Any, style: PromptStyle | None = None
    ) -> ChatFormat:
        chat = bool(getattr(tokenizer, "chat_template", None))
        return cls(task, chat=chat, style=style or StandardStyle())

    def messages(self, prompt: Prompt) -> list[Message]:
        return build_styled_prompt(self.task, self.style)(prompt)

    def styled(self, text: str, action: Action) -> str:
        """A response of action ``action`` as the style writes the assistant turn that
        answers the current request (``final``: the proactive style cues it with
        ``Response:``, as its prompt asks)."""
        return self.style.exchange("", text, action, final=True)[-1].content

    def prompt(self, prompt: Prompt) -> list[dict[str, str]] | str:
        messages = self.messages(prompt)
        if self.chat:
            return [message.to_json() for message in messages]
        return plain_transcript(messages)

    def response(self, text: str) -> list[dict[str, str]] | str:
        if self.chat:
            return [{"role": "assistant", "content": text}]
        return f" {text}"

    def sft_row(self, turn_state: TurnState) -> dict[str, Any]:
        """Prompt p and the gold response r; TRL puts the loss on r only."""
        return {
            "turn_state_id": turn_state.id,
            "prompt": self.prompt(turn_state.prompt),
            "completion": self.response(
                self.styled(turn_state.gold_response, turn_state.gold_action)
            ),
        }

    def preference_row(self, turn_state: TurnState, chosen: str, rejected: str) -> dict[str, Any]:
        """Prompt p with the winning response y_w and the losing one y_l (Eq. 1), both as
        the policy wrote them."""
        return {
            "turn_state_id": turn_state.id,
            "prompt": self.prompt(turn_state.prompt),
            "chosen": self.response(chosen),
            "rejected": self.response(rejected),
        }

    def action_pair_row(
        self, turn_state: TurnState, chosen: str, action: Action, rejected: str, lost: Action
    ) -> dict[str, Any]:
        """A D_pref pair (Alg. 1): y_w of action a and y_l of a', each written in the style."""
        return self.preference_row(
            turn_state, self.styled(chosen, action), self.styled(rejected, lost)
        )

    def prompt_length(self, tokenizer: Any, prompt: Any) -> int:
        """Tokens of the prompt alone, up to where the response starts."""
        if self.chat:
            encoded = tokenizer.apply_chat_template(
                prompt, tokenize=True, add_generation_prompt=True, return_dict=True
            )
            return len(encoded["input_ids"])
        return len(tokenizer(prompt)["input_ids"])

    def token_length(self, tokenizer: Any, prompt: Any, response: Any) -> int:
        """Tokens of prompt plus response as TRL will build them (EOS included)."""
        if self.chat:
            encoded = tokenizer.apply_chat_template(
                prompt + response, tokenize=True, return_dict=True
            )
            return len(encoded["input_ids"])
        return len(tokenizer(prompt + response)["input_ids"]) + 1


def prompt_fingerprint(messages: Sequence[Message]) -> str:
    """A short hash of a rendered prompt, so cached generations notice a changed prompt."""
    text = json.dumps([m.to_json() for m in messages], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(slots=True)
class LengthFilter:
    """Leaves out rows longer than ``max_length`` tokens and remembers which (never truncates:
    a truncated prompt is not what evaluation shows the model)."""

    tokenizer: Any
    format: ChatFormat
    max_length: int | None
    dropped: dict[str, list[str]] = field(default_factory=dict)

    def keep(self, rows: Iterable[dict[str, Any]], name: str) -> list[dict[str, Any]]:
        kept, dropped = [], self.dropped.setdefault(name, [])
        for row in rows:
            if self.max_length is None or self._length(row) <= self.max_length:
                kept.append(row)
            else:
                dropped.append(row["turn_state_id"])
        return kept

    def keep_prompts(self, turn_states: Iterable[TurnState], name: str) -> list[TurnState]:
        """Turn states whose prompt alone leaves room for a response: generating responses
        for the others (DPO-Dist's pairs, IRPO's samples) would be paid for and thrown away."""
        kept, dropped = [], self.dropped.setdefault(name, [])
        for turn_state in turn_states:
            prompt = self.format.prompt(turn_state.prompt)
            if (
                self.max_length is None
                or self.format.prompt_length(self.tokenizer, prompt) < self.max_length
            ):
                kept.append(turn_state)
            else:
                dropped.append(turn_state.id)
        return kept

    def _length(self, row: dict[str, Any]) -> int:
        responses = [row[key] for key in ("completion", "chosen", "rejected") if key in row]
        return max(self.format.token_length(self.tokenizer, row["prompt"], r) for r in responses)

    def to_json(self) -> dict[str, Any]:
        return {
            "max_length": self.max_length,
            "dropped_overlong": {name: len(ids) for name, ids in self.dropped.items()},
            "dropped_overlong_ids": self.dropped,
        }


@dataclass(frozen=True, slots=True)
class PreferencePair:
    """A winning and a losing response y_w, y_l for one turn state's prompt (Eq. 1), with
    where each came from (backend specs, sample indices, heuristic scores)."""

    turn_state_id: str
    chosen: str
    rejected: str
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "turn_state_id": self.turn_state_id,
            "chosen": self.chosen,
            "rejected": self.rejected,
            "provenance": self.provenance,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PreferencePair:
        return cls(
            turn_state_id=str(data["turn_state_id"]),
            chosen=str(data["chosen"]),
            rejected=str(data["rejected"]),
            provenance=dict(data.get("provenance") or {}),
        )
