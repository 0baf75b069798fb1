"""``act-bench train act``: ACT, quasi-online DPO with on-policy sampling and trajectory
simulation (Alg. 2), on the shared trainer base.

1. D_pref is built by Alg. 1 (``baselines/act/preferences.py``, set up in
   ``baselines/act/dpref.py``) for the training and the validation conversations, and cached.
   With ``--max-steps``, only for the training turn states those steps draw, and the
   validation D_pref at the trainer's first evaluation (:meth:`ActTrainer.evaluate`), so a
   short run starts training without waiting for it.
2. Training iterates over D_pref in batches of 4. Before each DPO step, :class:`ActTrainer`
   rebuilds the batch's pairs with the policy *as it is at that step*
   (``baselines/act/onpolicy.py``; an item with several goals pursues one drawn per step,
   seeded, and ``act_pairs.jsonl`` records which), tokenizes trajectories with loss on the
   policy's own turns (``baselines/act/tokenize.py``), and takes the step of Eq. 1 against
   the frozen reference model π_ref (the initial policy).
3. Checkpoints are selected by reward margin on the validation D_pref (App. J.2); those
   pairs stay as Alg. 1 built them, so every validation is on the same pairs.

Per step, the time spent on on-policy sampling, action classification, user simulation and
the DPO update, and running counts of each Alg. 2 branch, go to ``training_log.jsonl`` and
beside the progress bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from act_bench_baselines.act.dpref import DprefBuilder, DprefResult, DprefSettings
from act_bench_baselines.act.onpolicy import ActSettings, Branch, build_pairs, draw_goals
from act_bench_baselines.act.preference_file import dpref_from_file
from act_bench_baselines.act.preferences import (
    GOLD_LABELS,
    RANDOM_ACTIONS,
    PreferenceExample,
    states_for_steps,
)
from act_bench_baselines.act.tokenize import tokenize_pair
from act_bench_baselines.common.config import (
    BackendArguments,
    PreferenceArguments,
    TaskTrainingArguments,
)
from act_bench_baselines.common.data import DataSelection
from act_bench_baselines.common.run import TrainingData, TrainingRun, console
from act_bench_baselines.common.selection import build_dpref, dpref_rows, dpref_settings
from act_bench_baselines.common.trainer import PreferenceTrainer
from trl import DPOConfig

from act_bench.backends import SamplingParams
from act_bench.classifiers import load_classifier
from act_bench.errors import ConfigError
from act_bench.files import append_jsonl
from act_bench.options import option
from act_bench.protocols import get_protocol
from act_bench.simulators import load_simulator

BRANCHES = (Branch.WRONG_ACTION, Branch.GOOD_TRAJECTORY, Branch.BAD_TRAJECTORY)


@dataclass
class ActConfig(PreferenceArguments, BackendArguments, TaskTrainingArguments, DPOConfig):
    """``act-bench train act``: TRL's ``DPOConfig`` plus ACT's components and ablations."""

    method_name = "act"

    action_labels: str = field(
        default=GOLD_LABELS,
        metadata={
            "help": "Where the actions a_i come from: gold (the dataset's labels) or "
            "classifier:SPEC (pseudo-labels from an action annotator, §5.4)."
        },
    )
    action_classifier: str = option("action_classifier", note="A of Alg. 2.")
    simulator: str = option("simulator", note="U of Alg. 2.")
    tolerance: float | None = field(
        default=None,
        metadata={
            "help": "Heuristic tolerance ε: a trajectory wins when H(g', g) > ε; default: the "
            "task's (PACIFIC 0.9 as in the authors' code, Abg-CoQA and AmbigSQL 0.5)."
        },
    )
    protocol: str = option("protocol", note="Here: of the simulated trajectories.")
    max_turns: int | None = option("max_turns", note="Here: in a simulated trajectory.")
    max_new_tokens: int | None = option("max_new_tokens", note="M's y_l too.")
    temperature: float = option(
        "temperature",
        1.0,
        note="Here: on-policy sampling (Alg. 2 line 2); was --sampling-temperature.",
    )
    batch_size: int = option(
        "batch_size",
        note="Here: prompts M, A and U take together; was --generation-batch-size.",
    )
    random_actions: bool = field(
        default=False,
        metadata={"help": "Ablation (Table 5): sample both winning and losing actions at random."},
    )
    on_policy: bool = field(
        default=True,
        metadata={
            "help": "On-policy sampling (Alg. 2); --no-on-policy is Table 5's ablation: plain "
            "offline DPO on D_pref (no sampling)."
        },
    )
    simulation: bool = field(
        default=True,
        metadata={
            "help": "Trajectory simulation (Alg. 2); --no-simulation is Table 5's ablation: "
            "on-policy sampling and the action check only."
        },
    )
    preferences: str | None = field(
        default=None,
        metadata={
            "help": "The training D_pref as `act-bench data build-preferences` wrote it (JSONL), "
            "instead of building it again: it must hold the pair of every training turn state "
            "(build it with the same --task, --conversations and --seed, and --split the "
            "--train-split). The validation D_pref is still built by Alg. 1."
        },
    )

    def __post_init__(self) -> None:
        if self.action_labels != GOLD_LABELS and not self.action_labels.startswith("classifier:"):
            raise ConfigError(
                f"--action-labels must be gold or classifier:SPEC, got {self.action_labels!r}"
            )
        if self.random_actions and self.action_labels != GOLD_LABELS:
            raise ConfigError("--random-actions replaces the action labels; drop --action-labels")
        if not self.on_policy and not self.simulation:
            raise ConfigError("--no-on-policy already implies no simulation; pass only one")
        if self.preferences and not Path(self.preferences).is_file():
            raise ConfigError(
                f"--preferences {self.preferences} is not a file",
                hint="write one with `act-bench data build-preferences --output FILE`",
            )
        self._fill_task_defaults()
        if not 0.0 <= self.tolerance < 1.0:
            raise ConfigError(f"--tolerance must be in [0, 1), got {self.tolerance}")
        super().__post_init__()

    def _fill_task_defaults(self) -> None:
        """ε, the token budget and the turn cap from the task and the protocol, so that
        training_config.json records the numbers used."""
        from act_bench.task import get_task

        protocol = get_protocol(self.protocol)
        defaults = get_task(self.task).defaults
        if self.tolerance is None:
            self.tolerance = defaults.act_tolerance
        self.max_new_tokens = protocol.new_tokens(self.max_new_tokens, defaults)
        self.max_turns = protocol.turn_cap(self.max_turns)

    @property
    def labels_source(self) -> str:
        return RANDOM_ACTIONS if self.random_actions else self.action_labels

    def settings(self) -> ActSettings:
        return ActSettings(
            on_policy=self.on_policy,
            simulate=self.simulation,
            tolerance=self.tolerance,
            max_turns=self.max_turns,
            protocol=get_protocol(self.protocol),
        )


class ActTrainer(PreferenceTrainer):
    """The DPO trainer whose batches Alg. 2 rebuilds from the current policy."""

    def __init__(
        self,
        *args: Any,
        act: ActComponents,
        validation: Callable[[], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.act = act
        self.branch_counts = {branch.value: 0 for branch in Branch}
        self._pending: dict[str, float] = {}
        self._build_validation = validation
        super().__init__(*args, **kwargs)

    def evaluate(self, eval_dataset: Any = None, *args: Any, **kwargs: Any) -> dict[str, float]:
        """The first evaluation of a run whose validation set was deferred builds it
        (``validation``) and keeps it, prepared, for the later ones."""
        if eval_dataset is None and self.eval_dataset is None and self._build_validation:
            dataset = self._build_validation()
            self._build_validation = None
            self.eval_dataset = self._prepare_dataset(
                dataset, self.processing_class, self.args, "eval"
            )
        return super().evaluate(eval_dataset, *args, **kwargs)

    def rebuild_batch(self, inputs, example_indices):
        examples = [self.act.examples[i] for i in example_indices]
        if not self.act.settings.on_policy:  # --no-on-policy: D_pref's pairs as they are
            self.branch_counts[Branch.OFFLINE.value] += len(examples)
            return inputs
        was_training = self.model.training
        self.model.eval()
        try:
            with self.policy_backend(
                batch_size=len(examples), prefix_cache=self.act.prefix_cache
            ) as policy:
                pairs, costs = build_pairs(
                    examples,
                    task=self.act.task,
                    policy=policy,
                    render=self.act.task.render_messages,
                    classifier=self.act.classifier,
                    simulator=self.act.simulator,
                    sampling=self.act.sampling_for(self.state.global_step),
                    settings=self.act.settings,
                    goals=self.act.goals_for(examples, self.state.global_step),
                )
        finally:
            self.model.train(was_training)
        for name, count in costs.branches.items():
            self.branch_counts[name] += count
        self._pending = {
            "act/sampling_s": costs.sampling_s,
            "act/classification_s": costs.classification_s,
            "act/simulation_s": costs.simulation_s,
        }
        rows = [
            tokenize_pair(
                self.processing_class,
                self.act.task.render_messages(pair.example.turn_state.prompt),
                pair.chosen.messages,
                pair.rejected.messages,
            )
            for pair in pairs
        ]
        self.act.record_pairs(self.state.global_step, pairs)
        return self.data_collator(rows)

    def training_step(self, model, inputs, *args, **kwargs):
        started = time.perf_counter()
        loss = super().training_step(model, inputs, *args, **kwargs)
        total = time.perf_counter() - started
        rebuild = sum(
            self._pending.get(k, 0.0)
            for k in ("act/sampling_s", "act/classification_s", "act/simulation_s")
        )
        self._pending["act/update_s"] = max(0.0, total - rebuild)
        return loss

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs:  # a training log, not a validation one
            logs = {**logs, **{k: round(v, 4) for k, v in self._pending.items()}}
            logs.update({f"act/{name}": n for name, n in self.branch_counts.items() if n})
        super().log(logs, start_time)


@dataclass(slots=True)
class ActComponents:
    """What Alg. 2 needs besides the policy: D_pref rows by dataset index, A, U, H."""

    task: Any
    examples: list[PreferenceExample]
    classifier: Any
    simulator: Any
    settings: ActSettings
    sampling: SamplingParams
    goal_seed: int = 0
    pairs_log: Path | None = None
    prefix_cache: bool = True

    def sampling_for(self, step: int) -> SamplingParams:
        """Each step samples with its own seed, so steps do not repeat one another's draws."""
        seed = None if self.sampling.seed is None else self.sampling.seed + step
        return SamplingParams(
            max_new_tokens=self.sampling.max_new_tokens,
            temperature=self.sampling.temperature,
            top_p=self.sampling.top_p,
            seed=seed,
        )

    def goals_for(self, examples: list[PreferenceExample], step: int) -> list[int]:
        """The goal each example's trajectory pursues at ``step`` (Abg-CoQA has several per
        item): drawn per example per step with the run's seed (:func:`draw_goals`)."""
        return draw_goals(examples, seed=self.goal_seed, step=step)

    def record_pairs(self, step: int, pairs) -> None:
        """One line per rebuilt pair (branch, goal, sampled response, outcome score), for
        audit."""
        if self.pairs_log is None:
            return
        append_jsonl(
            self.pairs_log,
            (
                {
                    "step": step,
                    "turn_state_id": pair.example.turn_state.id,
                    "goal_index": pair.goal_index,
                    "branch": pair.branch.value,
                    "sampled": pair.sampled,
                    "sampled_action": pair.sampled_action.value if pair.sampled_action else None,
                    "outcome_score": pair.outcome_score,
                    "chosen": pair.chosen.text,
                    "rejected": pair.rejected.text,
                }
                for pair in pairs
            ),
        )


