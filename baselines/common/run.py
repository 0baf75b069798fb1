"""The shared trainer base: one training run from a config to a scored-ready checkpoint.

:class:`TrainingRun` does what every trainer does, in this order:

1. check the output directory (a finished run is never overwritten; ``--resume-from-checkpoint``
   continues one, with the same data selection);
2. select the data (:func:`act_bench_baselines.common.data.select_data`) and record it in
   ``training_config.json``;
3. load the initial policy from its spec;
4. build the train and validation datasets (:meth:`build_data`, the trainer's own part);
5. train with TRL, validating every epoch and keeping the best checkpoint (App. J.2);
6. export the selected model as a plain Hugging Face checkpoint into the output directory
   (a LoRA adapter merged into the weights), so ``--model hf:DIR`` scores it.

Trainers implement :meth:`build_data` and set ``trainer_class``; IRPO overrides
:meth:`run` to repeat steps 3-6 per iteration, reusing the other methods.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from act_bench_baselines.common.callbacks import (
    RichProgressCallback,
    StepTimerCallback,
    TrainingLogCallback,
)
from act_bench_baselines.common.data import ChatFormat, DataSelection, LengthFilter, select_data
from act_bench_baselines.common.model import (
    ModelSource,
    load_policy,
    lora_config,
    merge_adapter,
    resolve_model_source,
)
from act_bench_baselines.common.record import (
    RECORD_FILE,
    check_same_data,
    new_record,
    read_record,
    resuming,
    shots_seen,
)
from act_bench_baselines.common.reporting import RunConsole, console

from act_bench.errors import ConfigError
from act_bench.prompting import PromptStyle
from act_bench.prompting.styles import StandardStyle
from act_bench.results import write_json_atomic
from act_bench.task import Task, get_task

LOG_FILE = "training_log.jsonl"
EXAMPLE_INDEX = "example_index"

ConfigT = TypeVar("ConfigT")


@dataclass(slots=True)
class TrainingData:
    """A run's datasets and what training_config.json says about them (counts, caches,
    examples left out and why)."""

    train: Any
    validation: Any | None
    record: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FitResult:
    """How one ``trainer.train()`` went, and which checkpoint validation selected."""

    global_step: int
    epochs: float
    metric: str | None
    best_metric: float | None
    best_checkpoint: str | None
    evaluations: tuple[dict[str, Any], ...]
    train_loss: float | None
    train_runtime_s: float
    step_seconds: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        steps = self.step_seconds
        return {
            "global_step": self.global_step,
            "epochs": self.epochs,
            "train_loss": self.train_loss,
            "train_runtime_s": round(self.train_runtime_s, 3),
            "mean_step_s": round(sum(steps) / len(steps), 4) if steps else None,
            "selection": {
                "metric": self.metric,
                "best_metric": self.best_metric,
                "best_checkpoint": self.best_checkpoint,
                "evaluations": list(self.evaluations),
            },
        }


@dataclass(frozen=True, slots=True)
class TrainingResult:
    output_dir: Path
    record: dict[str, Any]


class TrainingRun(Generic[ConfigT]):
    """One run of a trainer; see the module docstring for the steps."""

    method: ClassVar[str] = "train"
    trainer_class: ClassVar[Any] = None

    def __init__(self, config: ConfigT) -> None:
        from accelerate import PartialState

        self.config: Any = config
        self.task: Task = get_task(self.config.task)
        self.source: ModelSource = resolve_model_source(self.config.model)
        self.output_dir = Path(self.config.output_dir)
        self.show_progress = not self.config.quiet
        if self.config.quiet:
            import datasets

            datasets.disable_progress_bars()
        self.state = PartialState()
        self.console = RunConsole(main=self.state.is_main_process, show_progress=self.show_progress)
        self.record: dict[str, Any] = {}
        self.fits: list[FitResult] = []  # one per trainer.train(), in order
        self.started = time.perf_counter()

    # -- the trainer's own part -------------------------------------------------------

    def build_data(self, selection: DataSelection, tokenizer: Any) -> TrainingData:
        """Turn the selected turn states into TRL datasets (rows from :class:`ChatFormat`)."""
        raise NotImplementedError

    def create_trainer(self, model: Any, tokenizer: Any, data: TrainingData, args: Any) -> Any:
        return self.trainer_class(
            model=model,
            args=args,
            train_dataset=data.train,
            eval_dataset=data.validation,
            processing_class=tokenizer,
            peft_config=lora_config(self.config),
            **self.trainer_kwargs(),
        )

    def trainer_kwargs(self) -> dict[str, Any]:
        """What a method's trainer class takes beyond TRL's arguments (none by default)."""
        return {}

    # -- the shared steps -----------------------------------------------------------------

    def run(self) -> TrainingResult:
        resume = self.resume_checkpoint()
        selection = self.select()
        self.start_record(selection, fresh=resume is None)
        model, tokenizer = load_policy(self.source, self.config.dtype)
        data = self.build_data(selection, tokenizer)
        self.record["data"].update(data.record)
        self.write_record()
        trainer = self.create_trainer(model, tokenizer, data, self.config)
        fit = self.fit(trainer, resume, log_context={})
        self.export(trainer, self.output_dir, base=self.source)
        self.record["training"] = fit.to_json()
        return self.finish()

    def select(self) -> DataSelection:
        config = self.config
        selection = select_data(
            self.task,
            data_dir=config.data_dir,
            train_split=config.train_split,
            conversations=config.conversations,
            validation_split=config.validation_split,
            validation_conversations=config.validation_conversations,
            seed=config.seed,
            limit=config.limit,
        )
        self.console.selection(selection, self.config.task)
        return selection

    def prompt_style(self) -> PromptStyle:
        """The prompting style (App. E) the run trains in, recorded in training_config.json
        so that ``act-bench eval`` of the checkpoint renders its prompts the same way."""
        return StandardStyle()

    def chat_format(self, tokenizer: Any) -> ChatFormat:
        return ChatFormat.for_tokenizer(self.task, tokenizer, self.prompt_style())

    def length_filter(self, tokenizer: Any) -> LengthFilter:
        return LengthFilter(tokenizer, self.chat_format(tokenizer), self.config.max_length)

    def datasets(
        self,
        train_rows: Sequence[dict[str, Any]],
        validation_rows: Sequence[dict[str, Any]] | None,
        lengths: LengthFilter,
    ) -> tuple[Any, Any | None]:
        """Length-filtered datasets; each row keeps its position as ``example_index``."""
        train = lengths.keep(train_rows, "train")
        if not train:
            raise ConfigError(
                f"no training examples left ({len(lengths.dropped.get('train', []))} left out "
                f"as longer than --max-length {lengths.max_length})",
                hint="raise --max-length",
            )
        validation = None
        if validation_rows is not None:
            validation = self._kept_validation(validation_rows, lengths)
        self.console.dropped(lengths)
        return _to_dataset(train), _to_dataset(validation) if validation is not None else None

    def validation_dataset(self, rows: Sequence[dict[str, Any]], lengths: LengthFilter) -> Any:
        """The length-filtered validation dataset alone (one built after training began)."""
        return _to_dataset(self._kept_validation(rows, lengths))

    @staticmethod
    def _kept_validation(rows: Sequence[dict[str, Any]], lengths: LengthFilter) -> list[Any]:
        validation = lengths.keep(rows, "validation")
        if not validation:
            raise ConfigError(
                "no validation examples left for checkpoint selection "
                f"({len(lengths.dropped.get('validation', []))} left out as longer than "
                f"--max-length {lengths.max_length})",
                hint="raise --max-length or --validation-conversations, or pass "
                "--validation-conversations 0 to keep the last step",
            )
        return validation

    def fit(self, trainer: Any, resume: str | None, *, log_context: dict[str, Any]) -> FitResult:
        """Train; with validation on, the trainer ends holding the best checkpoint's weights."""
        from transformers import PrinterCallback

        timer = StepTimerCallback()
        trainer.remove_callback(PrinterCallback)  # replaced by the rich bar and the log file
        trainer.add_callback(timer)
        trainer.add_callback(TrainingLogCallback(self.output_dir / LOG_FILE, **log_context))
        if self.show_progress:
            context = [f"{key} {value}" for key, value in log_context.items()]
            label = " · ".join([self.method, self.config.task, self.config.model, *context])
            trainer.add_callback(RichProgressCallback(label, console))
        started = time.perf_counter()
        output = trainer.train(resume_from_checkpoint=resume)
        args, state = trainer.args, trainer.state
        metric = _metric_key(args.metric_for_best_model) if args.load_best_model_at_end else None
        evaluations = tuple(
            {"step": entry.get("step"), "epoch": entry.get("epoch"), metric: entry[metric]}
            for entry in state.log_history
            if metric and metric in entry
        )
        fit = FitResult(
            global_step=state.global_step,
            epochs=float(state.epoch or 0.0),
            metric=metric,
            best_metric=state.best_metric if metric else None,
            best_checkpoint=state.best_model_checkpoint if metric else None,
            evaluations=evaluations,
            train_loss=getattr(output, "training_loss", None),
            train_runtime_s=time.perf_counter() - started,
            step_seconds=tuple(timer.durations),
        )
        self.fits.append(fit)
        return fit

    def export(self, trainer: Any, directory: Path, *, base: ModelSource) -> None:
        """Save the model the trainer holds (the selected checkpoint) as a plain checkpoint.

        A LoRA adapter is saved under ``adapter/`` and merged into a copy of ``base``, so
        the directory loads with transformers alone (and with vLLM).
        """
        from accelerate.utils import is_peft_model

        if not is_peft_model(trainer.model):
            trainer.save_model(str(directory))
            return
        adapter = directory / "adapter"
        trainer.save_model(str(adapter))
        if self.state.is_main_process:
            merge_adapter(base, adapter, directory, self.config.dtype)
        self.state.wait_for_everyone()

    # -- resumption and the record ------------------------------------------------------------

    def resume_checkpoint(self) -> str | None:
        """The checkpoint ``--resume-from-checkpoint`` names (``last``: the newest one), or
        None for a fresh run, which must not overwrite a finished or checkpointed one."""
        from transformers.trainer_utils import get_last_checkpoint

        value = self.config.resume_from_checkpoint
        previous = read_record(self.output_dir / RECORD_FILE)
        last = get_last_checkpoint(str(self.output_dir)) if self.output_dir.is_dir() else None
        if not resuming(self.config):
            if previous and (previous.get("status") == "complete" or last):
                raise ConfigError(
                    f"{self.output_dir} already holds a training run",
                    hint="continue it with --resume, or pick another --output-dir",
                )
            return None
        check_same_data(self.config, previous, self.output_dir)
        checkpoint = last if value in ("last", "true", "True") else value
        if checkpoint is None or not Path(checkpoint).is_dir():
            raise ConfigError(
                f"no checkpoint to resume from in {self.output_dir}"
                if checkpoint is None
                else f"checkpoint {checkpoint} not found"
            )
        return checkpoint

    def start_record(self, selection: DataSelection, *, fresh: bool = True) -> None:
        """Write training_config.json as the run starts; a fresh run also starts a fresh
        training log (a resumed one appends to it)."""
        if fresh and self.state.is_main_process:
            (self.output_dir / LOG_FILE).unlink(missing_ok=True)
        self.record = new_record(
            self.method, self.config, self.source, selection, self.prompt_style().name
        )
        self.write_record()

    def write_record(self) -> None:
        data = self.record.get("data")
        if isinstance(data, dict):
            shots = shots_seen({k: v for k, v in data.items() if k != "shots"})
            data.pop("shots", None)
            if shots is not None:
                data["shots"] = shots
        if self.state.is_main_process:
            write_json_atomic(self.output_dir / RECORD_FILE, self.record)

    def finish(self) -> TrainingResult:
        self.record["status"] = "complete"
        self.record["timings"] = {"total_s": round(time.perf_counter() - self.started, 3)}
        self.write_record()
        self.console.finished(self.record, self.output_dir)
        return TrainingResult(self.output_dir, self.record)

    def note(self, text: str | None) -> None:
        self.console.note(text)

    def report_dpref(self, name: str, built: Any) -> None:
        self.console.dpref(name, built, self.config.action_classifier)


def _to_dataset(rows: Sequence[dict[str, Any]]) -> Any:
    from datasets import Dataset

    return Dataset.from_list([{**row, EXAMPLE_INDEX: i} for i, row in enumerate(rows)])


def _metric_key(metric: str | None) -> str:
    metric = metric or "loss"
    return metric if metric.startswith("eval_") else f"eval_{metric}"
