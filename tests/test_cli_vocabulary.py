"""One vocabulary on every command: the same flag for the same concept on ``eval`` and
``train``, kebab-case first, old trainer names still working with a deprecation warning,
and ``eval --config FILE.yaml``."""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import fields
from pathlib import Path
from typing import get_type_hints

import pytest
from act_bench_baselines.act.trainer import ActConfig
from act_bench_baselines.common.config import parse_config
from act_bench_baselines.dpo_dist.trainer import DPODistConfig
from act_bench_baselines.irpo.trainer import IRPOConfig
from act_bench_baselines.sft.trainer import SFTBaselineConfig
from typer.testing import CliRunner

from act_bench.cli import app
from act_bench.errors import ConfigError
from act_bench.evaluation import EvalConfig
from act_bench.options import EVAL_OPTIONS, DeprecatedOptionWarning
from act_bench.protocols import DEFAULT_PROTOCOL

# The concepts eval and train act share, by the one flag both take.
SHARED_FLAGS = (
    "--task", "--model", "--seed", "--data-dir", "--limit", "--output-dir", "--simulator",
    "--action-classifier", "--protocol", "--max-turns", "--max-new-tokens", "--temperature",
    "--batch-size", "--dtype", "--api-base", "--max-concurrency", "--timeout",
    "--prefix-cache", "--no-prefix-cache", "--cache", "--no-cache", "--cache-dir", "--resume",
    "--quiet",
)  # fmt: skip
OLD_NAMES = ("model_dtype", "sampling_temperature", "generation_batch_size")


def _help(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def _flags(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9_-]*", text))


def _option_lines(train_help: str) -> list[str]:
    """The first spelling of every option of an argparse --help."""
    return re.findall(r"^  (--[a-z][a-z0-9_-]*)", train_help, flags=re.MULTILINE)


def test_eval_and_train_act_name_the_shared_concepts_alike():
    eval_flags = _flags(_help("eval"))
    train_help = _help("train", "act")
    train_flags = _flags(train_help)
    assert set(SHARED_FLAGS) <= eval_flags
    assert set(SHARED_FLAGS) <= train_flags
    listed = _option_lines(train_help)
    assert "--train-split" in listed
    for positive in ("--on-policy", "--simulation"):  # positive booleans with a --no- form
        assert positive in listed and positive.replace("--", "--no-") in listed
    assert [name for name in listed if "_" in name] == []  # kebab-case first, every option
    assert "--train-split, --train_split" in train_help  # TRL's spelling still listed
    for old in OLD_NAMES:  # renamed fields are no longer options of their own
        assert f"--{old}" not in listed and f"--{old.replace('_', '-')}" not in listed
    assert [name for name in _option_lines(_help("train", "irpo")) if "_" in name] == []


def test_eval_help_lists_only_kebab_case():
    assert not [flag for flag in _flags(_help("eval")) if "_" in flag]


def test_shared_concepts_have_one_help_text():
    """The table is the one declaration: eval's and the trainers' help say the same."""
    train_help = " ".join(_help("train", "act").split())
    for name in ("dtype", "api_base", "max_concurrency", "cache_dir"):
        assert " ".join(EVAL_OPTIONS[name].help.split()) in train_help


def test_eval_options_table_matches_eval_config():
    """Every EvalConfig field a user sets is a row of the table, with its type and default."""
    hints = get_type_hints(EvalConfig)
    library_only = {"exclude_conversations"}  # set by `act-bench reproduce`, not a flag
    assert {f.name for f in fields(EvalConfig)} - library_only == set(EVAL_OPTIONS)
    for field in fields(EvalConfig):
        if field.name in EVAL_OPTIONS:
            spec = EVAL_OPTIONS[field.name]
            assert (hints[field.name], field.default) == (spec.type, spec.default), field.name
    assert EVAL_OPTIONS["protocol"].default == DEFAULT_PROTOCOL


def test_renamed_trainer_flags_still_parse_with_a_deprecation_warning(tmp_path):
    out = ["--output-dir", str(tmp_path)]
    old = [
        "--model_dtype", "float32", "--sampling_temperature", "0.5",
        "--generation-batch-size", "3", "--no_on_policy", "true",
    ]  # fmt: skip
    with pytest.warns(DeprecatedOptionWarning) as caught:
        config = parse_config(ActConfig, [*old, *out])
    assert len(caught) == 4 and "use --temperature" in str(caught[1].message)
    assert (config.dtype, config.temperature, config.batch_size) == ("float32", 0.5, 3)
    assert config.on_policy is False and config.simulation is True
    with pytest.warns(DeprecatedOptionWarning, match="--simulation false"):
        assert parse_config(ActConfig, ["--no_simulation=true", *out]).simulation is False
    with pytest.warns(DeprecatedOptionWarning):
        irpo = parse_config(IRPOConfig, ["--generation_batch_size", "2", *out])
    assert irpo.batch_size == 2
    with pytest.warns(DeprecatedOptionWarning):
        dpo = parse_config(
            DPODistConfig, ["--strong", "smollm2", "--weak", "smollm2", "--model-dtype", "float16"]
        )
    assert dpo.dtype == "float16" and dpo.batch_size == 8


def test_snake_case_and_negative_forms_parse_without_a_warning(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecatedOptionWarning)
        config = parse_config(
            ActConfig,
            ["--output_dir", str(tmp_path), "--no_on_policy", "--max_new_tokens", "9",
             "--no-prefix-cache", "--timeout", "7", "--batch_size", "2"],
        )  # fmt: skip
        assert config.on_policy is False and config.max_new_tokens == 9
        assert config.prefix_cache is False and config.timeout_s == 7.0 and config.batch_size == 2
        assert config.backend_options().timeout_s == 7.0
        kebab = parse_config(ActConfig, ["--output-dir", str(tmp_path), "--no-simulation"])
        assert kebab.simulation is False and kebab.on_policy is True
        assert kebab.settings().simulate is False


def test_yaml_takes_both_spellings_and_old_keys(tmp_path):
    path = tmp_path / "act.yaml"
    path.write_text(
        "max-new-tokens: 12\ntrain_split: validation\nno_on_policy: true\n"
        "sampling_temperature: 0.3\ntimeout: 9\n"
    )
    with pytest.warns(DeprecatedOptionWarning, match="act.yaml"):
        config = parse_config(ActConfig, ["--config", str(path), "--output-dir", str(tmp_path)])
    assert (config.max_new_tokens, config.train_split, config.timeout_s) == (12, "validation", 9)
    assert config.on_policy is False and config.temperature == 0.3
    with pytest.warns(DeprecatedOptionWarning):
        flag_wins = parse_config(
            ActConfig, ["--config", str(path), "--on-policy", "--output-dir", str(tmp_path)]
        )
    assert flag_wins.on_policy is True


def test_an_unknown_yaml_key_names_the_file_and_the_key(tmp_path):
    path = tmp_path / "sft.yaml"
    path.write_text("conversations: 5\nlearning-rat: 0.1\n")
    with pytest.raises(ConfigError, match=r"sft\.yaml: unknown key 'learning-rat'") as error:
        parse_config(SFTBaselineConfig, ["--config", str(path)])
    assert error.value.hint == "did you mean 'learning_rate'?"


def test_resume_is_the_last_checkpoint(tmp_path):
    out = ["--output-dir", str(tmp_path)]
    assert parse_config(SFTBaselineConfig, [*out, "--resume"]).resume_from_checkpoint == "last"
    assert parse_config(SFTBaselineConfig, out).resume_from_checkpoint is None
    kept = parse_config(SFTBaselineConfig, [*out, "--resume-from-checkpoint", "last", "--resume"])
    assert kept.resume_from_checkpoint == "last"
    with pytest.raises(ConfigError, match="pass one of them"):
        parse_config(SFTBaselineConfig, [*out, "--resume", "--resume-from-checkpoint", "ckpt-3"])


def test_shipped_act_config_parses(tmp_path):
    path = Path(__file__).resolve().parents[1] / "baselines" / "configs" / "act_pacific.yaml"
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecatedOptionWarning)
        config = parse_config(ActConfig, ["--config", str(path), "--output-dir", str(tmp_path)])
    assert config.temperature == 1.0 and config.batch_size == 8 and config.on_policy


