"""What a leaderboard row is made of, read and validated from an evaluation's run directory."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from act_bench.errors import DataError
from act_bench.results import SAMPLES_FILE, load_results, read_samples, regular_file
from act_bench.results_schema import RunResults
from act_bench.task import task_info


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
    data_source: str | None = None  # "sample" or "data:<digest>" (results.json data_source)
    n_backend_errors: int | None = None  # items that ended in a backend error
    protocol: str = "act-bench"  # the evaluation protocol (act_bench/protocols.py)
    # issue 16: each metric's 95 % bootstrap interval over items, and trials per episode
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    num_trials: int = 1


def _fail(message: str, path: Path, field: str | None = None, hint: str | None = None) -> DataError:
    return DataError(
        f"not a valid results directory: {message}", file=str(path), field=field, hint=hint
    )


def _check_metrics(path: Path, task_name: str, metrics: dict[str, float | None]) -> None:
    """Every metric the task declares (``Task.metric_names``) is present (types and ranges
    are the schema's)."""
    expected = set(task_info(task_name).metric_names)
    missing = sorted(expected - set(metrics))
    if missing:
        raise _fail(f"metrics missing for task {task_name}: {', '.join(missing)}", path, "metrics")


def _check_samples(results_dir: Path, n_items: int, num_trials: int = 1) -> None:
    """samples.jsonl is a regular file whose every line is a record, (id, trial) unique, one
    per item and trial."""
    path = regular_file(results_dir / SAMPLES_FILE, SAMPLES_FILE)
    records = read_samples(path, strict=True)
    if len(records) != n_items * num_trials:
        trials = f" items x {num_trials} trials" if num_trials > 1 else ""
        raise _fail(
            f"samples.jsonl holds {len(records)} items, results.json says {n_items}{trials}",
            results_dir / "results.json",
            "n_items",
        )


def read_submission(
    results_dir: Path,
    name: str | None = None,
    approach: str | None = None,
    *,
    allow_errors: bool = False,
) -> Submission:
    """Validate a finished run directory (schema, completeness, samples, config hash).

    A run whose items ended in backend errors (status ``incomplete``) is refused unless
    ``allow_errors``: its zeros are not the model's scores.
    """
    results_dir = Path(results_dir)
    path = results_dir / "results.json"
    results = load_results(path)
    if results.status == "incomplete" and not allow_errors:
        raise _fail(
            f"the run is incomplete: {results.n_backend_errors} item(s) ended in a backend error",
            path,
            "status",
            hint="act-bench eval --resume re-runs them; or submit with --allow-errors",
        )
    if results.status not in ("complete", "incomplete"):
        raise _fail(f"the run is not complete (status {results.status!r})", path, "status")
    assert results.metrics is not None  # the schema requires them for a finished run
    num_trials = results.trials.num_trials if results.trials is not None else 1
    _check_samples(results_dir, results.n_items, num_trials)
    _check_metrics(path, results.task, results.metrics)
    config = results.config
    training = _training_config(results.model)
    return Submission(
        name=name or results_dir.resolve().name,
        task=results.task,
        split=results.split,
        model=results.model,
        simulator=results.simulator,
        action_classifier=results.action_classifier,
        prompt_style=config.get("prompt_style", "standard"),
        num_shots=_shots_used(config, results),
        n_items=results.n_items,
        config_hash=results.config_hash,
        config=config,
        metrics={k: None if v is None else float(v) for k, v in results.metrics.items()},
        act_bench_version=results.act_bench_version,
        run_created=results.created,
        results_dir=str(results_dir.resolve()),
        approach=approach or (training or {}).get("trainer") or _approach(config),
        shots=_shots(results),
        conversations=(training or {}).get("conversations"),
        data_source=results.data_label,
        n_backend_errors=results.n_backend_errors,
        protocol=results.protocol,
        intervals={
            name: (pair[0], pair[1])
            for name, pair in (results.metrics_ci or {}).items()
            if pair is not None
        },
        num_trials=num_trials,
    )


def _shots(results: RunResults) -> dict[str, Any] | None:
    """The shot selection as recorded (ids, pool, note), for the leaderboard's provenance."""
    if results.prompting is None or results.prompting.shots is None:
        return None
    return results.prompting.shots.model_dump()


def _shots_used(config: dict[str, Any], results: RunResults) -> int:
    """The in-context conversations actually shown (fewer than asked when the pool is small)."""
    if results.prompting is not None and results.prompting.shots is not None:
        return results.prompting.shots.used
    asked = config.get("num_shots", 0)
    return asked if isinstance(asked, int) and not isinstance(asked, bool) else 0


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
