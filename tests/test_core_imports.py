"""The core never names a plug-in (STYLE.md, "The house"): nothing under act_bench/ imports
act_bench_tasks or act_bench_baselines, at module level or lazily inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import act_bench

PLUGIN_PACKAGES = ("act_bench_tasks", "act_bench_baselines")
CORE = Path(act_bench.__file__).parent


def _names_a_plugin(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in PLUGIN_PACKAGES


def plugin_imports(source: str, filename: str) -> list[str]:
    """``file:line module`` for every import of a plug-in package in ``source``: import
    statements anywhere in the tree, and ``importlib.import_module`` / ``__import__`` of a
    literal name."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module] if node.level == 0 else []
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            first = node.args[0] if node.args else None
            literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
            modules = [first.value] if literal else []
        else:
            continue
        found += [f"{filename}:{node.lineno} {m}" for m in modules if _names_a_plugin(m)]
    return found


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def test_the_scan_sees_every_form_of_import() -> None:
    source = (
        "import act_bench_tasks.pacific\n"
        "from act_bench_baselines.cli import TRAINERS\n"
        "def lazy():\n"
        "    from act_bench_tasks.ambigsql.builder import build_ambigsql\n"
        "    importlib.import_module('act_bench_baselines.sft.trainer')\n"
        "    __import__('act_bench_tasks')\n"
        "from act_bench.task import get_task\n"
        "from . import sibling\n"
        "importlib.import_module(name)\n"
    )
    assert [hit.split(" ")[0] for hit in plugin_imports(source, "f.py")] == [
        "f.py:1",
        "f.py:2",
        "f.py:4",
        "f.py:5",
        "f.py:6",
    ]


def test_the_core_imports_no_task_and_no_trainer() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 50  # the whole package, not an empty folder
    found = [
        hit
        for path in files
        for hit in plugin_imports(path.read_text(encoding="utf-8"), str(path.relative_to(CORE)))
    ]
    assert found == []
