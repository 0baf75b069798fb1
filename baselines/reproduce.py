"""The trainers as ``act-bench reproduce --train`` sees them (:mod:`act_bench.tuning`).

Registered under the ``act_bench.tuned_cells`` entry point ``baselines``: the core asks
"train approach A from model M, budget B, seed S, N conversations of task T into DIR" and
gets back the checkpoint's ``hf:DIR`` spec and the conversations it trained and was
selected on. Each table approach maps to one trainer of :data:`act_bench_baselines.cli.TRAINERS`
plus the config fields that make it that approach (Table 5's ablations are ACT with one
part switched off).

Budgets are named presets of hyperparameters (:data:`BUDGETS`): ``paper`` keeps every
trainer's App. J.2 defaults (the GPU setting); ``cpu-small`` makes a tuned cell fit a
small CPU machine, and says why each value is what it is.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field, fields
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from act_bench_baselines.cli import TRAINERS

from act_bench.errors import ConfigError, DataError
from act_bench.tuning import ConversationSample, TrainedCheckpoint, TrainingRequest

RECORD_FILE = "training_config.json"


@dataclass(frozen=True, slots=True)
class Approach:
    """A table approach id as one trainer plus the fields that make it that approach."""

    trainer: str
    fields: dict[str, Any] = field(default_factory=dict)
    needs_strong_model: bool = False


APPROACHES: dict[str, Approach] = {
    "sft": Approach("sft"),
    "irpo": Approach("irpo"),
    "dpo-dist": Approach("dpo-dist", needs_strong_model=True),
    "act": Approach("act"),
    # Table 5's ablations (§5.4)
    "act-no-on-policy-sampling": Approach("act", {"on_policy": False}),
    "act-no-simulation": Approach("act", {"simulation": False}),
    "act-random-actions": Approach("act", {"random_actions": True}),
}


@dataclass(frozen=True, slots=True)
class Budget:
    """Config fields a budget sets for every trainer, and per trainer on top."""

    description: str
    common: dict[str, Any] = field(default_factory=dict)
    per_trainer: dict[str, dict[str, Any]] = field(default_factory=dict)

    def fields_for(self, trainer: str) -> dict[str, Any]:
        return {**self.common, **self.per_trainer.get(trainer, {})}


# Measured on the 2-core, no-GPU development machine with SmolLM2-135M on PACIFIC
# (benchmarks/train_step.py): a full fine-tuning SFT step at batch 4 and max length 1,280
# takes ~29 s, a DPO step ~71 s, so the paper's settings (8-12 epochs over 50+
# conversations, 20 validation conversations) take days there.
CPU_SMALL = Budget(
    description="LoRA r 16, max length 1,024, 1 epoch without checkpoint selection, LR x10 "
    "for LoRA, ACT's control prompt with 3 shots, IRPO 1 iteration of 2 samples",
    common={
        # LoRA trains ~1% of the weights: no optimizer state or weight gradients for the
        # rest, so a step is cheaper and peak memory lower on a shared CPU box. The exported
        # checkpoint is merged (common/run.py), so evaluation is the same as for full tuning.
        "use_peft": True,
        # PACIFIC's prompts carry tables and paragraphs: with SmolLM2's tokenizer, 1,024
        # tokens keep ~80% of the turn states (768: ~59%, 512: ~26%; App. J.2's 1,280: ~91%).
        # Longer examples are left out, never truncated, and counted in training_config.json.
        "max_length": 1024,
        # one pass instead of App. J.2's up to 8 (SFT) / 12 (preference methods): measured
        # on this machine under the load of other jobs, a LoRA SFT step at batch 4 took
        # 3-6 minutes, an epoch of one conversation 10-20.
        "num_train_epochs": 1,
        # with one epoch there is one checkpoint, nothing to select between: no validation
        # split is drawn (App. J.2 selects on all of validation), which also spares ACT's
        # validation D_pref (generation on CPU). The last step is kept.
        "validation_conversations": 0,
    },
    per_trainer={
        # a LoRA adapter starts at zero (B = 0) and moves only through its low-rank
        # factors: it needs a ~10x larger step than full fine-tuning (LoRA, Hu et al. 2021;
        # PEFT's examples use 1e-4-3e-4). App. J.2: SFT 2e-5, preference tuning 5e-7.
        "sft": {"learning_rate": 2e-4},
        "act": {"learning_rate": 5e-6, "generator_shots": 3},
        "irpo": {"learning_rate": 5e-6, "iterations": 1, "samples_per_prompt": 2},
        "dpo-dist": {"learning_rate": 5e-6},
    },
)

BUDGETS: dict[str, Budget] = {
    "paper": Budget(description="App. J.2's settings (full fine-tuning; sized for a GPU)"),
    "cpu-small": CPU_SMALL,
}


class BaselinesCellTrainer:
    """:class:`act_bench.tuning.CellTrainer` over the trainers of ``act_bench_baselines``."""

    def approaches(self) -> tuple[str, ...]:
        return tuple(APPROACHES)

    def budgets(self) -> dict[str, str]:
        return {name: budget.description for name, budget in BUDGETS.items()}

    def settings(self, request: TrainingRequest) -> dict[str, Any]:
        approach = APPROACHES[request.approach]
        return {
            "trainer": approach.trainer,
            **BUDGETS[request.budget].fields_for(approach.trainer),
            **approach.fields,
        }

    def unavailable(self, request: TrainingRequest) -> str | None:
        approach = APPROACHES[request.approach]
        if approach.needs_strong_model and request.strong_model is None:
            return "needs DPO-Dist's strong model: --strong-model SPEC (App. B)"
        missing = [name for name in ("trl", "peft", "datasets") if find_spec(name) is None]
        if missing:
            return f"needs {', '.join(missing)}: pip install 'act-bench[train]'"
        return None

    def train(self, request: TrainingRequest) -> TrainedCheckpoint:
        folder = Path(request.output_dir)
        record = _read_record(folder / RECORD_FILE)
        if record is None or record.get("status") != "complete":
            config = build_config(request, resume=_has_checkpoint(folder))
            function = _trainer_function(APPROACHES[request.approach].trainer)
            record = function(config).record
        return _checkpoint(folder, record)


def build_config(request: TrainingRequest, *, resume: bool = False) -> Any:
    """The trainer config of ``request``: the approach's fields, the budget's, the data."""
    approach = APPROACHES[request.approach]
    config_class = _config_class(approach.trainer)
    values: dict[str, Any] = {
        "task": request.task,
        "model": request.model,
        "conversations": request.conversations,
        "train_split": request.train_split,
        "data_dir": request.data_dir,
        "seed": request.seed,
        "output_dir": request.output_dir,
        "quiet": request.quiet,
        **BUDGETS[request.budget].fields_for(approach.trainer),
        **approach.fields,
    }
    if approach.needs_strong_model:
        values["strong"] = request.strong_model
        values["weak"] = request.model  # App. B: the policy being tuned is the weak model
    if resume:
        values["resume_from_checkpoint"] = "last"
    known = {f.name for f in fields(config_class)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{config_class.__name__} has no field(s) {', '.join(unknown)}")
    return config_class(**values)


def _trainer_parts(trainer: str) -> tuple[Any, str, str]:
    module_name, config_name, function_name = TRAINERS.get(trainer).split(":")
    return importlib.import_module(module_name), config_name, function_name


def _config_class(trainer: str) -> type:
    module, config_name, _ = _trainer_parts(trainer)
    return getattr(module, config_name)


def _trainer_function(trainer: str) -> Any:
    module, _, function_name = _trainer_parts(trainer)
    return getattr(module, function_name)


def _has_checkpoint(folder: Path) -> bool:
    return any(path.is_dir() for path in folder.glob("checkpoint-*"))


def _read_record(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None  # torn by a kill: the run starts again


def _checkpoint(folder: Path, record: dict[str, Any]) -> TrainedCheckpoint:
    """The finished run in ``folder`` as the core sees it."""
    path = folder / RECORD_FILE
    data = record.get("data") or {}
    try:
        training = _sample(data["train"])
        selection = _sample(data["validation"]) if data.get("validation") else None
        shots = _sample(data["shots"]) if data.get("shots") else None
    except (KeyError, TypeError) as error:
        raise DataError(
            f"no data selection recorded ({error})", file=str(path), field="data"
        ) from error
    return TrainedCheckpoint(
        model=f"hf:{folder}", training=training, selection=selection, shots=shots
    )


def _sample(data: dict[str, Any]) -> ConversationSample:
    return ConversationSample(data["split"], tuple(data["conversation_ids"]))


trainer = BaselinesCellTrainer()
