"""The typer application and its command groups; commands register in sibling modules, and
plug-ins add theirs through the ``act_bench.commands`` entry points (:mod:`.plugins`)."""

from __future__ import annotations

from dataclasses import dataclass

import typer

app = typer.Typer(
    help="Evaluate and train LLM agents that decide when to ask a clarifying question (ACT).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Get datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")
leaderboard_app = typer.Typer(
    help="The local leaderboard (SQLite): submit runs, show and export rankings.",
    no_args_is_help=True,
)
app.add_typer(leaderboard_app, name="leaderboard")
analyze_app = typer.Typer(help="Analyses of the datasets and models.", no_args_is_help=True)
app.add_typer(analyze_app, name="analyze")
train_app = typer.Typer(
    help="Fine-tune a policy on a task (`act-bench train METHOD --help` lists every option).",
    no_args_is_help=True,
)
app.add_typer(train_app, name="train")


@dataclass(frozen=True, slots=True)
class CommandGroups:
    """The groups a plug-in adds its commands to.

    An ``act_bench.commands`` entry point names a function ``register(groups)`` that adds
    commands with typer's decorators, e.g. ``groups.data.command("build-mytask")(build)``,
    so the core never names a task's or a trainer's commands.
    """

    root: typer.Typer
    data: typer.Typer
    analyze: typer.Typer
    train: typer.Typer
    leaderboard: typer.Typer


GROUPS = CommandGroups(
    root=app, data=data_app, analyze=analyze_app, train=train_app, leaderboard=leaderboard_app
)
