"""Plug-ins add commands through ``act_bench.commands`` entry points (act_bench/cli/plugins.py):
a task or trainer package contributes its own, and a broken one does not break the rest."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import typer
from helpers import one_line_error
from typer.testing import CliRunner

from act_bench.cli import app
from act_bench.cli.app import CommandGroups
from act_bench.cli.plugins import register_plugin_commands

PLUGIN = '''
from typing import Annotated

import typer


def register(groups):
    groups.data.command("build-fake")(build_fake)


def build_fake(count: Annotated[int, typer.Option(help="Items to build.")] = 1) -> None:
    """Build the fake task's dataset."""
    print(f"built {count} fake items")
'''


def install_plugin(root: Path, monkeypatch, module: str, source: str, entry: str) -> None:
    """A distribution on sys.path (``<module>.py`` and its dist-info) with one
    ``act_bench.commands`` entry point, as ``pip install`` would leave it."""
    (root / f"{module}.py").write_text(source, encoding="utf-8")
    dist = root / f"{module}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[act_bench.commands]\n{entry} = {module}:register\n")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delitem(sys.modules, module, raising=False)


def fresh_groups() -> CommandGroups:
    root = typer.Typer(no_args_is_help=True)
    groups = CommandGroups(
        root=root,
        data=typer.Typer(no_args_is_help=True),
        analyze=typer.Typer(no_args_is_help=True),
        train=typer.Typer(no_args_is_help=True),
        leaderboard=typer.Typer(no_args_is_help=True),
    )
    for name in ("data", "analyze", "train", "leaderboard"):
        root.add_typer(getattr(groups, name), name=name)
    return groups


def test_a_plugin_entry_point_contributes_a_command(tmp_path, monkeypatch) -> None:
    install_plugin(tmp_path, monkeypatch, "fake_act_plugin", PLUGIN, "fake")
    groups = fresh_groups()
    assert register_plugin_commands(groups) == []
    runner = CliRunner()
    listing = runner.invoke(groups.root, ["data", "--help"])
    assert "build-fake" in listing.output and "Build the fake task's dataset." in listing.output
    assert "build-ambigsql" in listing.output  # the installed plug-ins load beside it
    result = runner.invoke(groups.root, ["data", "build-fake", "--count", "3"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "built 3 fake items"


def test_a_plugin_that_fails_to_load_is_named_once_and_the_rest_still_load(
    tmp_path, monkeypatch, capsys
) -> None:
    broken = "import a_module_that_is_not_installed\n"
    install_plugin(tmp_path, monkeypatch, "broken_act_plugin", broken, "broken")
    groups = fresh_groups()
    assert register_plugin_commands(groups) == ["broken"]
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning:" in line]
    assert len(warnings) == 1
    assert "'broken'" in warnings[0] and "broken_act_plugin:register" in warnings[0]
    assert "a_module_that_is_not_installed" in warnings[0]
    listing = CliRunner().invoke(groups.root, ["data", "--help"])
    assert listing.exit_code == 0 and "build-ambigsql" in listing.output


def test_the_shipped_plugins_add_the_task_and_trainer_commands() -> None:
    runner = CliRunner()
    groups = ("data", "analyze", "train")
    commands = {group: runner.invoke(app, [group, "--help"]).output for group in groups}
    assert "build-ambigsql" in commands["data"] and "build-preferences" in commands["data"]
    assert "ambigsql-recovery" in commands["analyze"]
    for method in ("sft", "dpo-dist", "irpo", "act"):
        assert f" {method} " in commands["train"]


def test_train_without_the_training_extras_says_how_to_install_them(tmp_path, monkeypatch) -> None:
    from act_bench_baselines.cli import TRAINERS

    (tmp_path / "trainer_needing_trl.py").write_text("import trl\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(sys.modules, "trl", None)  # as if trl were not installed
    monkeypatch.setitem(TRAINERS._entries, "sft", "trainer_needing_trl:Config:train")
    result = CliRunner().invoke(app, ["train", "sft", "--output-dir", str(tmp_path / "out")])
    line = one_line_error(result, "act-bench train sft needs the training extras", "'trl'")
    assert "pip install 'act-bench[train]'" in result.output, line


def test_a_missing_module_outside_the_extras_keeps_its_traceback(tmp_path, monkeypatch) -> None:
    from act_bench_baselines.cli import TRAINERS, train_from_args

    (tmp_path / "trainer_with_a_bug.py").write_text("import not_a_real_module\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(TRAINERS._entries, "sft", "trainer_with_a_bug:Config:train")
    with pytest.raises(ModuleNotFoundError, match="not_a_real_module"):
        train_from_args("sft", [])
