"""The options every command shares, declared once: flag, type, default and help.

``act-bench eval`` builds its flags from :data:`EVAL_OPTIONS` (the fields of
:class:`~act_bench.evaluation.EvalConfig`, which takes its defaults and help from the same
table), and the trainers' config dataclasses declare the shared concepts with
:func:`option`, so one concept has one name and one help text on every command: ``--dtype``,
``--temperature``, ``--batch-size``, ``--resume``... (STYLE.md: "one concept with two flag
names on two commands" is what we avoid). The table is plain data, importable without the
evaluation code, so ``act-bench --help`` stays fast.

Flags are kebab-case (``--max-new-tokens``); the trainers also accept TRL's snake_case
(``--max_new_tokens``) because their parser is TRL's. A renamed trainer field keeps its old
name working with a :class:`DeprecatedOptionWarning` (:data:`RENAMED`).
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from act_bench.errors import ConfigError


class DeprecatedOptionWarning(FutureWarning):
    """An option or YAML key under a name that has been replaced; it still works."""


@dataclass(frozen=True, slots=True)
class Option:
    """One concept: its Python type and default (as ``act-bench eval`` takes it) and help.

    ``flag`` is the command-line name when it is not the field name in kebab-case
    (``timeout_s`` is ``--timeout``); a bool is a ``--name/--no-name`` pair.
    """

    type: Any
    default: Any
    help: str
    flag: str | None = None
    short: str | None = None
    metavar: str | None = None

    def flag_for(self, name: str) -> str:
        return self.flag or "--" + name.replace("_", "-")


def kebab(name: str) -> str:
    """A field name as a flag: ``max_new_tokens`` -> ``--max-new-tokens``."""
    return "--" + name.replace("_", "-")


_O = Option

# The fields of EvalConfig, in its order; the shared concepts among them are reused by the
# trainers (their own defaults, the same help).
EVAL_OPTIONS: dict[str, Option] = {
    "task": _O(str, "pacific", "Task name (see `act-bench tasks`).", short="-t"),
    "model": _O(
        str,
        "smollm2",
        "Policy model spec: smollm2 | hf:PATH_OR_ID | litellm:PROVIDER/MODEL | vllm:PATH_OR_ID.",
    ),
    "simulator": _O(str, "gold", "User simulator: gold (replay) or a model spec."),
    "action_classifier": _O(
        str, "heuristic", "Action classifier: heuristic or a model spec (few-shot, App. G)."
    ),
    "protocol": _O(
        str,
        "act-bench",
        "Evaluation protocol: act-bench (multi-round, PACIFIC's DROP F1, no credit without an "
        "answer) or act-paper (the ACT authors' scoring: first line, 128 tokens, one "
        "clarification round, their get_metrics).",
    ),
    "split": _O(str, "validation", "Dataset split."),
    "data_dir": _O(
        str | None,
        None,
        "Data root holding <task>/ folders; defaults to $ACT_BENCH_DATA, else the bundled sample.",
    ),
    "limit": _O(int | None, None, "Only the first N turn states."),
    "batch_size": _O(
        int,
        8,
        "Items generated together (a generation batch; the training batch is TRL's "
        "--per-device-train-batch-size).",
    ),
    "seed": _O(int, 0, "Seed for sampling, simulators and selection."),
    "max_turns": _O(
        int | None, None, "Cap on policy turns per trajectory (default 3; act-paper: 2)."
    ),
    "max_new_tokens": _O(
        int | None,
        None,
        "Tokens generated per policy turn (default: the task's, 64, AmbigSQL 256; act-paper: "
        "128 or the task's if larger).",
    ),
    "temperature": _O(float, 0.0, "Sampling temperature of the policy (0 = greedy)."),
    "top_p": _O(float, 1.0, "Nucleus sampling mass."),
    "device": _O(str | None, None, "hf/smollm2 device (cpu, cuda, cuda:1); default auto."),
    "dtype": _O(
        str | None,
        None,
        "dtype the hf/smollm2 weights are loaded in (float32, bfloat16, float16); default: "
        "bfloat16 on a GPU that supports it, float32 elsewhere.",
    ),
    "api_base": _O(str | None, None, "litellm: base URL of an OpenAI-compatible server."),
    "max_concurrency": _O(int, 8, "litellm: concurrent requests."),
    "timeout_s": _O(
        float,
        120.0,
        "litellm: seconds one request attempt may take before it is retried.",
        flag="--timeout",
        metavar="SECONDS",
    ),
    "prompt_style": _O(
        str | None,
        None,
        "Prompting style (App. E): standard (Table A17), cot (A18), proactive (A19); default: "
        "the style an hf:/vllm: checkpoint was trained in (its training_config.json; IRPO: "
        "cot), else standard.",
    ),
    "num_shots": _O(int, 0, "In-context conversations drawn with --seed from the shot pool."),
    "shot_pool": _O(
        str,
        "train",
        "Split the shots come from (a seeded 250-conversation pool); falls back to the task's "
        "bundled sample when absent.",
    ),
    "include_selection": _O(
        bool,
        False,
        "Keep the conversations an hf: or vllm: checkpoint was selected on (its "
        "training_config.json); by default they are left out and counted.",
    ),
    "output_dir": _O(str, "runs/latest", "Run directory (default runs/<task>-<split>-<model>)."),
    "prefix_cache": _O(
        bool,
        True,
        "hf/smollm2: reuse the KV cache of prompt prefixes already computed; vllm: automatic "
        "prefix caching. Greedy outputs are the same either way.",
    ),
    "num_trials": _O(
        int,
        1,
        "Run every episode K times, each trial with its own seed derived from --seed; "
        "results.json adds the std across trials, pass^k and pass@k.",
    ),
    "cache": _O(
        bool,
        True,
        "Answer the simulator's, classifier's and generators' model calls from the response "
        "cache when the same call was made before.",
    ),
    "cache_dir": _O(
        str | None,
        None,
        "Folder of the response cache (default $ACT_BENCH_CACHE, else the user cache directory).",
    ),
    "cache_policy": _O(
        bool,
        False,
        "Cache the policy's calls too (off by default, so that trials still sample).",
    ),
}

# Concepts that are not EvalConfig fields but mean the same on every command that has them.
COMMAND_OPTIONS: dict[str, Option] = {
    "resume": _O(
        bool,
        False,
        "Continue a killed run in --output-dir without redoing what it finished (eval: the "
        "finished items; train: from its last checkpoint).",
    ),
    "quiet": _O(bool, False, "No progress bars."),
}

SHARED: dict[str, Option] = {**EVAL_OPTIONS, **COMMAND_OPTIONS}


@dataclass(frozen=True, slots=True)
class Renamed:
    """An old trainer field name and the field that replaced it; ``negated`` when the old
    one was a negative boolean (``no_on_policy: true`` is ``on_policy: false``)."""

    old: str
    new: str
    negated: bool = False


RENAMED: dict[str, Renamed] = {
    r.old: r
    for r in (
        Renamed("model_dtype", "dtype"),
        Renamed("sampling_temperature", "temperature"),
        Renamed("generation_batch_size", "batch_size"),
        Renamed("no_on_policy", "on_policy", negated=True),
        Renamed("no_simulation", "simulation", negated=True),
    )
}


def option(name: str, default: Any = dataclasses.MISSING, *, note: str = "") -> Any:
    """A dataclass field for the shared concept ``name``: the table's help (plus ``note``,
    what it means for this command) and the table's default unless ``default`` is given."""
    spec = SHARED[name]
    metadata: dict[str, Any] = {"help": f"{spec.help} {note}".strip()}
    if spec.flag:  # the trainers' parser (transformers' HfArgumentParser) takes it too
        metadata["aliases"] = [spec.flag]
    if spec.metavar:
        metadata["metavar"] = spec.metavar
    value = spec.default if default is dataclasses.MISSING else default
    return dataclasses.field(default=value, metadata=metadata)