class ActRun(TrainingRun[ActConfig]):
    method = "act"
    trainer_class = ActTrainer
    # what building the validation D_pref at the first evaluation needs (see create_trainer)
    _deferred_validation: tuple[DataSelection, Any, Any, Any] | None = None

    def build_data(self, selection: DataSelection, tokenizer: Any) -> TrainingData:
        """D_pref (Alg. 1) for the training and the validation conversations, as rows; and
        the components Alg. 2 rebuilds each training batch with."""
        lengths = self.length_filter(tokenizer)
        chat = self.chat_format(tokenizer)
        classifier = self._load_action_classifier()
        builder = DprefBuilder(self._dpref_settings(), self.task, classifier=classifier)
        defer = self._defers_validation(selection)
        built = {
            name: None
            if name == "validation" and defer
            else self._build_dpref(builder, selection, lengths, name)
            for name in ("train", "validation")
        }
        del builder  # M is not needed once D_pref is built
        if defer:
            self._deferred_validation = (selection, lengths, chat, classifier)
        validation = built["validation"]
        train_rows, validation_rows = (
            dpref_rows(chat, built["train"].examples),
            dpref_rows(chat, validation.examples) if validation else None,
        )
        train, validation_data = self.datasets(train_rows, validation_rows, lengths)
        self.components = self._components(built["train"].examples, train, classifier)
        record = self._data_record(built, lengths, len(train), validation_data)
        return TrainingData(train, validation_data, record)

    def _load_action_classifier(self) -> Any:
        """A (App. G), shared by Alg. 1 (judging y_l) and Alg. 2 (judging y)."""
        config = self.config
        return load_classifier(
            config.action_classifier,
            task=self.task,
            backend_options=config.backend_options(),
            seed=config.seed,
        )

    def _dpref_settings(self) -> DprefSettings:
        """D_pref with ACT's action labels and its token budget (also M's for y_l)."""
        config = self.config
        return dpref_settings(
            config, action_labels=config.labels_source, max_new_tokens=config.max_new_tokens
        )

    def _build_dpref(
        self, builder: DprefBuilder, selection: DataSelection, lengths: Any, name: str
    ) -> DprefResult | None:
        sample = selection.train if name == "train" else selection.validation
        if sample is None:
            return None
        states = lengths.keep_prompts(sample.turn_states, name)
        if name == "train":
            states = self._states_for_max_steps(states)
            if self.config.preferences:  # Alg. 1 already ran: data build-preferences
                built = dpref_from_file(
                    self.config.preferences, states, action_labels=self.config.labels_source
                )
                self.report_dpref(name, built)
                return built
        return build_dpref(self, builder, states, name)

    def _components(
        self, examples: list[PreferenceExample], train: Any, classifier: Any
    ) -> ActComponents:
        """A, U, H and the sampling of Alg. 2, with D_pref's examples in dataset order."""
        config = self.config
        by_id = {e.turn_state.id: e for e in examples}
        return ActComponents(
            task=self.task,
            examples=[by_id[state_id] for state_id in train["turn_state_id"]],
            classifier=classifier,
            simulator=load_simulator(
                config.simulator,
                task=self.task,
                backend_options=config.backend_options(),
                seed=config.seed,
            ),
            settings=config.settings(),
            sampling=SamplingParams(
                max_new_tokens=config.max_new_tokens,
                temperature=config.temperature,
                seed=config.seed,
            ),
            goal_seed=config.seed,
            pairs_log=self.output_dir / "act_pairs.jsonl",
            prefix_cache=config.prefix_cache,
        )

    def _data_record(
        self, built: dict[str, DprefResult | None], lengths: Any, train: int, validation: Any
    ) -> dict[str, Any]:
        config = self.config
        return {
            "preferences_cache": str(built["train"].cache),
            "generator": config.generator or config.model,
            "action_labels": config.labels_source,
            "preferences": {name: b.to_json() for name, b in built.items() if b is not None},
            "act": {
                "action_classifier": config.action_classifier,
                "simulator": config.simulator,
                **asdict(config.settings()),
            },
            "train_states_for_max_steps": self._needed_examples(),
            "train_examples": train,
            "validation_examples": len(validation) if validation is not None else 0,
            **lengths.to_json(),
        }

    def create_trainer(self, model: Any, tokenizer: Any, data: TrainingData, args: Any) -> Any:
        strategy = args.eval_strategy
        if self._deferred_validation is not None:
            args.eval_strategy = "no"  # transformers refuses a strategy without an eval set
        try:
            return super().create_trainer(model, tokenizer, data, args)
        finally:
            args.eval_strategy = strategy

    def trainer_kwargs(self) -> dict[str, Any]:
        """Alg. 2's components, and the deferred validation set's builder if there is one."""
        deferred = self._deferred_validation is not None
        return {
            "act": self.components,
            "validation": self._build_deferred_validation if deferred else None,
        }

    def _defers_validation(self, selection: DataSelection) -> bool:
        """With ``--max-steps`` set, the validation D_pref is built at the first
        evaluation, not before the first step (a short run starts training at once)."""
        return (
            selection.validation is not None
            and self._needed_examples() is not None
            and not self.config.precompute_ref_log_probs
        )

    def _build_deferred_validation(self) -> Any:
        """The validation dataset, built by Alg. 1 when the trainer first evaluates; its
        D_pref and counts go into training_config.json then."""
        assert self._deferred_validation is not None
        selection, lengths, chat, classifier = self._deferred_validation
        self._deferred_validation = None
        builder = DprefBuilder(self._dpref_settings(), self.task, classifier=classifier)
        states = lengths.keep_prompts(selection.validation.turn_states, "validation")
        built = build_dpref(self, builder, states, "validation", show_progress=False)
        del builder
        dataset = self.validation_dataset(dpref_rows(chat, built.examples), lengths)
        data = self.record["data"]
        data["preferences"]["validation"] = built.to_json()
        data["validation_examples"] = len(dataset)
        data.update(lengths.to_json())
        self.write_record()
        return dataset

    def _needed_examples(self) -> int | None:
        """Training examples ``--max-steps`` steps draw; None when not set."""
        config = self.config
        if config.max_steps is None or config.max_steps <= 0:
            return None
        per_step = config.per_device_train_batch_size * config.gradient_accumulation_steps
        return config.max_steps * per_step * max(1, config.world_size)

    def _states_for_max_steps(self, states: list[Any]) -> list[Any]:
        """D_pref only for the training examples ``--max-steps`` steps draw (see
        :func:`~act_bench_baselines.act.preferences.states_for_steps`)."""
        needed = self._needed_examples()
        chosen = states_for_steps(states, needed, seed=self.config.seed)
        if len(chosen) < len(states) and self.show_progress and self.state.is_main_process:
            console.print(
                f"--max-steps {self.config.max_steps}: D_pref for the {needed} training turn "
                f"states those steps draw (of {len(states)})",
                highlight=False,
            )
        return chosen


def train_act(config: ActConfig) -> Any:
    """Run ACT; returns a :class:`~act_bench_baselines.common.run.TrainingResult`."""
    return ActRun(config).run()
