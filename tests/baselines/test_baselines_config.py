"""Trainer configs: App. J.2 defaults, YAML and flag overrides, CLI errors; resume checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from act_bench_baselines.common.config import parse_config
from act_bench_baselines.common.model import resolve_model_source
from act_bench_baselines.dpo_dist.trainer import DPODistConfig
from act_bench_baselines.irpo.trainer import IRPOConfig
from act_bench_baselines.sft.trainer import SFTBaselineConfig, SFTRun
from typer.testing import CliRunner

from act_bench.cli import app
from act_bench.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_sft_defaults_follow_app_j2(tmp_path: Path) -> None:
    config = parse_config(SFTBaselineConfig, ["--output_dir", str(tmp_path)])
    assert config.per_device_train_batch_size == 4
    assert config.max_length == 1280
    assert config.learning_rate == 2e-5 and config.num_train_epochs == 8
    assert config.completion_only_loss is True
    assert config.load_best_model_at_end and config.metric_for_best_model == "eval_loss"
    assert config.greater_is_better is False
    assert config.bf16 is False  # CPU: no mixed precision
    assert (config.conversations, config.train_split, config.seed) == (50, "train", 0)


def test_preference_defaults_are_per_task(tmp_path: Path) -> None:
    args = ["--strong", "smollm2", "--weak", "smollm2", "--output_dir", str(tmp_path)]
    config = parse_config(DPODistConfig, args)
    assert (config.beta, config.learning_rate, config.num_train_epochs) == (0.01, 5e-7, 12)
    assert config.metric_for_best_model == "eval_rewards/margins" and config.greater_is_better
    explicit = parse_config(DPODistConfig, [*args, "--beta", "0.5", "--learning-rate", "1e-6"])
    assert (explicit.beta, explicit.learning_rate) == (0.5, 1e-6)


def test_yaml_fills_the_config_and_flags_win(tmp_path: Path) -> None:
    path = tmp_path / "irpo.yaml"
    path.write_text("conversations: 100\nsamples_per_prompt: 6\nnll_weight: 0.5\nbeta: 0.2\n")
    config = parse_config(
        IRPOConfig,
        ["--config", str(path), "--samples-per-prompt", "3", "--output_dir", str(tmp_path)],
    )
    assert (config.conversations, config.samples_per_prompt, config.beta) == (100, 3, 0.2)
    assert config.loss_type == ["sigmoid", "sft"] and config.loss_weights == [1.0, 0.5]


def test_shipped_trainer_configs_parse(tmp_path: Path) -> None:
    configs = REPO / "baselines" / "configs"
    out = ["--output_dir", str(tmp_path)]
    sft = parse_config(SFTBaselineConfig, ["--config", str(configs / "sft_pacific.yaml"), *out])
    assert (sft.task, sft.conversations, sft.learning_rate, sft.num_train_epochs) == (
        "pacific",
        50,
        2.0e-5,
        8,
    )
    dpo = parse_config(DPODistConfig, ["--config", str(configs / "dpo_dist_pacific.yaml"), *out])
    assert dpo.strong.startswith("litellm:")
    irpo = parse_config(IRPOConfig, ["--config", str(configs / "irpo_pacific.yaml"), *out])
    assert irpo.iterations == 3


def test_shipped_accelerate_configs_load() -> None:
    from accelerate.commands.config.config_args import load_config_from_file

    stages = {}
    for name in ("zero2", "zero3", "ddp"):
        config = load_config_from_file(str(REPO / "baselines/configs/accelerate" / f"{name}.yaml"))
        stages[name] = (
            config.distributed_type.value,
            (config.deepspeed_config or {}).get("zero_stage"),
        )
    assert stages == {
        "zero2": ("DEEPSPEED", 2),
        "zero3": ("DEEPSPEED", 3),
        "ddp": ("MULTI_GPU", None),
    }


def test_bad_configs_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="dpo-dist needs --strong"):
        parse_config(DPODistConfig, ["--output_dir", str(tmp_path)])
    with pytest.raises(ConfigError, match="unknown backend"):
        parse_config(DPODistConfig, ["--strong", "smolm2", "--weak", "smollm2"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("conversation: 50\n")
    with pytest.raises(ConfigError, match="conversation"):
        parse_config(SFTBaselineConfig, ["--config", str(bad)])
    with pytest.raises(ConfigError, match="not found"):
        parse_config(SFTBaselineConfig, ["--config", str(tmp_path / "missing.yaml")])
    with pytest.raises(ConfigError, match="--conversations must be at least 1"):
        parse_config(SFTBaselineConfig, ["--conversations", "0"])


def test_no_validation_turns_selection_off(tmp_path: Path) -> None:
    config = parse_config(
        SFTBaselineConfig, ["--validation_conversations", "0", "--output_dir", str(tmp_path)]
    )
    assert config.eval_strategy.value == "no" and not config.load_best_model_at_end


def test_model_specs_without_weights_cannot_train() -> None:
    assert resolve_model_source("hf:some/model").path == "some/model"
    with pytest.raises(ConfigError, match="training needs local weights"):
        resolve_model_source("litellm:openai/gpt-4o")
    with pytest.raises(ConfigError) as error:
        resolve_model_source("vllm:Qwen/Qwen2.5-0.5B")
    assert error.value.hint == "use hf:Qwen/Qwen2.5-0.5B"


def test_train_help_lists_act_bench_options_first() -> None:
    result = CliRunner().invoke(app, ["train", "sft", "--help"])
    assert result.exit_code == 0
    own = result.output.index("--conversations")
    assert own < result.output.index("--lr_scheduler_type")
    assert "App. J.2" in result.output


def test_missing_train_split_is_one_line_with_the_download_command(
    tmp_path: Path, tiny_data_dir: Path
) -> None:
    result = CliRunner().invoke(
        app,
        ["train", "sft", "--data-dir", str(tiny_data_dir), "--output-dir", str(tmp_path / "run")],
    )
    assert result.exit_code == 2
    assert "train.json" in result.output and "act-bench data download pacific" in result.output
    assert "Traceback" not in result.output


def test_resume_refuses_a_changed_data_selection(tmp_path: Path) -> None:
    base = ["--output_dir", str(tmp_path), "--train_split", "validation"]
    run = SFTRun(parse_config(SFTBaselineConfig, base))
    record = {"status": "running", "data_identity": run.config.data_identity()}
    (tmp_path / "training_config.json").write_text(json.dumps(record))
    (tmp_path / "checkpoint-3").mkdir()
    with pytest.raises(ConfigError, match="already holds a training run"):
        run.resume_checkpoint()
    resumed = SFTRun(parse_config(SFTBaselineConfig, [*base, "--resume_from_checkpoint", "last"]))
    assert resumed.resume_checkpoint() == str(tmp_path / "checkpoint-3")
    changed = SFTRun(
        parse_config(
            SFTBaselineConfig, [*base, "--resume_from_checkpoint", "last", "--conversations", "9"]
        )
    )
    with pytest.raises(ConfigError, match="data selection differs"):
        changed.resume_checkpoint()


@pytest.mark.parametrize(
    ("task", "beta"), [("pacific", 0.01), ("abg-coqa", 0.01), ("ambigsql", 0.5)]
)
def test_beta_defaults_follow_app_j2_in_the_papers_task_order(
    tmp_path: Path, task: str, beta: float
) -> None:
    """App. J.2 names AmbigSQL twice (0.01, then 0.5); in the paper's task order the 0.01
    sentence is Abg-CoQA's. Every preference trainer shares the defaults."""
    out = ["--task", task, "--output-dir", str(tmp_path)]
    dpo = parse_config(DPODistConfig, [*out, "--strong", "smollm2", "--weak", "smollm2"])
    irpo = parse_config(IRPOConfig, out)
    assert (dpo.beta, dpo.learning_rate) == (beta, 5e-7) == (irpo.beta, irpo.learning_rate)
    assert parse_config(IRPOConfig, [*out, "--beta", "0.2"]).beta == 0.2
