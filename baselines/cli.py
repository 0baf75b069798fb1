"""The trainers' commands: ``act-bench train <method>`` and ``act-bench data build-preferences``.

They reach ``act-bench`` through the ``act_bench.commands`` entry point ``trainers``
(:func:`register`), so the core CLI names no trainer. ``train`` passes the raw arguments
to :func:`train_from_args`, so each trainer's flags are exactly its config dataclass's
fields (TRL's parser), and ``--help`` lists them all. A trainer registers in
:data:`TRAINERS` as ``"module:ConfigClass:function"``.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.markup import escape

from act_bench.cli.app import CommandGroups
from act_bench.cli.common import (
    CacheDir,
    CacheOption,
    DataDir,
    PrefixCacheOption,
    Seed,
    Split,
    Task,
    console,
    print_metrics,
    reports_errors,
)
from act_bench.errors import ConfigError
from act_bench.registry import Registry

TRAINERS: Registry[str] = Registry("trainer")
TRAINERS.add("sft", "act_bench_baselines.sft.trainer:SFTBaselineConfig:train_sft")
TRAINERS.add("dpo-dist", "act_bench_baselines.dpo_dist.trainer:DPODistConfig:train_dpo_dist")
TRAINERS.add("irpo", "act_bench_baselines.irpo.trainer:IRPOConfig:train_irpo")
TRAINERS.add("act", "act_bench_baselines.act.trainer:ActConfig:train_act")

# The packages of act-bench's ``train`` extra: a trainer without them cannot even import.
TRAIN_EXTRAS = ("trl", "peft", "datasets")
TRAIN_INSTALL = "pip install 'act-bench[train]'"
# Trainer flags are their config dataclass's fields (TRL's parser, YAML via --config), so
# the arguments pass through untouched, --help included; trainers import only when run.
TRAIN_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def train_from_args(method: str, args: Sequence[str]) -> Any:
    """Fill the method's config from ``args`` (``--config FILE.yaml`` plus flags) and run it."""
    module_name, config_name, function_name = TRAINERS.get(method).split(":")
    module = _import_trainer(method, module_name)
    from act_bench_baselines.common.config import parse_config

    config_class = getattr(module, config_name)
    config = parse_config(
        config_class,
        args,
        prog=f"act-bench train {method}",
        description=(module.__doc__ or "").split("\n\n")[0],
    )
    return getattr(module, function_name)(config)


def _import_trainer(method: str, module_name: str) -> Any:
    """The trainer's module; a missing package of the ``train`` extra is a ConfigError that
    says how to install it, not a traceback."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        package = (error.name or "").split(".")[0]
        if package not in TRAIN_EXTRAS:
            raise
        raise ConfigError(
            f"act-bench train {method} needs the training extras; {package!r} is not installed",
            hint=TRAIN_INSTALL,
        ) from None


def register(groups: CommandGroups) -> None:
    """The ``act_bench.commands`` hook: mount the trainers' commands on the CLI's groups."""
    groups.data.command("build-preferences")(build_preferences_command)
    for name, command in (
        ("sft", train_sft_command),
        ("dpo-dist", train_dpo_dist_command),
        ("irpo", train_irpo_command),
        ("act", train_act_command),
    ):
        groups.train.command(name, context_settings=TRAIN_ARGS, add_help_option=False)(command)


@reports_errors
def train_sft_command(ctx: typer.Context) -> None:
    """SFT on the gold responses (loss on the response only; selection by validation loss)."""
    train_from_args("sft", ctx.args)


@reports_errors
def train_dpo_dist_command(ctx: typer.Context) -> None:
    """Off-policy DPO on pairs from a strong (winner) and a weak (loser) model, cached (App. B)."""
    train_from_args("dpo-dist", ctx.args)


@reports_errors
def train_irpo_command(ctx: typer.Context) -> None:
    """Iterative RPO: sample N per prompt, label with the task heuristic, DPO + NLL, repeat."""
    train_from_args("irpo", ctx.args)


@reports_errors
def train_act_command(ctx: typer.Context) -> None:
    """ACT (Alg. 1-2): action-contrastive pairs, on-policy sampling, trajectory simulation."""
    train_from_args("act", ctx.args)


@reports_errors
def build_preferences_command(
    task: Task = "pacific",
    generator: Annotated[
        str, typer.Option(help="Conditional generation model M of Alg. 1 (any model spec).")
    ] = "smollm2",
    action_labels: Annotated[
        str, typer.Option(help="gold, or classifier:SPEC for pseudo-labels (§5.4).")
    ] = "gold",
    action_classifier: Annotated[
        str, typer.Option(help="Classifier that judges whether y_l took the rejected action.")
    ] = "heuristic",
    conversations: Annotated[int, typer.Option(help="Conversations sampled with --seed.")] = 50,
    split: Split = "train",
    seed: Seed = 0,
    data_dir: DataDir = None,
    max_new_tokens: Annotated[int, typer.Option(help="Tokens generated per y_l.")] = 64,
    generator_shots: Annotated[
        int, typer.Option(help="In-context conversations in M's control prompt (App. F).")
    ] = 10,
    prefix_cache: PrefixCacheOption = True,
    output: Annotated[
        str | None, typer.Option(help="JSONL file (default preferences/<task>-...jsonl).")
    ] = None,
    cache: CacheOption = True,
    cache_dir: CacheDir = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Alg. 1: contrastive action pairs (y_w = r, y_l from M under the rejected action)."""
    from act_bench_baselines.act.preferences import PreferenceBuild

    path, built = PreferenceBuild(
        task=task,
        generator=generator,
        action_labels=action_labels,
        action_classifier=action_classifier,
        conversations=conversations,
        split=split,
        seed=seed,
        data_dir=data_dir,
        max_new_tokens=max_new_tokens,
        generator_shots=generator_shots,
        prefix_cache=prefix_cache,
        output=output,
        cache=cache,
        cache_dir=cache_dir,
    ).run(show_progress=not quiet)
    if built.shots.note:
        console.print(escape(f"note: {built.shots.note}"), style="yellow")
    summary = built.stats.to_json()
    print_metrics(
        f"D_pref · {task} · {split}", {}, {k: v for k, v in summary.items() if isinstance(v, int)}
    )
    rate = summary["control_rate"]
    console.print(
        f"y_l takes the rejected action in {'n/a' if rate is None else f'{rate:.1%}'} of pairs; "
        f"written to {escape(str(path))}"
    )
