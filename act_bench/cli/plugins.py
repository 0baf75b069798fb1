"""Commands contributed by plug-ins through the ``act_bench.commands`` entry-point group.

Each entry point names ``register(groups: CommandGroups) -> None`` (:mod:`.app`). A task
adds its dataset builders and analyses, a trainer package its ``train`` methods; the core
CLI names none of them. A plug-in that fails to load is left out with one warning naming
its entry point, so ``act-bench --help`` and every other command keep working.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

from rich.markup import escape

from act_bench.cli.app import CommandGroups
from act_bench.cli.common import errors

COMMANDS_GROUP = "act_bench.commands"
# Plug-ins whose module was itself importing the CLI when the CLI loaded them (code that
# imported the plug-in module first): registered by :func:`register_pending`.
_PENDING: list[EntryPoint] = []


def register_plugin_commands(
    groups: CommandGroups, entries: Iterable[EntryPoint] | None = None
) -> list[str]:
    """Register the commands of every installed plug-in (or of ``entries``) on ``groups``;
    the names of those that failed to load, each warned about once, on stderr."""
    failed = []
    for entry in entry_points(group=COMMANDS_GROUP) if entries is None else entries:
        if _still_importing(entry.module):
            _PENDING.append(entry)
            continue
        try:
            entry.load()(groups)
        except Exception as error:  # a broken plug-in must not take the CLI down with it
            failed.append(entry.name)
            _warn(entry, error)
    return failed


def register_pending(groups: CommandGroups) -> list[str]:
    """Register the plug-ins deferred because their module was still being imported."""
    pending = [entry for entry in _PENDING if not _still_importing(entry.module)]
    for entry in pending:
        _PENDING.remove(entry)
    return register_plugin_commands(groups, pending)


def _still_importing(module_name: str) -> bool:
    """Whether ``module_name`` is half-imported (its import is what loaded the CLI), so
    its ``register`` does not exist yet."""
    module = sys.modules.get(module_name)
    return module is not None and bool(getattr(module.__spec__, "_initializing", False))


def _warn(entry: EntryPoint, error: Exception) -> None:
    message = (
        f"the commands of plug-in {entry.name!r} ({COMMANDS_GROUP} entry point "
        f"{entry.value}) were not loaded: {type(error).__name__}: {error}"
    )
    errors.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)
