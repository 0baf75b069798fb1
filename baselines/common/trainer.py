"""TRL's DPO trainer with two hooks the act-bench trainers need.

:class:`PreferenceTrainer` is what DPO-Dist and IRPO train with, and what the ACT trainer
subclasses (Alg. 2 rebuilds each batch's pairs from on-policy samples):

- every batch carries the dataset indices of its rows, and :meth:`rebuild_batch` may
  replace the batch before the DPO step (the default keeps it);
- :meth:`policy_backend` wraps the policy being trained as an act-bench backend, so the
  core's episode loop can sample from it (unwrapped from DeepSpeed/DDP for generation);
- rows may carry per-token loss masks over their responses (``chosen_mask`` /
  ``rejected_mask``, 1 = the token carries loss), e.g. to train only on the policy's own
  turns of a multi-turn trajectory; TRL's loss sums log-probabilities where the mask is 1.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from trl import DPOTrainer
from trl.trainer.dpo_trainer import DataCollatorForPreference
from trl.trainer.utils import pad

from act_bench.backends import BackendOptions
from act_bench.backends.hf import HFBackend
from act_bench.errors import ConfigError

EXAMPLE_INDEX = "example_index"
MASK_COLUMNS = ("chosen_mask", "rejected_mask")


@dataclass
class PreferenceCollator(DataCollatorForPreference):
    """TRL's preference collator, plus each row's dataset index and optional per-token masks."""

    def torch_call(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        batch = super().torch_call(examples)
        if EXAMPLE_INDEX in examples[0]:
            batch[EXAMPLE_INDEX] = torch.tensor([e[EXAMPLE_INDEX] for e in examples])
        if MASK_COLUMNS[0] in examples[0]:
            batch["completion_mask"] = self._completion_mask(examples)
        return batch

    def _completion_mask(self, examples: list[dict[str, Any]]) -> torch.Tensor:
        """The response masks placed after each prompt, in the batch's [chosen; rejected] order,
        truncated and padded exactly as TRL's collator does the ids."""
        rows = []
        for key, ids in (("chosen_mask", "chosen_ids"), ("rejected_mask", "rejected_ids")):
            for example in examples:
                mask = list(example[key])
                if len(mask) != len(example[ids]):
                    raise ConfigError(
                        f"{key} has {len(mask)} entries but {ids} has {len(example[ids])} tokens"
                    )
                rows.append([0] * len(example["prompt_ids"]) + mask)
        if self.max_length is not None:
            rows = [row[: self.max_length] for row in rows]
        tensors = [torch.tensor(row, dtype=torch.long) for row in rows]
        return pad(
            tensors,
            padding_value=0,
            padding_side="right",
            pad_to_multiple_of=self.pad_to_multiple_of,
        )


class PreferenceTrainer(DPOTrainer):
    """``trl.DPOTrainer`` with per-batch pair rebuilding and generation from the policy."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        training_args = kwargs.get("args")
        tokenizer = kwargs.get("processing_class")
        if (
            kwargs.get("data_collator") is None
            and tokenizer is not None
            and training_args is not None
        ):
            kwargs["data_collator"] = PreferenceCollator(
                pad_token_id=tokenizer.pad_token_id,
                max_length=training_args.max_length,
                truncation_mode=training_args.truncation_mode,
                pad_to_multiple_of=training_args.pad_to_multiple_of,
            )
        rebuilds = type(self).rebuild_batch is not PreferenceTrainer.rebuild_batch
        if rebuilds and training_args is not None and training_args.precompute_ref_log_probs:
            raise ConfigError(
                "precompute_ref_log_probs cannot be used by a trainer that rebuilds its pairs "
                "during training: the reference log-probabilities would belong to the old pairs"
            )
        super().__init__(*args, **kwargs)

    def _set_signature_columns_if_needed(self) -> None:
        super()._set_signature_columns_if_needed()
        extra = [EXAMPLE_INDEX, *MASK_COLUMNS]
        self._signature_columns = [*self._signature_columns, *extra]

    def rebuild_batch(
        self, inputs: dict[str, torch.Tensor], example_indices: Sequence[int]
    ) -> dict[str, torch.Tensor]:
        """Replace a training batch before its DPO step; ``example_indices`` are the rows'
        positions in ``self.train_dataset``. Called once per micro-batch, on the CPU tensors
        the collator made (``self.data_collator`` turns new rows into such a batch)."""
        return inputs

    def training_step(self, model: Any, inputs: dict[str, Any], *args: Any, **kwargs: Any):
        indices = inputs.pop(EXAMPLE_INDEX, None)
        if indices is not None:
            inputs = self.rebuild_batch(inputs, indices.tolist())
        return super().training_step(model, inputs, *args, **kwargs)

    def prediction_step(self, model: Any, inputs: dict[str, Any], *args: Any, **kwargs: Any):
        inputs.pop(EXAMPLE_INDEX, None)
        return super().prediction_step(model, inputs, *args, **kwargs)

    @contextmanager
    def policy_backend(
        self, *, spec: str = "policy", batch_size: int = 8, prefix_cache: bool = True
    ) -> Iterator[HFBackend]:
        """The policy as it is now, behind the backend interface (batched chat generation
        with a seed), for the core's episode loop. Gathers ZeRO-3 shards while open.

        A fresh backend per call, so its prompt-prefix store (``prefix_cache``) lives for
        one step's sampling and simulation: the next step's weights differ."""
        from trl.models.utils import unwrap_model_for_generation

        with unwrap_model_for_generation(
            self.model_wrapped,
            self.accelerator,
            gradient_checkpointing_kwargs=self.args.gradient_checkpointing_kwargs,
        ) as model:
            yield HFBackend.from_model(
                model,
                self.processing_class,
                spec=spec,
                options=BackendOptions(batch_size=batch_size, prefix_cache=prefix_cache),
            )
