"""The shared trainer base: configs, model loading, the run skeleton and the DPO trainer hooks."""

from act_bench_baselines.common.config import (
    PreferenceArguments,
    TaskTrainingArguments,
    parse_config,
)
from act_bench_baselines.common.model import (
    ModelSource,
    load_policy,
    lora_config,
    resolve_model_source,
)
from act_bench_baselines.common.run import FitResult, TrainingData, TrainingResult, TrainingRun
from act_bench_baselines.common.trainer import PreferenceCollator, PreferenceTrainer

__all__ = [
    "FitResult",
    "ModelSource",
    "PreferenceArguments",
    "PreferenceCollator",
    "PreferenceTrainer",
    "TaskTrainingArguments",
    "TrainingData",
    "TrainingResult",
    "TrainingRun",
    "load_policy",
    "lora_config",
    "parse_config",
    "resolve_model_source",
]
