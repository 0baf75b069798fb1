"""What a leaderboard row is made of, read and validated from an evaluation's run directory."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from act_bench.errors import DataError
from act_bench.results import config_hash
from act_bench.task import get_task

REQUIRED_FIELDS = (
    "act_bench_version",
    "created",
    "task",
    "split",
    "model",
    "simulator",
    "action_classifier",
    "n_items",
    "config",
    "config_hash",
    "metrics",
    "counts",
)


@dataclass(frozen=True, slots=True)
class Submission:
    """One run as the leaderboard stores it, with its full provenance."""

    name: str
    task: str
    split: str
    model: str
    simulator: str
    action_classifier: str
    prompt_style: str | None
    num_shots: int | None
    n_items: int | None
    config_hash: str
    config: dict[str, Any]
    metrics: dict[str, float | None]
    act_bench_version: str | None
    run_created: str | None
    results_dir: str | None
    source: str = "ours"
    approach: str | None = None
    reference: str | None = None  # "table1#3" for the paper's rows
    shots: dict[str, Any] | None = None
    conversations: int | None = None  # training conversations of a tuned model


def _fail(message: str, path: Path, field: str | None = None) -> DataError:
    return DataError(f"not a valid results directory: {message}", file=str(path), field=field)


def _read_results(results_dir: Path) -> tuple[Path, dict[str, Any]]:
    path = results_dir / "results.json"
    if not path.is_file():
        raise _fail("results.json is missing", path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        problem = f"results.json is not JSON ({error.msg} at line {error.lineno})"
        raise _fail(problem, path) from None
    if not isinstance(data, dict):
        raise _fail("results.json must hold an object", path)
    return path, data


def _check_metrics(path: Path, task_name: str, metrics: Any) -> dict[str, float | None]:
    """Every metric the task reports is present, and each is None or a number in [0, 100]."""
    if not isinstance(metrics, dict):
        raise _fail("metrics must be an object", path, "metrics")
    expected = set(get_task(task_name).metrics([]))
    missing = sorted(expected - set(metrics))
    if missing:
        raise _fail(f"metrics missing for task {task_name}: {', '.join(missing)}", path, "metrics")
    checked: dict[str, float | None] = {}
    for name, value in metrics.items():
        if value is None:
            checked[name] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise _fail(f"metric {name} is not a number: {value!r}", path, f"metrics.{name}")
        if not 0.0 <= value <= 100.0:
            raise _fail(f"metric {name}={value} is outside [0, 100]", path, f"metrics.{name}")
        checked[name] = float(value)
    return checked


def _count_samples(results_dir: Path) -> int:
    path = results_dir / "samples.jsonl"
    if not path.is_file():
        raise _fail("samples.jsonl is missing", path)
    with path.open(encoding="utf-8") as lines:
        return sum(1 for line in lines if line.strip())


def read_submission(
    results_dir: Path, name: str | None = None, approach: str | None = None
) -> Submission:
    """Validate a finished run directory (schema, completeness, metric ranges, config hash)."""
    results_dir = Path(results_dir)
    path, data = _read_results(results_dir)
    for field in REQUIRED_FIELDS:
        if field not in data:
            raise _fail(f"field {field} is missing", path, field)
    if data.get("status") != "complete":
        raise _fail(f"the run is not complete (status {data.get('status')!r})", path, "status")
    config = data["config"]
    if not isinstance(config, dict) or config_hash(config) != data["config_hash"]:
        raise _fail("config_hash does not match config", path, "config_hash")
    n_items = data["n_items"]
    if not isinstance(n_items, int) or n_items < 1:
        raise _fail(f"n_items must be a positive integer, got {n_items!r}", path, "n_items")
    samples = _count_samples(results_dir)
    if samples != n_items:
        raise _fail(f"samples.jsonl holds {samples} items, results.json says {n_items}", path)
    metrics = _check_metrics(path, data["task"], data["metrics"])
    prompting = data.get("prompting") or {}
    training = _training_config(data["model"])
    conversations = training.get("conversations") if training else None
    return Submission(
        name=name or results_dir.resolve().name,
        task=data["task"],
        split=data["split"],
        model=data["model"],
        simulator=data["simulator"],
        action_classifier=data["action_classifier"],
        prompt_style=config.get("prompt_style", "standard"),
        num_shots=_shots_used(config, prompting),
        n_items=n_items,
        config_hash=data["config_hash"],
        config=config,
        metrics=metrics,
        act_bench_version=data["act_bench_version"],
        run_created=data["created"],
        results_dir=str(results_dir.resolve()),
        approach=approach or (training or {}).get("trainer") or _approach(config),
        shots=prompting.get("shots"),
        conversations=conversations,
    )


def _shots_used(config: dict[str, Any], prompting: dict[str, Any]) -> int:
    """The in-context conversations actually shown (fewer than asked when the pool is small)."""
    shots = prompting.get("shots") or {}
    return int(shots.get("used", config.get("num_shots", 0)))


def _training_config(model: str) -> dict[str, Any] | None:
    """An act-bench checkpoint's ``training_config.json`` (``hf:DIR`` models), if any."""
    if not model.startswith("hf:"):
        return None
    path = Path(model[3:]) / "training_config.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _approach(config: dict[str, Any]) -> str:
    """A prompting run's approach id as the paper's tables name them (standard, cot, ...)."""
    return str(config.get("prompt_style", "standard"))
