"""The fields every act-bench trainer shares, on top of the TRL config it builds on.

A trainer's config is one dataclass: ``SFTBaselineConfig(TaskTrainingArguments, SFTConfig)``,
``DPODistConfig(PreferenceArguments, TaskTrainingArguments, DPOConfig)``, and so on. The
CLI and a YAML file fill the same dataclass (:func:`parse_config`, TRL's own parser), so
every field, TRL's and transformers' included, is a flag and a YAML key. Defaults follow
App. J.2: batch size 4, maximum sequence length 1,280, checkpoint selection on the
validation split; the method-specific defaults live with each trainer.
"""

from __future__ import annotations

import argparse
import difflib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from act_bench_baselines.common.data import ALL as ALL_CONVERSATIONS

from act_bench.errors import ConfigError
from act_bench.options import RENAMED, SHARED, DeprecatedOptionWarning, kebab, option

C = TypeVar("C")

# App. J.2, "Hyperparameters for Equation 2": beta and learning rate per task. The text
# reads "PACIFIC beta 0.01 ...; On AmbigSQL beta 0.01 ...; On AmbigSQL beta 0.5", all with
# lr 5e-7: one task name is a typo. In the paper's task order (PACIFIC, Abg-CoQA, AmbigSQL)
# the second sentence is Abg-CoQA's, so Abg-CoQA gets 0.01 and AmbigSQL 0.5. A task the
# paper does not name gets beta 0.01 and lr 5e-7 unless --beta / --learning-rate say otherwise.
PAPER_PREFERENCE_DEFAULTS: dict[str, tuple[float, float]] = {
    "pacific": (0.01, 5e-7),
    "abg-coqa": (0.01, 5e-7),
    "ambigsql": (0.5, 5e-7),
}
FALLBACK_PREFERENCE_DEFAULTS = (0.01, 5e-7)


