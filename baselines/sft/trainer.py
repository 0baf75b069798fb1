"""SFT: supervised fine-tuning on the ground-truth responses (§4.3, "Tuning baselines").

Each turn state (p, r, g, a) of the selected conversations is one prompt-completion
example: the prompt p rendered as evaluation renders it, the completion the gold
response r; TRL's ``SFTTrainer`` puts the loss on r only. Checkpoints are selected by
validation loss; App. J.2 trains up to 8 epochs with a learning rate from
{1e-4, 2e-5, 1e-5} (default 2e-5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from act_bench_baselines.common.config import TaskTrainingArguments
from act_bench_baselines.common.data import DataSelection
from act_bench_baselines.common.run import TrainingData, TrainingRun
from trl import SFTConfig, SFTTrainer


@dataclass
class SFTBaselineConfig(TaskTrainingArguments, SFTConfig):
    """``act-bench train sft``: TRL's ``SFTConfig`` plus the act-bench task and data fields."""

    method_name = "sft"

    learning_rate: float = field(
        default=2e-5, metadata={"help": "Learning rate (App. J.2: best of 1e-4, 2e-5, 1e-5)."}
    )
    num_train_epochs: float = field(
        default=8, metadata={"help": "Epochs (App. J.2: up to 8, best checkpoint kept)."}
    )
    completion_only_loss: bool | None = field(
        default=True, metadata={"help": "Loss on the response only, never on the prompt."}
    )
    metric_for_best_model: str | None = field(
        default="eval_loss", metadata={"help": "Validation metric for checkpoint selection."}
    )
    greater_is_better: bool | None = field(
        default=False, metadata={"help": "Whether a larger selection metric is better."}
    )


class SFTRun(TrainingRun[SFTBaselineConfig]):
    method = "sft"
    trainer_class = SFTTrainer

    def build_data(self, selection: DataSelection, tokenizer: Any) -> TrainingData:
        chat = self.chat_format(tokenizer)
        train_rows = [chat.sft_row(ts) for ts in selection.train.turn_states]
        validation_rows = (
            [chat.sft_row(ts) for ts in selection.validation.turn_states]
            if selection.validation is not None
            else None
        )
        lengths = self.length_filter(tokenizer)
        train, validation = self.datasets(train_rows, validation_rows, lengths)
        record = {
            "train_examples": len(train),
            "validation_examples": len(validation) if validation is not None else 0,
            **lengths.to_json(),
        }
        return TrainingData(train, validation, record)


def train_sft(config: SFTBaselineConfig) -> Any:
    """Run SFT; returns a :class:`~act_bench_baselines.common.run.TrainingResult`."""
    return SFTRun(config).run()