def read_options_file(path: str | Path, table: dict[str, Option]) -> dict[str, Any]:
    """The options a ``--config FILE.yaml`` sets: a mapping whose keys are field names or
    flag names (``max_new_tokens``, ``max-new-tokens``, ``timeout``), each value of the
    option's type. An unknown key or a value of the wrong type is a ConfigError naming the
    file and the key."""
    import yaml

    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"config file {file} not found")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"config file {file} is not valid YAML: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {file} must hold a mapping of option: value")
    names = {name: name for name in table}
    names.update({spec.flag_for(name)[2:].replace("-", "_"): name for name, spec in table.items()})
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = names.get(str(key).replace("-", "_"))
        if name is None:
            close = difflib.get_close_matches(str(key).replace("-", "_"), list(names), n=1)
            raise ConfigError(
                f"config file {file}: unknown key {key!r}",
                hint=f"did you mean {close[0]!r}?" if close else "see --help for the options",
            )
        values[name] = _checked(value, table[name].type, file, key)
    return values


def _checked(value: Any, expected: Any, file: Path, key: Any) -> Any:
    """``value`` as the option's type; an int is accepted where a float is meant."""
    allowed = typing.get_args(expected) if isinstance(expected, types.UnionType) else (expected,)
    if value is None and type(None) in allowed:
        return None
    for kind in allowed:
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind in (str, bool) and isinstance(value, kind):
            return value
    wanted = " or ".join("null" if kind is type(None) else kind.__name__ for kind in allowed)
    raise ConfigError(f"config file {file}: {key!r} must be {wanted}, got {value!r}")