@dataclass
class TaskTrainingArguments:
    """What to train on and from: the task, the data selection, the model, LoRA.

    A mixin placed before the TRL config in a trainer config's bases, so its defaults
    (App. J.2) replace TRL's. Its ``__post_init__`` resolves act-bench defaults, then
    hands over to the TRL config's.
    """

    task: str = option("task")
    model: str = field(
        default="smollm2",
        metadata={"help": "Initial policy: smollm2 (the embedded default) | hf:PATH_OR_ID."},
    )
    conversations: int = field(
        default=50,
        metadata={
            "help": "Training conversations sampled with --seed from --train-split; every turn of "
            "each becomes an example (the paper's data-efficient settings: 50, 100, 250)."
        },
    )
    train_split: str = field(
        default="train", metadata={"help": "Split the training data comes from."}
    )
    validation_split: str = field(
        default="validation", metadata={"help": "Split for checkpoint selection (App. J.2)."}
    )
    validation_conversations: int = field(
        default=20,
        metadata={
            "help": "Conversations sampled for checkpoint selection; -1 takes them all (App. J.2 "
            "uses the whole validation split), 0 disables selection (the last step is kept). "
            "Drawn from the conversations not used for training when both splits are the same."
        },
    )
    data_dir: str | None = option("data_dir")
    limit: int | None = option(
        "limit", note="Here: of the training and of the validation selection (smoke tests)."
    )
    dtype: str | None = option("dtype")
    resume: bool = option("resume", note="Here: TRL's --resume-from-checkpoint last.")
    use_peft: bool = field(
        default=False, metadata={"help": "Train a LoRA adapter (peft) instead of all weights."}
    )
    lora_r: int = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA scaling alpha."})
    lora_dropout: float = field(default=0.05, metadata={"help": "LoRA dropout."})
    lora_target_modules: list[str] | None = field(
        default=None,
        metadata={"help": "Modules LoRA adapts; default: all linear layers but the LM head."},
    )
    quiet: bool = option("quiet")

    # transformers / TRL fields whose defaults change (App. J.2 and act-bench conventions)
    output_dir: str | None = field(
        default=None,
        metadata={
            "help": "Run directory: the selected model (a valid --model hf:DIR), "
            "training_config.json, the training log and checkpoint-* folders. Default "
            "runs/train/<method>-<task>-<model>-c<conversations>-s<seed>."
        },
    )
    seed: int = field(
        default=0,
        metadata={"help": "Seed for data sampling, generation, initialization and shuffling."},
    )
    per_device_train_batch_size: int = field(
        default=4, metadata={"help": "Batch size per device (App. J.2: 4)."}
    )
    per_device_eval_batch_size: int = field(
        default=4, metadata={"help": "Validation batch size per device."}
    )
    max_length: int | None = field(
        default=1280,
        metadata={
            "help": "Maximum tokens of prompt plus response (App. J.2: 1,280). Longer examples "
            "are left out, counted and listed in training_config.json, never truncated: a "
            "truncated prompt is not what evaluation shows the model."
        },
    )
    eval_strategy: str = field(
        default="epoch", metadata={"help": "When to validate: epoch | steps | no."}
    )
    save_strategy: str = field(
        default="epoch", metadata={"help": "When to save a checkpoint: epoch | steps | no."}
    )
    load_best_model_at_end: bool = field(
        default=True,
        metadata={"help": "Keep the checkpoint that scores best on validation (App. J.2)."},
    )
    save_total_limit: int | None = field(
        default=2,
        metadata={"help": "Checkpoints kept on disk (the best one is always kept)."},
    )
    bf16: bool | None = field(
        default=None,
        metadata={"help": "bf16 mixed precision; default: on a GPU that supports it, else off."},
    )
    logging_steps: float = field(
        default=1, metadata={"help": "Log (progress bar, training_log.jsonl) every N steps."}
    )
    dataloader_pin_memory: bool | None = field(
        default=None, metadata={"help": "Pin dataloader memory; default: on a GPU only."}
    )
    disable_tqdm: bool = field(
        default=True,
        metadata={"help": "transformers' tqdm bars (act-bench shows its own rich progress)."},
    )

    method_name = "train"  # overridden by each trainer config; names the default output_dir

    def __post_init__(self) -> None:
        self._check_data_fields()
        self._resolve_resume()
        if self.output_dir is None:
            self.output_dir = default_output_dir(
                self.method_name, self.task, self.model, self.conversations, self.seed
            )
        if self.bf16 is None:
            self.bf16 = _gpu_supports_bf16() and not getattr(self, "fp16", False)
        if self.dataloader_pin_memory is None:
            self.dataloader_pin_memory = _has_gpu()
        if self.validation_conversations == 0:
            self.eval_strategy = "no"
            self.load_best_model_at_end = False
        super().__post_init__()  # type: ignore[misc]  # the TRL config's

    def _check_data_fields(self) -> None:
        if self.conversations < 1:
            raise ConfigError(f"--conversations must be at least 1, got {self.conversations}")
        if self.validation_conversations < ALL_CONVERSATIONS:
            raise ConfigError(
                "--validation-conversations must be -1 (all), 0 (none) or a positive count, "
                f"got {self.validation_conversations}"
            )
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"--limit must be positive, got {self.limit}")

    def _resolve_resume(self) -> None:
        """``--resume`` is ``--resume-from-checkpoint last``: the flag ``act-bench eval``
        resumes with, meaning the same (continue the run in --output-dir)."""
        if not self.resume:
            return
        checkpoint = self.resume_from_checkpoint  # type: ignore[attr-defined]  # TRL's field
        if checkpoint not in (None, "", "last"):
            raise ConfigError(
                f"--resume continues from the last checkpoint, --resume-from-checkpoint names "
                f"{checkpoint}: pass one of them"
            )
        self.resume_from_checkpoint = "last"

    def data_identity(self) -> dict[str, Any]:
        """The fields that decide which examples a run trains and selects on; a resumed run
        must agree with the run it continues on all of them."""
        return {
            "task": self.task,
            "model": self.model,
            "conversations": self.conversations,
            "train_split": self.train_split,
            "validation_split": self.validation_split,
            "validation_conversations": self.validation_conversations,
            "data_dir": self.data_dir,
            "limit": self.limit,
            "seed": self.seed,
        }


@dataclass
class BackendArguments:
    """The backend options of the models a trainer calls (generators, classifier, simulator),
    as ``act-bench eval`` names them: one table, :data:`act_bench.options.SHARED`."""

    api_base: str | None = option("api_base")
    max_concurrency: int = option("max_concurrency")
    timeout_s: float = option("timeout_s")
    prefix_cache: bool = option("prefix_cache")
    cache: bool = option("cache")
    cache_dir: str | None = option("cache_dir")

    def backend_options(self, **overrides: Any) -> Any:
        """The backend options these fields and the generation batch (``batch_size``) say."""
        from act_bench.backends import BackendOptions

        values = {
            "api_base": self.api_base,
            "max_concurrency": self.max_concurrency,
            "timeout_s": self.timeout_s,
            "prefix_cache": self.prefix_cache,
            "batch_size": self.batch_size,  # type: ignore[attr-defined]  # each trainer's
        }
        return BackendOptions(**{**values, **overrides})


