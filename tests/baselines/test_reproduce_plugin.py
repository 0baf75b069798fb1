"""The trainers' cell-trainer plug-in: approaches and budgets become the trainers' configs,
and a finished run reads back as the checkpoint the core evaluates."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("trl")

from act_bench_baselines.act.trainer import ActConfig  # noqa: E402
from act_bench_baselines.reproduce import BUDGETS, build_config, trainer  # noqa: E402
from act_bench_baselines.sft.trainer import SFTBaselineConfig  # noqa: E402

from act_bench.tuning import CellTrainer, TrainingRequest, cell_trainer  # noqa: E402


def request(tmp_path, approach: str, budget: str = "cpu-small", **kwargs) -> TrainingRequest:
    return TrainingRequest(
        approach=approach,
        task="pacific",
        model="smollm2",
        conversations=4,
        seed=1,
        budget=budget,
        train_split="validation",
        output_dir=str(tmp_path / approach),
        **kwargs,
    )


def test_the_plugin_is_found_through_its_entry_point():
    found = cell_trainer()
    assert isinstance(found, CellTrainer) and found is trainer
    assert {"sft", "act", "irpo", "dpo-dist", "act-no-simulation"} <= set(found.approaches())
    assert set(found.budgets()) == {"paper", "cpu-small"}


def test_cpu_small_is_lora_with_shorter_sequences_fewer_epochs_and_a_larger_step(tmp_path):
    sft = build_config(request(tmp_path, "sft"))
    assert isinstance(sft, SFTBaselineConfig)
    assert (sft.use_peft, sft.max_length, sft.num_train_epochs) == (True, 1024, 1)
    assert sft.learning_rate == 2e-4 and sft.validation_conversations == 0
    assert not sft.load_best_model_at_end  # one epoch: the last step is kept
    assert (sft.train_split, sft.conversations, sft.seed) == ("validation", 4, 1)

    act = build_config(request(tmp_path, "act"))
    assert isinstance(act, ActConfig)
    assert (act.use_peft, act.learning_rate, act.generator_shots) == (True, 5e-6, 3)

    ablation = build_config(request(tmp_path, "act-no-simulation"))
    assert not ablation.simulation and ablation.on_policy


def test_a_budget_is_part_of_a_checkpoint_identity(tmp_path):
    small = trainer.settings(request(tmp_path, "act", budget="cpu-small"))
    paper = trainer.settings(request(tmp_path, "act", budget="paper"))
    assert small != paper and small["use_peft"] and paper == {"trainer": "act"}
    ablation = trainer.settings(request(tmp_path, "act-no-simulation"))
    assert ablation["simulation"] is False


def test_the_paper_budget_keeps_every_default_of_app_j2(tmp_path):
    assert BUDGETS["paper"].fields_for("sft") == {}
    sft = build_config(request(tmp_path, "sft", budget="paper"))
    default = SFTBaselineConfig(output_dir=str(tmp_path / "default"))
    assert (sft.use_peft, sft.max_length, sft.learning_rate, sft.num_train_epochs) == (
        default.use_peft,
        default.max_length,
        default.learning_rate,
        default.num_train_epochs,
    )
    act = build_config(request(tmp_path, "act", budget="paper"))
    assert (act.learning_rate, act.beta, act.max_length) == (5e-7, 0.01, 1280)


def test_dpo_dist_needs_its_strong_model_and_tunes_the_policy_as_the_weak_one(tmp_path):
    assert "--strong-model" in trainer.unavailable(request(tmp_path, "dpo-dist"))
    with_strong = request(tmp_path, "dpo-dist", strong_model="hf:strong")
    assert trainer.unavailable(with_strong) is None
    config = build_config(with_strong)
    assert (config.strong, config.weak) == ("hf:strong", "smollm2")


def test_a_finished_run_is_read_back_not_trained_again(tmp_path):
    folder = tmp_path / "sft"
    folder.mkdir()
    record = {
        "status": "complete",
        "data": {
            "train": {"split": "validation", "conversation_ids": ["a", "b"]},
            "validation": {"split": "validation", "conversation_ids": ["c"]},
        },
    }
    (folder / "training_config.json").write_text(json.dumps(record))
    checkpoint = trainer.train(request(tmp_path, "sft"))
    assert checkpoint.model == f"hf:{folder}"
    assert checkpoint.seen_in("validation") == {"a", "b", "c"}
    assert checkpoint.seen_in("test") == frozenset()
