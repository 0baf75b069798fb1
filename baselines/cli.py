"""``act-bench train <method>``: parse the method's config from flags and YAML, then train.

The typer CLI (``act_bench/cli.py``) passes the raw arguments here, so each trainer's
flags are exactly its config dataclass's fields (TRL's parser), and ``--help`` lists
them all. A trainer registers as ``"module:ConfigClass:function"``.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from act_bench.registry import Registry

TRAINERS: Registry[str] = Registry("trainer")
TRAINERS.add("sft", "act_bench_baselines.sft.trainer:SFTBaselineConfig:train_sft")
TRAINERS.add("dpo-dist", "act_bench_baselines.dpo_dist.trainer:DPODistConfig:train_dpo_dist")
TRAINERS.add("irpo", "act_bench_baselines.irpo.trainer:IRPOConfig:train_irpo")
TRAINERS.add("act", "act_bench_baselines.act.trainer:ActConfig:train_act")


def train_from_args(method: str, args: Sequence[str]) -> Any:
    """Fill the method's config from ``args`` (``--config FILE.yaml`` plus flags) and run it."""
    from act_bench_baselines.common.config import parse_config

    module_name, config_name, function_name = TRAINERS.get(method).split(":")
    module = importlib.import_module(module_name)
    config_class = getattr(module, config_name)
    config = parse_config(
        config_class,
        args,
        prog=f"act-bench train {method}",
        description=(module.__doc__ or "").split("\n\n")[0],
    )
    return getattr(module, function_name)(config)