@dataclass
class PreferenceArguments:
    """β and the learning rate of Eq. 1 with App. J.2's per-task defaults, and checkpoint
    selection by reward margin on the action-based validation D_pref (App. J.2), built by
    Alg. 1 with the conditional generation model M named here (ACT also trains on D_pref)."""

    beta: float | None = field(
        default=None,
        metadata={
            "help": "DPO beta (Eq. 1); default: App. J.2's value for the task: PACIFIC 0.01, "
            "Abg-CoQA 0.01, AmbigSQL 0.5 (App. J.2 names AmbigSQL twice; read in the paper's "
            "task order, the 0.01 sentence is Abg-CoQA's), else 0.01."
        },
    )
    learning_rate: float | None = field(
        default=None,
        metadata={"help": "Learning rate; default: App. J.2's value for the task (5e-7)."},
    )
    num_train_epochs: float = field(
        default=12, metadata={"help": "Epochs (App. J.2: up to 12 for RL tuning)."}
    )
    metric_for_best_model: str | None = field(
        default="eval_rewards/margins",
        metadata={"help": "Validation metric for checkpoint selection (App. J.2: reward margin)."},
    )
    greater_is_better: bool | None = field(
        default=True, metadata={"help": "Whether a larger selection metric is better."}
    )
    generator: str | None = field(
        default=None,
        metadata={
            "help": "Conditional generation model M of Alg. 1 (App. F), any model spec, that "
            "writes D_pref's losing responses (the validation D_pref every preference trainer "
            "selects on, App. J.2; ACT's training D_pref too); default: the initial policy."
        },
    )
    generator_temperature: float = field(
        default=0.0, metadata={"help": "Temperature of M when building D_pref (0 = greedy)."}
    )
    generator_shots: int = field(
        default=10,
        metadata={
            "help": "In-context conversations in M's control prompt (App. F: ten), drawn from "
            "--train-split of --data-dir, never one being labelled; the task's bundled sample "
            "(written by us) where there is none, with a note."
        },
    )
    action_classifier: str = option(
        "action_classifier", note="Here: judges which of D_pref's y_l take the rejected action."
    )
    preferences_cache: str | None = field(
        default=None,
        metadata={
            "help": "Directory of D_pref caches (JSONL), shared by every trainer and run with "
            "the same settings; default: preferences/ in the act-bench cache "
            "($ACT_BENCH_CACHE or ~/.cache/act-bench)."
        },
    )

    def __post_init__(self) -> None:
        beta, learning_rate = PAPER_PREFERENCE_DEFAULTS.get(
            self.task,  # type: ignore[attr-defined]  # a TaskTrainingArguments field
            FALLBACK_PREFERENCE_DEFAULTS,
        )
        if self.beta is None:
            self.beta = beta
        if self.learning_rate is None:
            self.learning_rate = learning_rate
        super().__post_init__()  # type: ignore[misc]


def default_output_dir(method: str, task: str, model: str, conversations: int, seed: int) -> str:
    safe_model = re.sub(r"[^A-Za-z0-9._-]", "_", model)
    return str(Path("runs") / "train" / f"{method}-{task}-{safe_model}-c{conversations}-s{seed}")


def _has_gpu() -> bool:
    import torch

    return torch.cuda.is_available()


def _gpu_supports_bf16() -> bool:
    import torch

    return _has_gpu() and torch.cuda.is_bf16_supported()


def parse_config(
    config_class: type[C],
    args: Sequence[str],
    *,
    prog: str | None = None,
    description: str | None = None,
) -> C:
    """Fill ``config_class`` from ``--config FILE.yaml`` and command-line flags (flags win).

    TRL's parser: every dataclass field is ``--name-with-dashes`` (shown first, as on every
    act-bench command) and ``--name`` (TRL's spelling), and ``--help`` lists them all with
    the paper's defaults. YAML keys are field names, with dashes or underscores. A renamed
    field (:data:`act_bench.options.RENAMED`) keeps its old flag and key working, with a
    :class:`~act_bench.options.DeprecatedOptionWarning`.
    """
    from trl import TrlParser

    class Parser(TrlParser):
        config_path: Path | None = None

        def set_defaults_with_config(self, **values: Any) -> list[str]:
            path = self.config_path or Path("--config")
            known = {action.dest for action in self._actions}
            return super().set_defaults_with_config(**_config_file_values(values, known, path))

    parser = Parser(
        dataclass_types=[config_class],
        prog=prog,
        description=description,
        usage=f"{prog or 'act-bench train METHOD'} [--config FILE.yaml] [--OPTION VALUE ...]",
        formatter_class=_HelpFormatter,
    )
    _kebab_case_first(parser)
    _list_own_options_first(parser, config_class)
    fields = set(config_class.__dataclass_fields__)
    args = _renamed_flags(list(args), fields)
    parser.config_path = _check_config_file(args)
    try:
        with warnings.catch_warnings():
            # TRL's configs default the deprecated alias gradient_checkpointing to True
            warnings.filterwarnings("ignore", message="`gradient_checkpointing` is deprecated")
            (config,) = parser.parse_args_and_config(args)
    except ValueError as error:  # invalid combinations (transformers)
        raise ConfigError(str(error), hint="see --help for the known fields") from error
    return config


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--train-split, --train_split TRAIN_SPLIT``: every spelling once, the value once."""

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if not action.option_strings or action.nargs == 0:
            return super()._format_action_invocation(action)
        value = self._format_args(action, self._get_default_metavar_for_optional(action))
        return f"{', '.join(action.option_strings)} {value}"


def _kebab_case_first(parser: argparse.ArgumentParser) -> None:
    """Each option's spellings in the order --help shows them: the shared flag of a
    renamed concept (``--timeout``), then kebab-case, then TRL's snake_case."""
    for action in parser._actions:
        flag = SHARED[action.dest].flag if action.dest in SHARED else None
        action.option_strings.sort(key=lambda name: (name != flag, "_" in name))


