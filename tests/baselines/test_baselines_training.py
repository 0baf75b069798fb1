"""Real optimizer steps on the CPU with the embedded model, and the checkpoints scored by eval.

Each trainer takes one step on 2 examples of the tiny PACIFIC-format data; the output
directory must load as ``hf:DIR`` and run ``act-bench eval``.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from act_bench_baselines.common.config import parse_config
from act_bench_baselines.common.trainer import PreferenceTrainer
from act_bench_baselines.dpo_dist.trainer import DPODistConfig, train_dpo_dist
from act_bench_baselines.irpo.trainer import IRPOConfig, train_irpo
from act_bench_baselines.sft.trainer import SFTBaselineConfig, train_sft
from baselines_scripted import register_generators
from safetensors.torch import load_file

from act_bench.backends.smollm2 import smollm2_path
from act_bench.evaluation import EvalConfig, run_evaluation

pytestmark = pytest.mark.slow
LN2 = math.log(2)
PROBE = "model.layers.0.self_attn.q_proj.weight"


def _tiny(data_dir: Path, output_dir: Path, *extra: str) -> list[str]:
    """One step on 2 training examples; validation on 2 held-out ones; small and quick."""
    return [
        "--data_dir", str(data_dir),
        "--train_split", "validation",
        "--conversations", "1",
        "--validation_conversations", "1",
        "--limit", "2",
        "--max_steps", "1",
        "--per_device_train_batch_size", "2",
        "--per_device_eval_batch_size", "2",
        "--max_length", "256",
        "--gradient_checkpointing", "false",
        "--save_only_model",
        "--quiet",
        "--output_dir", str(output_dir),
        *extra,
    ]  # fmt: skip


def _weights(directory: Path) -> dict[str, torch.Tensor]:
    return load_file(str(directory / "model.safetensors"))


def _record(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "training_config.json").read_text())


def _evaluate(model_dir: Path, data_dir: Path, output_dir: Path) -> dict[str, Any]:
    config = EvalConfig(
        model=f"hf:{model_dir}",
        data_dir=str(data_dir),
        limit=2,
        max_new_tokens=8,
        output_dir=str(output_dir),
    )
    return run_evaluation(config, show_progress=False).results


def test_sft_step_checkpoint_and_cli_eval(tmp_path: Path, tiny_data_dir: Path) -> None:
    out = tmp_path / "sft"
    result = train_sft(parse_config(SFTBaselineConfig, _tiny(tiny_data_dir, out)))
    training = result.record["training"]
    assert training["global_step"] == 1 and math.isfinite(training["train_loss"])
    assert not torch.equal(_weights(out)[PROBE], _weights(smollm2_path())[PROBE])
    record = _record(out)
    assert record["status"] == "complete" and record["method"] == "sft"
    assert record["data"]["train"]["split"] == "validation"
    assert record["data"]["validation_disjoint_from_train"] is True
    assert record["training"]["selection"]["metric"] == "eval_loss"
    assert record["training"]["selection"]["best_checkpoint"].endswith("checkpoint-1")
    log = [json.loads(line) for line in (out / "training_log.jsonl").read_text().splitlines()]
    assert any("loss" in entry for entry in log) and any("eval_loss" in entry for entry in log)

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = [sys.executable, "-m", "act_bench", "eval", "--model", f"hf:{out}", "--limit", "2"]
    command += ["--data-dir", str(tiny_data_dir), "--max-new-tokens", "8", "--quiet"]
    command += ["--output-dir", str(tmp_path / "eval")]
    finished = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert finished.returncode == 0, finished.stderr
    results = json.loads((tmp_path / "eval" / "results.json").read_text())
    assert results["n_items"] == 2 and results["model"] == f"hf:{out}"


def test_dpo_dist_step_with_lora(tmp_path: Path, tiny_data_dir: Path) -> None:
    register_generators()
    out = tmp_path / "dpo"
    args = _tiny(tiny_data_dir, out, "--strong", "scripted", "--weak", "scripted-unsure")
    args += ["--pairs_cache", str(tmp_path / "pairs"), "--use_peft", "--lora_r", "4"]
    args += ["--learning_rate", "1e-3"]
    result = train_dpo_dist(parse_config(DPODistConfig, args))
    training = result.record["training"]
    # a fresh LoRA adapter leaves the policy equal to the reference: the DPO loss is log 2
    assert training["global_step"] == 1 and training["train_loss"] == pytest.approx(LN2, abs=1e-4)
    assert training["selection"]["metric"] == "eval_rewards/margins"
    assert training["selection"]["best_metric"] is not None
    assert (out / "adapter" / "adapter_config.json").is_file()
    assert not (out / "adapter_config.json").exists()  # the top level is the merged model
    assert not torch.equal(_weights(out)[PROBE], _weights(smollm2_path())[PROBE])
    data = result.record["data"]
    assert data["pairs"]["train"]["generated"] == 2 and data["train_examples"] == 2
    assert Path(data["pairs_cache"]).is_file()
    assert _evaluate(out, tiny_data_dir, tmp_path / "eval")["n_items"] == 2


def test_irpo_one_iteration(tmp_path: Path, tiny_data_dir: Path) -> None:
    out = tmp_path / "irpo"
    args = _tiny(tiny_data_dir, out, "--iterations", "1", "--samples_per_prompt", "2")
    args += ["--validation_conversations", "0", "--temperature", "1.0", "--max_new_tokens", "8"]
    args += ["--gold_winner_fallback"]
    result = train_irpo(parse_config(IRPOConfig, args))
    iteration = result.record["iterations"][0]
    stats = iteration["data"]["pairs"]["train"]
    assert (stats["prompts"], stats["samples"]) == (2, 4) and stats["pairs"] >= 1
    samples = (out / "iterations" / "1" / "samples-train.jsonl").read_text().splitlines()
    assert len(samples) == 4
    assert {json.loads(line)["correct"] for line in samples} <= {True, False}
    # DPO is log 2 at the first step (policy = reference); the NLL term on winners adds to it
    assert iteration["training"]["train_loss"] > LN2 + 0.01
    assert result.record["config"]["loss_type"] == ["sigmoid", "sft"]
    assert not list((out / "iterations" / "1").glob("checkpoint-*"))
    assert not torch.equal(_weights(out)[PROBE], _weights(smollm2_path())[PROBE])
    assert _evaluate(out, tiny_data_dir, tmp_path / "eval")["n_items"] == 2


class RebuildingTrainer(PreferenceTrainer):
    """The ACT pattern: each batch's losing responses replaced by fresh policy samples."""

    calls: list[list[int]]

    def rebuild_batch(self, inputs, example_indices):
        self.calls.append(list(example_indices))
        rows = [self.train_dataset[i] for i in example_indices]
        with self.policy_backend(batch_size=2) as policy:
            from act_bench.backends import SamplingParams
            from act_bench.types import Message

            conversations = [[Message.from_json(m) for m in row["prompt"]] for row in rows]
            samples = policy.generate(conversations, SamplingParams(max_new_tokens=6, seed=0))
        tokenizer = self.processing_class
        examples = []
        for row, sample in zip(rows, samples, strict=True):
            prompt_ids = tokenizer.apply_chat_template(
                row["prompt"], tokenize=True, add_generation_prompt=True, return_dict=True
            )["input_ids"]
            full = tokenizer.apply_chat_template(
                row["prompt"] + [{"role": "assistant", "content": sample.text}],
                tokenize=True,
                return_dict=True,
            )["input_ids"]
            examples.append(
                {
                    "prompt_ids": row["prompt_ids"],
                    "chosen_ids": row["chosen_ids"],
                    "rejected_ids": full[len(prompt_ids) :],
                }
            )
            self.samples.append(sample.text)
        return self.data_collator(examples)


