"""``training_config.json``, the record of one training run: written as the run starts,
updated as it goes, read back to refuse overwriting or a changed resume.

It holds the method (the leaderboard's approach id), the model spec and path with LoRA
settings, the prompting style evaluation should use (:mod:`act_bench.training_record`),
the data selection, the full config and its hash, package versions, and, as the run goes
on, the data record, the checkpoint selection and timings.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from act_bench_baselines.common.data import DataSelection
from act_bench_baselines.common.model import ModelSource

from act_bench import __version__
from act_bench.errors import ConfigError
from act_bench.prompting.shots import BUNDLED_POOL
from act_bench.results import config_hash

RECORD_FILE = "training_config.json"
PACKAGES = ("torch", "transformers", "trl", "peft", "datasets", "accelerate", "deepspeed")
_NOT_RESUMING = (None, "", "false", "False")


def new_record(
    method: str, config: Any, source: ModelSource, selection: DataSelection, prompt_style: str
) -> dict[str, Any]:
    """The record of a run that starts now (status ``running``)."""
    return {
        "act_bench_version": __version__,
        "method": method,
        "trainer": method,  # the leaderboard's approach id (sft, dpo-dist, irpo, act)
        "conversations": config.conversations,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "running",
        "task": config.task,
        "prompt_style": prompt_style,
        "model": {**source.to_json(), "lora": lora_json(config)},
        "data_identity": config.data_identity(),
        "data": selection.to_json(),
        "config": config.to_dict(),
        "config_hash": config_hash(config.data_identity() | hyperparameters(config)),
        "versions": versions(),
    }


def shots_seen(data: dict[str, Any]) -> dict[str, Any] | None:
    """The conversations of a real split that M's control prompts showed (App. F), from the
    D_pref builds recorded under ``data`` (any depth): evaluation leaves them out like the
    training and selection conversations (:mod:`act_bench.selection`). Bundled-sample shots
    are not data of any split and are not listed; shots from two pools are refused."""
    pools: dict[str, set[str]] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            shots = value.get("shots")
            if isinstance(shots, dict) and shots.get("pool") not in (None, BUNDLED_POOL):
                pools.setdefault(shots["pool"], set()).update(shots.get("conversation_ids", ()))
            for key, item in value.items():
                if key != "shots":
                    walk(item)

    walk(data)
    if not pools:
        return None
    if len(pools) > 1:
        raise ConfigError(f"M's control shots come from several splits: {sorted(pools)}")
    ((split, ids),) = pools.items()
    return {"split": split, "conversation_ids": sorted(ids)}


def read_record(path: Path) -> dict[str, Any] | None:
    """A run directory's record, or None where there is none (or a torn one)."""
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None


def resuming(config: Any) -> bool:
    """Whether the config asks to continue the run in its output directory."""
    return config.resume_from_checkpoint not in _NOT_RESUMING


def check_same_data(config: Any, previous: dict[str, Any] | None, output_dir: Path) -> None:
    """A resumed run must select, sample and label as the run it continues."""
    if previous and previous.get("data_identity") != config.data_identity():
        raise ConfigError(
            "cannot resume: the data selection differs from the run in "
            f"{output_dir} ({previous.get('data_identity')})",
            hint="resume with the same --task, --model, --conversations, splits, --seed, "
            "--limit and sampling settings",
        )


def lora_json(config: Any) -> dict[str, Any] | None:
    if not config.use_peft:
        return None
    return {
        "r": config.lora_r,
        "alpha": config.lora_alpha,
        "dropout": config.lora_dropout,
        "target_modules": config.lora_target_modules or "all-linear",
    }


def hyperparameters(config: Any) -> dict[str, Any]:
    """Config fields that change the trained weights (not paths, logging or progress)."""
    ignored = {
        "output_dir",
        "logging_dir",
        "resume_from_checkpoint",
        "resume",
        "quiet",
        "disable_tqdm",
    }
    return {k: v for k, v in config.to_dict().items() if k not in ignored and "log" not in k}


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found
