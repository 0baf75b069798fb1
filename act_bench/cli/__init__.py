"""The ``act-bench`` command line: thin wrappers that fill a config and call one library
function. ``app.py`` holds the typer groups; each sibling module registers its commands."""

from __future__ import annotations

import importlib
import sys

from act_bench.cli.app import app

__all__ = ["app", "main"]
# Registration order is the order `act-bench --help` lists the commands in.
for _module in ("evaluation", "runs", "data", "analyze", "leaderboard", "reproduce", "train"):
    importlib.import_module(f"act_bench.cli.{_module}")


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