def test_preference_trainer_rebuilds_batches_from_policy_samples(tmp_path: Path) -> None:
    from act_bench_baselines.common.model import ModelSource, load_policy
    from datasets import Dataset
    from trl import DPOConfig

    model, tokenizer = load_policy(ModelSource("smollm2", str(smollm2_path())), None)
    prompt = [{"role": "user", "content": "What was the sales in 2023?"}]
    rows = [
        {
            "prompt": prompt,
            "chosen": [{"role": "assistant", "content": "['100']"}],
            "rejected": [{"role": "assistant", "content": "['90']"}],
            "example_index": i,
        }
        for i in range(2)
    ]
    args = DPOConfig(
        output_dir=str(tmp_path),
        max_steps=1,
        per_device_train_batch_size=2,
        bf16=False,
        gradient_checkpointing=False,
        report_to="none",
        save_strategy="no",
        learning_rate=1e-4,
    )
    trainer = RebuildingTrainer(
        model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tokenizer
    )
    trainer.calls, trainer.samples = [], []
    before = model.get_parameter(PROBE).detach().clone()
    output = trainer.train()
    assert sorted(trainer.calls[0]) == [0, 1] and len(trainer.samples) == 2
    assert math.isfinite(output.training_loss)
    assert not torch.equal(before, trainer.model.get_parameter(PROBE).detach())
