"""The ``act-bench`` command line: thin wrappers that fill a config and call one library
function. ``app.py`` holds the typer groups; each sibling module registers the core's
commands, and installed plug-ins add theirs through ``act_bench.commands`` entry points
(a task's dataset builders, the trainers; :mod:`act_bench.cli.plugins`)."""

from __future__ import annotations

import importlib
import sys

from act_bench.cli.app import GROUPS, app
from act_bench.cli.plugins import register_pending, register_plugin_commands

__all__ = ["app", "main"]
# Registration order is the order `act-bench --help` lists the commands in.
for _module in ("evaluation", "runs", "data", "leaderboard", "reproduce"):
    importlib.import_module(f"act_bench.cli.{_module}")
register_plugin_commands(GROUPS)


def main() -> None:
    register_pending(GROUPS)
    app()


if __name__ == "__main__":
    sys.exit(main())
