"""Trainer callbacks: a rich progress bar with the latest loss, and the training log file."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from transformers import TrainerCallback

# The logged values worth a glance while training, in display order.
SHOWN = ("loss", "eval_loss", "rewards/margins", "eval_rewards/margins", "learning_rate")


def _short(logs: dict[str, Any]) -> str:
    return "  ".join(
        f"{name}={logs[name]:.4g}" for name in SHOWN if isinstance(logs.get(name), int | float)
    )


class RichProgressCallback(TrainerCallback):
    """Optimizer steps with ETA, the latest logged values beside the bar, and one printed
    line per validation (with the selection metric)."""

    def __init__(self, description: str, console: Console | None = None) -> None:
        self.description = description
        self.console = console or Console(stderr=True)
        self.progress: Progress | None = None
        self.task_id: Any = None

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[latest]}"),
            console=self.console,
        )
        self.progress.start()
        self.task_id = self.progress.add_task(
            self.description, total=state.max_steps, completed=state.global_step, latest=""
        )

    def on_step_end(self, args, state, control, **kwargs):
        if self.progress is not None:
            self.progress.update(self.task_id, completed=state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.progress is not None and logs:
            self.progress.update(self.task_id, latest=_short(logs))

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if self.progress is not None and metrics:
            self.progress.console.print(
                f"validation at step {state.global_step} (epoch {state.epoch or 0:.2f}): "
                f"{_short(metrics)}",
                highlight=False,
            )

    def on_train_end(self, args, state, control, **kwargs):
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


class TrainingLogCallback(TrainerCallback):
    """Appends every log entry (losses, DPO rewards, validation metrics) to a JSONL file as
    it happens, with the step, epoch and wall time; subclasses' extra logged values (e.g.
    per-step cost accounting) land there too."""

    def __init__(self, path: Path, **context: Any) -> None:
        self.path = Path(path)
        self.context = context
        self.started = time.perf_counter()

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        entry = {
            **self.context,
            "step": state.global_step,
            "epoch": state.epoch,
            "wall_s": round(time.perf_counter() - self.started, 3),
            **logs,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")


class StepTimerCallback(TrainerCallback):
    """Wall time of every optimizer step (benchmarks and training_config.json)."""

    def __init__(self) -> None:
        self.durations: list[float] = []
        self._start: float | None = None

    def on_step_begin(self, args, state, control, **kwargs):
        self._start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        if self._start is not None:
            self.durations.append(time.perf_counter() - self._start)
            self._start = None
