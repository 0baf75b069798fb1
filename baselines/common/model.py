"""The policy a trainer starts from: any act-bench model spec with local weights, plus LoRA."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from act_bench.errors import BackendError, ConfigError
from act_bench.specs import Spec


@dataclass(frozen=True, slots=True)
class ModelSource:
    """A model spec and the local path or hub id its weights load from."""

    spec: str
    path: str

    def to_json(self) -> dict[str, str]:
        return {"spec": self.spec, "path": self.path}


def resolve_model_source(spec: str) -> ModelSource:
    """``smollm2`` trains from the embedded model's cached safetensors copy (converted from
    its GGUF file once, without quantization state); ``hf:X`` from X. API and vLLM specs
    have no weights to train."""
    parsed = Spec.parse(spec)
    if parsed.kind == "smollm2":
        if parsed.argument is not None:
            raise ConfigError(f"backend 'smollm2' takes no argument, got {parsed.argument!r}")
        from act_bench.backends.smollm2 import smollm2_path

        return ModelSource(spec, str(smollm2_path()))
    if parsed.kind == "hf" and parsed.argument:
        return ModelSource(spec, parsed.argument)
    hint = f"use hf:{parsed.argument}" if parsed.kind == "vllm" and parsed.argument else None
    raise ConfigError(
        f"cannot train {spec!r}: training needs local weights (smollm2 or hf:PATH_OR_ID)",
        hint=hint or "use --model smollm2 or --model hf:PATH_OR_ID",
    )


def load_policy(source: ModelSource, dtype_name: str | None) -> tuple[Any, Any]:
    """The causal LM and its tokenizer, with a pad token (batching needs one)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from act_bench.backends.hf import resolve_dtype

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = resolve_dtype(dtype_name, device)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source.path)
        model = AutoModelForCausalLM.from_pretrained(source.path, dtype=dtype)
    except (OSError, ValueError) as error:
        raise BackendError(
            f"cannot load model {source.spec!r} from {source.path}: {error}",
            hint="give a local directory with config.json and weights, or a hub id",
        ) from error
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def lora_config(config: Any) -> Any | None:
    """A peft ``LoraConfig`` when ``--use-peft`` is on, else None.

    The default targets are every linear layer but the LM head: TRL computes DPO's
    log-probabilities from ``lm_head.weight`` directly, so an adapter there would not train.
    """
    if not config.use_peft:
        return None
    from peft import LoraConfig

    return LoraConfig(
        task_type="CAUSAL_LM",
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.lora_target_modules or "all-linear",
    )


def merge_adapter(base: ModelSource, adapter: Path, directory: Path, dtype: str | None) -> None:
    """Merge the LoRA adapter saved at ``adapter`` into a fresh copy of ``base`` and save the
    result, with the tokenizer, as a plain checkpoint in ``directory``."""
    import gc

    from peft import PeftModel

    model, tokenizer = load_policy(base, dtype)
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    merged.save_pretrained(str(directory))
    tokenizer.save_pretrained(str(directory))
    del model, merged
    gc.collect()