def _renamed_flags(args: list[str], fields: set[str]) -> list[str]:
    """Old flags of renamed fields as their new ones, each with a deprecation warning.

    An old negative boolean with a value (``--no_on_policy true``) becomes the positive
    one (``--on-policy false``); bare, ``--no_on_policy`` is already the new field's
    negative form and needs no rewriting.
    """
    from transformers.hf_argparser import string_to_bool

    rewritten: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        name, equals, value = arg.partition("=")
        renamed = RENAMED.get(name[2:].replace("-", "_")) if name.startswith("--") else None
        if renamed is None or renamed.new not in fields:
            rewritten.append(arg)
            continue
        if not renamed.negated:
            _warn_renamed(name, kebab(renamed.new))
            rewritten.append(kebab(renamed.new) + equals + value)
            continue
        if not equals and index < len(args) and _is_bool(args[index]):
            value, equals = args[index], "="
            index += 1
        if not equals:
            rewritten.append(arg)
            continue
        _warn_renamed(
            f"{name} {value}", f"{kebab(renamed.new)} {str(not string_to_bool(value)).lower()}"
        )
        rewritten += [kebab(renamed.new), str(not string_to_bool(value)).lower()]
    return rewritten


def _is_bool(text: str) -> bool:
    return text.lower() in {"yes", "no", "true", "false", "y", "n", "t", "f", "1", "0"}


def _warn_renamed(old: str, new: str) -> None:
    warnings.warn(
        f"{old} is deprecated and will be removed; use {new}",
        DeprecatedOptionWarning,
        stacklevel=4,
    )


def _config_file_values(values: dict[str, Any], known: set[str], path: Path) -> dict[str, Any]:
    """The YAML mapping as field values: keys with dashes or underscores, a shared flag's
    name (``timeout``), an old name with a deprecation warning; an unknown key is a
    ConfigError naming the file and the key."""
    from transformers.hf_argparser import string_to_bool

    aliases = {spec.flag[2:]: name for name, spec in SHARED.items() if spec.flag}
    result: dict[str, Any] = {}
    for key, value in values.items():
        name = str(key).replace("-", "_")
        name = aliases.get(name, name)
        renamed = RENAMED.get(name)
        if renamed is not None and renamed.new in known:
            new_value = not string_to_bool(str(value)) if renamed.negated else value
            _warn_renamed(f"{key}: {value} in {path}", f"{renamed.new}: {new_value}")
            name, value = renamed.new, new_value
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            raise ConfigError(
                f"config file {path}: unknown key {key!r}",
                hint=f"did you mean {close[0]!r}?" if close else "see --help for the known fields",
            )
        result[name] = value
    return result


def _list_own_options_first(parser: argparse.ArgumentParser, config_class: type) -> None:
    """In ``--help``, the act-bench and method fields come before the ~200 inherited from
    TRL and transformers (all still work)."""
    own = {
        name
        for cls in config_class.__mro__
        if cls.__module__.startswith("act_bench_baselines.")
        for name in cls.__dict__.get("__annotations__", {})
    }
    group = parser.add_argument_group(
        "act-bench options (defaults: App. J.2)",
        "Every option is also a key of the --config YAML file.",
    )
    for action in list(parser._actions):
        if action.dest in own:
            for other in parser._action_groups:
                if action in other._group_actions:
                    other._group_actions.remove(action)
            group._group_actions.append(action)
    parser._action_groups.remove(group)
    parser._action_groups.insert(1, group)  # after the (empty) positionals, before the rest
    parser._optionals.title = "TRL and transformers options"


def _check_config_file(args: list[str]) -> Path | None:
    if "--config" not in args:
        return None
    index = args.index("--config")
    if index + 1 >= len(args):
        raise ConfigError("--config needs a YAML file")
    path = Path(args[index + 1])
    if not path.is_file():
        raise ConfigError(f"config file {path} not found")
    return path
