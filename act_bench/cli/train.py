"""`act-bench train METHOD`: the trainers parse their own flags."""

from __future__ import annotations

import typer

from act_bench.cli.app import train_app
from act_bench.cli.common import (
    reports_errors,
)

# Trainer flags are their config dataclass's fields (TRL's parser, YAML via --config), so
# the arguments pass through untouched, --help included; baselines import only when run.
TRAIN_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def _train(method: str, ctx: typer.Context) -> None:
    from act_bench_baselines.cli import train_from_args

    train_from_args(method, ctx.args)


@train_app.command("sft", context_settings=TRAIN_ARGS, add_help_option=False)
@reports_errors
def train_sft_command(ctx: typer.Context) -> None:
    """SFT on the gold responses (loss on the response only; selection by validation loss)."""
    _train("sft", ctx)


@train_app.command("dpo-dist", context_settings=TRAIN_ARGS, add_help_option=False)
@reports_errors
def train_dpo_dist_command(ctx: typer.Context) -> None:
    """Off-policy DPO on pairs from a strong (winner) and a weak (loser) model, cached (App. B)."""
    _train("dpo-dist", ctx)


@train_app.command("irpo", context_settings=TRAIN_ARGS, add_help_option=False)
@reports_errors
def train_irpo_command(ctx: typer.Context) -> None:
    """Iterative RPO: sample N per prompt, label with the task heuristic, DPO + NLL, repeat."""
    _train("irpo", ctx)


@train_app.command("act", context_settings=TRAIN_ARGS, add_help_option=False)
@reports_errors
def train_act_command(ctx: typer.Context) -> None:
    """ACT (Alg. 1-2): action-contrastive pairs, on-policy sampling, trajectory simulation."""
    _train("act", ctx)
