"""Conversations a trained checkpoint was selected on, kept out of its evaluation.

The trainers select checkpoints on held-out validation conversations (App. J.2) and
record them in the checkpoint's ``training_config.json`` (``data.validation``: the split
and its ``conversation_ids``). PACIFIC's validation split is also its evaluation set, so
evaluating such a checkpoint there would score it partly on the conversations that chose
it. ``act-bench eval`` leaves them out by default and counts them
(``counts.n_excluded_selection``); ``--include-selection`` keeps them.

A checkpoint trained on the split it is evaluated on (``--train-split validation`` where a
task has no train split here) saw its training conversations too (``data.train``): those
are left out and counted in the same way, so only held-out conversations are scored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from act_bench.errors import DataError
from act_bench.specs import Spec

TRAINING_RECORD = "training_config.json"
# specs whose argument can be a checkpoint folder written by an act-bench trainer
CHECKPOINT_KINDS = frozenset({"hf", "vllm"})


@dataclass(frozen=True, slots=True)
class SelectionConversations:
    """The conversations of ``split`` that selected (or trained) a checkpoint, and where
    that is written."""

    task: str
    split: str
    conversation_ids: frozenset[str]
    record: str
    record_field: str = "validation"  # data.validation (selection) or data.train (training)


def selection_conversations(model: str) -> SelectionConversations | None:
    """The selection conversations of an ``hf:DIR`` or ``vllm:DIR`` checkpoint trained by
    act-bench; None for any other model, or a checkpoint trained without validation."""
    return next((s for s in conversations_seen(model) if s.record_field == "validation"), None)


def conversations_seen(model: str) -> tuple[SelectionConversations, ...]:
    """Every sample of conversations a checkpoint saw (``data.validation`` selected it,
    ``data.train`` trained it, ``data.shots`` were M's in-context examples when its D_pref
    was built), each with its split; empty for any other model."""
    spec = Spec.parse(model)
    if spec.kind not in CHECKPOINT_KINDS or not spec.argument:
        return ()
    path = Path(spec.argument).expanduser() / TRAINING_RECORD
    if not path.is_file():
        return ()
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"not valid JSON: {error}", file=str(path)) from error
    data = record.get("data") if isinstance(record, dict) else None
    if not isinstance(data, dict):
        return ()
    return tuple(
        _read(path, record, data[name], name)
        for name in ("validation", "train", "shots")
        if data.get(name) is not None
    )


def _read(path: Path, record: dict, sample: object, name: str) -> SelectionConversations:
    def fail(message: str, field: str) -> DataError:
        return DataError(message, file=str(path), record=f"data.{name}", field=field)

    if not isinstance(sample, dict):
        raise fail("must be an object", name)
    split, ids = sample.get("split"), sample.get("conversation_ids")
    if not isinstance(split, str):
        raise fail("must name the split", "split")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise fail("must be a list of conversation ids", "conversation_ids")
    task = record.get("task")
    if not isinstance(task, str):
        raise DataError("must name the task", file=str(path), field="task")
    return SelectionConversations(task, split, frozenset(ids), str(path), name)
