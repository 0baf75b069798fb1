"""Trained checkpoints for the tuned cells of ``act-bench reproduce --train``.

The core never imports a trainer (STYLE.md): a trainer plug-in registers a
:class:`CellTrainer` under the ``act_bench.tuned_cells`` entry-point group, and the core
asks it one question, "train approach A from model M with budget B, seed S and N
conversations of task T into this folder", through :func:`train_cell`. The trainers of
``act_bench_baselines`` register as ``baselines`` (``act_bench_baselines.reproduce``).

Resumption lives here, once for every plug-in: a request's folder is named by the hash of
its identity and of the hyperparameters the plug-in resolves it to, and ``cell.json`` is
written in it only after the trainer returns, so a finished checkpoint is reused without
asking the trainer again; an unfinished one is handed back to the trainer, which continues
from its last saved step.
"""

from __future__ import annotations

import functools
import json
import re
import time
from dataclasses import asdict, dataclass, replace
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from act_bench.errors import ConfigError, DataError
from act_bench.registry import Registry
from act_bench.results import config_hash, write_json_atomic

ENTRY_POINT_GROUP = "act_bench.tuned_cells"
FINISHED = "cell.json"


@dataclass(frozen=True, slots=True)
class TrainingRequest:
    """One tuned cell at one seed: what to train, from what, on which data, how hard."""

    approach: str  # a paper table's approach id: sft, irpo, dpo-dist, act, act-no-simulation...
    task: str
    model: str  # the base policy's spec
    conversations: int
    seed: int
    budget: str  # a named preset of the plug-in (hyperparameters, LoRA or not, epochs)
    train_split: str = "train"
    data_dir: str | None = None
    strong_model: str | None = None  # DPO-Dist's strong (winner) model, App. B
    output_dir: str = ""  # filled by train_cell: where the checkpoint goes
    quiet: bool = False

    def identity(self) -> dict[str, Any]:
        """What decides the trained weights (not where they go, nor progress output)."""
        data = asdict(self)
        for name in ("output_dir", "quiet"):
            data.pop(name)
        if self.strong_model is None:
            data.pop("strong_model")
        return data

    def key(self, settings: dict[str, Any]) -> str:
        """The checkpoint's folder name: readable parts and the hash of the identity plus
        the ``settings`` the plug-in resolves the request to."""
        name = f"{self.approach}-c{self.conversations}-s{self.seed}-{self.budget}"
        digest = config_hash({**self.identity(), "settings": settings})[:8]
        return f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}-{digest}"


@dataclass(frozen=True, slots=True)
class ConversationSample:
    """Conversations of one split a checkpoint saw (trained or was selected on)."""

    split: str
    conversation_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TrainedCheckpoint:
    """A finished training: the spec that evaluates it and the conversations it saw
    (trained on, selected on, shown to M as in-context examples while building D_pref)."""

    model: str  # e.g. hf:runs/reproduce/table1/train/sft-c4-s0-cpu-small-1a2b3c4d
    training: ConversationSample
    selection: ConversationSample | None
    train_s: float = 0.0  # wall time of the call that trained it (filled by train_cell)
    reused: bool = False  # True when an earlier run had already trained it
    shots: ConversationSample | None = None  # M's control-prompt conversations (App. F)

    def seen_in(self, split: str) -> frozenset[str]:
        """Conversations of ``split`` this checkpoint must not be scored on."""
        samples = [self.training, self.selection, self.shots]
        return frozenset(
            conversation
            for sample in samples
            if sample is not None and sample.split == split
            for conversation in sample.conversation_ids
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"reused": False}

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path) -> TrainedCheckpoint:
        try:
            selection, shots = data["selection"], data.get("shots")
            return cls(
                model=str(data["model"]),
                training=_sample(data["training"]),
                selection=_sample(selection) if selection is not None else None,
                train_s=float(data["train_s"]),
                reused=True,
                shots=_sample(shots) if shots is not None else None,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(
                f"not a finished cell record ({error})", file=str(path), field=str(error)
            ) from error


def _sample(data: dict[str, Any]) -> ConversationSample:
    return ConversationSample(str(data["split"]), tuple(str(c) for c in data["conversation_ids"]))


@runtime_checkable
class CellTrainer(Protocol):
    """A trainer plug-in, as ``reproduce --train`` sees it."""

    def approaches(self) -> tuple[str, ...]:
        """The table approach ids it can train."""
        ...

    def budgets(self) -> dict[str, str]:
        """Budget preset names and a one-line description of each."""
        ...

    def settings(self, request: TrainingRequest) -> dict[str, Any]:
        """The hyperparameters ``request`` resolves to (its budget's values, JSON-able);
        part of the checkpoint's identity, so a changed preset trains again."""
        ...

    def unavailable(self, request: TrainingRequest) -> str | None:
        """Why ``request`` cannot run here (a missing spec or package), or None; checked for
        every cell before anything trains."""
        ...

    def train(self, request: TrainingRequest) -> TrainedCheckpoint:
        """Train into ``request.output_dir``, continuing an unfinished run found there."""
        ...


CELL_TRAINERS: Registry[Any] = Registry("cell trainer")


@functools.cache
def _discover() -> None:
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in CELL_TRAINERS:
            CELL_TRAINERS.add(entry.name, entry.load())


def cell_trainer(name: str | None = None) -> CellTrainer:
    """The plug-in ``name``, or the only one installed (``baselines`` by default)."""
    _discover()
    if name is None:
        names = CELL_TRAINERS.names()
        if not names:
            raise ConfigError(
                "no trainer plug-in is installed for reproduce --train",
                hint="pip install -e '.[train]' (act_bench_baselines registers one)",
            )
        name = "baselines" if "baselines" in names else names[0]
    trainer = CELL_TRAINERS.get(name)
    if not isinstance(trainer, CellTrainer):
        raise ConfigError(f"cell trainer {name!r} does not implement the CellTrainer protocol")
    return trainer


def train_cell(trainer: CellTrainer, request: TrainingRequest, root: Path) -> TrainedCheckpoint:
    """The checkpoint for ``request`` under ``root``: read back when a run finished it,
    else trained (or continued) by ``trainer`` and then marked finished."""
    settings = trainer.settings(request)
    folder = root / request.key(settings)
    marker = folder / FINISHED
    if marker.is_file():
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise DataError(f"not valid JSON: {error}", file=str(marker)) from error
        return TrainedCheckpoint.from_json(data["checkpoint"], marker)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    checkpoint = trainer.train(replace(request, output_dir=str(folder)))
    # the wall time of this call (a training continued after a kill counts its last part)
    checkpoint = replace(checkpoint, train_s=round(time.perf_counter() - started, 3))
    write_json_atomic(
        marker,
        {
            "request": request.identity(),
            "settings": settings,
            "checkpoint": checkpoint.to_json(),
        },
    )
    return checkpoint
