"""A real ACT step on the CPU with the embedded model: both branches of Alg. 2, a finite DPO
step, a checkpoint that ``act-bench eval`` scores, and the ablations' pairs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from act_bench_baselines.act import trainer as act_trainer
from act_bench_baselines.act.trainer import ActConfig, train_act
from act_bench_baselines.common.config import parse_config
from safetensors.torch import load_file

from act_bench.backends.smollm2 import smollm2_path
from act_bench.evaluation import EvalConfig, run_evaluation
from act_bench.types import Action

pytestmark = pytest.mark.slow
PROBE = "model.layers.0.self_attn.q_proj.weight"


class ForcingClassifier:
    """A: the opposite of the gold action on the first training prompt (the wrong-action
    branch, whatever the policy says), the gold action on the second (so its trajectory is
    simulated), and ANSWER on every later turn of a trajectory."""

    spec = "forcing"

    def __init__(self, wrong: dict[str, Action], right: dict[str, Action]) -> None:
        self.wrong, self.right = wrong, right

    def classify(self, items):
        labels = []
        for item in items:
            request = item.prompt.request
            if request in self.wrong:
                labels.append(self.wrong[request].rejected)
            else:
                labels.append(self.right.get(request, Action.ANSWER))
        return labels


def _args(data_dir: Path, out: Path, *extra: str) -> list[str]:
    return [
        "--data_dir", str(data_dir), "--train_split", "validation",
        "--conversations", "1", "--validation_conversations", "0", "--limit", "2",
        "--max_steps", "1", "--per_device_train_batch_size", "2", "--max_length", "384",
        "--max_new_tokens", "8", "--gradient_checkpointing", "false", "--save_only_model",
        "--learning_rate", "1e-4", "--quiet", "--output_dir", str(out),
        "--generator_shots", "1", "--preferences_cache", str(out.parent.parent / "dpref"),
        *extra,
    ]  # fmt: skip


def test_act_step_exercises_both_branches_and_its_checkpoint_is_scored(
    tmp_path, tiny_data_dir, monkeypatch
):
    conversations = json.loads((tiny_data_dir / "pacific" / "validation.json").read_text())
    from act_bench_tasks.pacific import task

    # which conversation is drawn depends on the seed: read the two turn states ACT trains on
    out = tmp_path / "act"
    config = parse_config(ActConfig, _args(tiny_data_dir, out))
    from act_bench_baselines.common.data import select_data

    selection = select_data(
        task, data_dir=tiny_data_dir, train_split="validation", conversations=1,
        validation_split="validation", validation_conversations=0, seed=0, limit=2,
    )  # fmt: skip
    first, second = selection.train.turn_states
    assert conversations  # the tiny data is there
    classifier = ForcingClassifier(
        wrong={first.prompt.request: first.gold_action},
        right={second.prompt.request: second.gold_action},
    )
    monkeypatch.setattr(act_trainer, "load_classifier", lambda *a, **k: classifier)

    result = train_act(config)

    training = result.record["training"]
    assert training["global_step"] == 1 and math.isfinite(training["train_loss"])
    assert not torch.equal(
        load_file(str(out / "model.safetensors"))[PROBE],
        load_file(str(smollm2_path() / "model.safetensors"))[PROBE],
    )
    pairs = {
        json.loads(line)["turn_state_id"]: json.loads(line)
        for line in (out / "act_pairs.jsonl").read_text().splitlines()
    }
    wrong, right = pairs[first.id], pairs[second.id]
    assert wrong["branch"] == "wrong_action"
    assert wrong["rejected"] == f"assistant: {wrong['sampled']}"  # y_l replaced by y
    assert wrong["chosen"] == f"assistant: {first.gold_response}"  # y_w kept
    assert right["branch"] in {"good_trajectory", "bad_trajectory"}
    replaced = right["chosen"] if right["branch"] == "good_trajectory" else right["rejected"]
    assert replaced.startswith(f"assistant: {right['sampled']}")  # the whole trajectory
    log = [json.loads(line) for line in (out / "training_log.jsonl").read_text().splitlines()]
    step = next(entry for entry in log if "loss" in entry)
    assert step["act/wrong_action"] == 1
    assert {"act/sampling_s", "act/classification_s", "act/simulation_s", "act/update_s"} <= set(
        step
    )
    record = result.record
    assert record["method"] == "act" and record["data"]["preferences"]["train"]["examples"] == 2

    results = run_evaluation(
        EvalConfig(
            model=f"hf:{out}",
            data_dir=str(tiny_data_dir),
            limit=2,
            max_new_tokens=8,
            output_dir=str(tmp_path / "eval"),
        ),  # fmt: skip
        show_progress=False,
    ).results
    assert results["n_items"] == 2


def test_no_on_policy_trains_on_d_pref_as_built(tmp_path, tiny_data_dir):
    out = tmp_path / "offline"
    result = train_act(parse_config(ActConfig, _args(tiny_data_dir, out, "--no_on_policy")))
    assert result.record["training"]["global_step"] == 1
    assert not (out / "act_pairs.jsonl").exists()  # no pair was rebuilt
    log = [json.loads(line) for line in (out / "training_log.jsonl").read_text().splitlines()]
    assert next(entry for entry in log if "loss" in entry)["act/offline"] == 2


def test_with_max_steps_the_validation_d_pref_is_built_at_the_first_evaluation(
    tmp_path, tiny_data_dir
):
    """A run with --max-steps starts training before the validation D_pref exists: the
    trainer is built without an evaluation set, the first evaluation builds it (Alg. 1),
    selects on it, and training_config.json records it."""
    out = tmp_path / "deferred"
    config = parse_config(
        ActConfig,
        [*_args(tiny_data_dir, out, "--no_on_policy"), "--validation_conversations", "1"],
    )
    run = act_trainer.ActRun(config)
    built_before_training = []
    original = act_trainer.ActRun.create_trainer

    def create_trainer(self, model, tokenizer, data, args):
        built_before_training.append(data.validation is not None)
        trainer = original(self, model, tokenizer, data, args)
        assert trainer.eval_dataset is None and args.eval_strategy != "no"
        return trainer

    run.create_trainer = create_trainer.__get__(run)
    result = run.run()
    assert built_before_training == [False]
    data = result.record["data"]
    assert data["validation_examples"] > 0
    assert data["preferences"]["validation"]["generated"] == data["validation_examples"]
    selection = result.record["training"]["selection"]
    assert len(selection["evaluations"]) == 1  # selected on the deferred validation set
    assert selection["best_checkpoint"] is not None