def _eval(*args: str):
    return CliRunner().invoke(app, ["eval", *args], catch_exceptions=False)


def test_eval_config_file_fills_eval_config_and_flags_win(tmp_path, data_dir):
    path = tmp_path / "eval.yaml"
    out = tmp_path / "run"
    path.write_text(
        f"model: scripted\nlimit: 4\nmax-new-tokens: 16\nbatch_size: 2\noutput_dir: {out}\n"
        f"data-dir: {data_dir}\ntimeout: 30\nprefix_cache: false\nquiet: true\n"
    )
    result = _eval("--config", str(path), "--limit", "3")
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    config = results["config"]
    assert config["limit"] == 3  # the flag wins over the file's 4
    assert (config["max_new_tokens"], config["batch_size"], config["model"]) == (16, 2, "scripted")
    assert results["timings"]["request_timeout_s"] == 30.0  # `timeout`: the flag's name


def test_eval_config_file_errors_name_the_file_and_key(tmp_path):
    path = tmp_path / "eval.yaml"
    path.write_text("model: scripted\nmax_new_token: 16\n")
    result = _eval("--config", str(path))
    assert result.exit_code == 2
    assert "eval.yaml: unknown key 'max_new_token'" in result.output
    assert "did you mean 'max_new_tokens'?" in result.output
    path.write_text("limit: many\n")
    result = _eval("--config", str(path))
    assert result.exit_code == 2 and "'limit' must be int or null, got 'many'" in result.output
    missing = _eval("--config", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 2 and "not found" in missing.output


def test_the_readme_glossary_says_which_commands_take_each_flag():
    """Every flag of the glossary is an option of each eval / train command its row names."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    glossary = readme.split("## Glossary of options", 1)[1].split("\n## ", 1)[0]
    trainers = ("sft", "dpo-dist", "irpo", "act")
    helps = {"eval": _flags(_help("eval"))}
    helps.update({f"train {m}": _flags(_help("train", m)) for m in trainers})
    rows = [line for line in glossary.splitlines() if line.startswith("| `--")]
    assert len(rows) >= 20
    checked = 0
    for row in rows:
        first, *_, last = row.strip(" |").split(" | ")
        commands = set(re.findall(r"`(eval|train [a-z-]+)`", last))
        if "`train *`" in last or last == "all":
            commands |= {f"train {m}" for m in trainers}
        if last == "all":
            commands.add("eval")
        for flag in re.findall(r"--[a-z][a-z-]*", first):
            for command in commands:
                assert flag in helps[command], (flag, command)
                checked += 1
    assert checked > 80
