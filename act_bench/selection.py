"""Conversations a trained checkpoint was selected on, kept out of its evaluation.

The trainers select checkpoints on held-out validation conversations (App. J.2) and
record them in the checkpoint's ``training_config.json`` (``data.validation``: the split
and its ``conversation_ids``). PACIFIC's validation split is also its evaluation set, so
evaluating such a checkpoint there would score it partly on the conversations that chose
it. ``act-bench eval`` leaves them out by default and counts them
(``counts.n_excluded_selection``); ``--include-selection`` keeps them.
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
    """The conversations of ``split`` that selected a checkpoint, and where that is written."""

    task: str
    split: str
    conversation_ids: frozenset[str]
    record: str


def selection_conversations(model: str) -> SelectionConversations | None:
    """The selection conversations of an ``hf:DIR`` or ``vllm:DIR`` checkpoint trained by
    act-bench; None for any other model, or a checkpoint trained without validation."""
    spec = Spec.parse(model)
    if spec.kind not in CHECKPOINT_KINDS or not spec.argument:
        return None
    path = Path(spec.argument).expanduser() / TRAINING_RECORD
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"not valid JSON: {error}", file=str(path)) from error
    data = record.get("data") if isinstance(record, dict) else None
    validation = data.get("validation") if isinstance(data, dict) else None
    if validation is None:
        return None
    return _read(path, record, validation)


def _read(path: Path, record: dict, validation: object) -> SelectionConversations:
    def fail(message: str, field: str) -> DataError:
        return DataError(message, file=str(path), record="data.validation", field=field)

    if not isinstance(validation, dict):
        raise fail("must be an object", "validation")
    split, ids = validation.get("split"), validation.get("conversation_ids")
    if not isinstance(split, str):
        raise fail("must name the split", "split")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise fail("must be a list of conversation ids", "conversation_ids")
    task = record.get("task")
    if not isinstance(task, str):
        raise DataError("must name the task", file=str(path), field="task")
    return SelectionConversations(task, split, frozenset(ids), str(path))
