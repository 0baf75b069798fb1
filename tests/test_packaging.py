"""What the distribution installs: our own import names only, and every package listed.

The folders ``tasks/`` and ``baselines/`` install as ``act_bench_tasks`` and
``act_bench_baselines`` (``package-dir`` in pyproject.toml): a top-level ``tasks`` module would
collide with other distributions and projects, and automatic discovery would turn the data
folders under ``tasks/ambigsql/sample/`` into namespace packages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
INSTALLED_AS = {
    "act_bench": "act_bench",
    "tasks": "act_bench_tasks",
    "baselines": "act_bench_baselines",
}


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _packages_in_tree() -> set[str]:
    names = set()
    for folder, import_name in INSTALLED_AS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder)
            names.add(".".join((import_name, *relative.parts)))
    return names


def test_the_explicit_package_list_matches_the_tree():
    setuptools = _pyproject()["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    in_tree = _packages_in_tree()
    assert listed == in_tree, (
        f"pyproject.toml [tool.setuptools] packages: missing {sorted(in_tree - listed)}, "
        f"stale {sorted(listed - in_tree)}"
    )
    assert setuptools["package-dir"]["act_bench_tasks"] == "tasks"
    assert setuptools["package-dir"]["act_bench_baselines"] == "baselines"


def test_every_python_folder_of_a_plugin_is_a_package():
    """A folder of modules without ``__init__.py`` would be left out of the wheel."""
    for folder in ("act_bench", "tasks", "baselines"):
        for module in (REPO / folder).rglob("*.py"):
            assert (module.parent / "__init__.py").exists(), f"{module.parent} has no __init__.py"


def test_entry_points_name_our_import_names_only():
    entry_points = _pyproject()["project"]["entry-points"]
    for group, entries in entry_points.items():
        for name, target in entries.items():
            top = target.split(":")[0].split(".")[0]
            assert top in INSTALLED_AS.values(), f"[{group}] {name} = {target}"


def _tracked_copy(destination: Path) -> Path:
    """The tracked files only, so that the build never writes into the checkout."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = REPO / name.decode()
        if source.is_file():
            target = destination / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    return destination


@pytest.mark.slow
def test_a_wheel_installs_our_names_and_lists_the_tasks_from_elsewhere(tmp_path):
    source = _tracked_copy(tmp_path / "source")
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("act_bench-*.whl")
    top_levels = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {"act_bench", "act_bench_tasks", "act_bench_baselines"} <= top_levels
    assert not top_levels & {"tasks", "baselines"}, top_levels
    members = zipfile.ZipFile(wheel).namelist()
    assert "act_bench_tasks/pacific/sample/validation.json" in members
    for task in ("pacific", "abg_coqa", "ambigsql"):
        assert f"act_bench_tasks/{task}/fewshot.json" in members  # the few-shot examples
    assert not [m for m in members if "/sample/" in m and m.endswith("__init__.py")]

    # A fresh venv with act-bench from the wheel. The dependencies come from this
    # interpreter's site-packages through PYTHONPATH, where .pth files are not run: the
    # checkout's editable finder stays out, so a module the wheel lacks fails here too.
    environment = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=False, with_pip=False).create(environment)
    python = environment / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "ACT_BENCH_DATA"}
    paths = sysconfig.get_paths()
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([paths["purelib"], paths["platlib"]]))
    listing = subprocess.run(
        [str(environment / "bin" / "act-bench"), "tasks"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for task in ("pacific", "abg-coqa", "ambigsql"):
        assert task in listing
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import act_bench.cli, act_bench_tasks, importlib.util as u; "
            "print(act_bench_tasks.__file__); "
            "print(u.find_spec('tasks'), u.find_spec('baselines'))",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert where[0].startswith(str(environment)), where
    assert where[1] == "None None"
