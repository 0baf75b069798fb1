"""IRPO: Iterative Reasoning Preference Optimization (Pang et al., 2024), the on-policy
DPO baseline of §4.3.

Each iteration t:

1. samples N responses per training prompt from the current policy M_{t-1};
2. labels each one correct or incorrect with the task heuristic H and a threshold ε
   (correct iff H > ε, as Alg. 2 line 13 compares): by default H is the task's
   ``score_outcome`` against the goal g (DROP F1, embedding similarity, execution match;
   the best over a turn's goals); ``--label-against response`` uses ``score_turn``
   against the gold response r instead, which also judges clarifying turns;
3. pairs correct winners with incorrect losers, up to K pairs per prompt; prompts whose
   samples are all correct or all incorrect give no pair (``--gold-winner-fallback`` makes
   the gold response the winner when none is correct);
4. trains DPO plus the NLL term on the winners (TRL: ``loss_type=["sigmoid", "sft"]``,
   ``loss_weights=[1, α]``) against the frozen reference M_{t-1}, selects the checkpoint
   with the best validation reward margin (validation pairs sampled the same way), and
   exports it as M_t, where the next iteration starts.

Samples are cached per iteration as JSONL (appended as generated), so a resumed run
never samples twice. Finished iterations keep their exported model and drop their
checkpoints.
"""

from __future__ import annotations

import copy
import gc
import json
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from act_bench_baselines.common.config import PreferenceArguments, TaskTrainingArguments
from act_bench_baselines.common.data import DataSelection, PreferencePair, append_jsonl, read_jsonl
from act_bench_baselines.common.model import ModelSource, load_policy
from act_bench_baselines.common.run import RECORD_FILE, TrainingData, TrainingRun, console
from act_bench_baselines.common.trainer import PreferenceTrainer
from trl import DPOConfig

from act_bench.backends import BackendOptions, Generation, SamplingParams
from act_bench.backends.hf import HFBackend
from act_bench.classifiers import ClassificationInput, load_classifier
from act_bench.errors import ConfigError
from act_bench.generation import ChunkSeeding, generate_in_chunks
from act_bench.options import option
from act_bench.protocols import ACT_BENCH, EvaluationProtocol, get_protocol
from act_bench.results import write_json_atomic
from act_bench.task import Task
from act_bench.types import Action, TurnState

LABEL_TARGETS = ("goal", "response")
ITERATION_FILE = "iteration.json"


@dataclass
class IRPOConfig(PreferenceArguments, TaskTrainingArguments, DPOConfig):
    """``act-bench train irpo``: TRL's ``DPOConfig`` plus sampling, labeling and pairing."""

    method_name = "irpo"

    iterations: int = field(default=3, metadata={"help": "IRPO iterations (sample, pair, train)."})
    samples_per_prompt: int = field(
        default=4, metadata={"help": "N: responses sampled per prompt from the current policy."}
    )
    temperature: float = option("temperature", 0.8, note="Here: of the N samples per prompt.")
    top_p: float = option("top_p")
    max_new_tokens: int = option("max_new_tokens", 64, note="Here: per sample.")
    batch_size: int = option(
        "batch_size",
        note="Here: prompts sampled and cached together; was --generation-batch-size.",
    )
    max_pairs_per_prompt: int = field(
        default=4, metadata={"help": "K: at most this many (winner, loser) pairs per prompt."}
    )
    correct_threshold: float = field(
        default=0.5,
        metadata={"help": "ε: a sample is correct iff its heuristic score exceeds it (Alg. 2)."},
    )
    label_against: str = field(
        default="goal",
        metadata={
            "help": "What H scores a sample against: goal (score_outcome vs the goal g) or "
            "response (score_turn vs the gold response r).",
            "choices": list(LABEL_TARGETS),
        },
    )
    protocol: str = field(
        default="act-bench",
        metadata={
            "help": "Evaluation protocol of the labels: act-bench (a sample that asks instead of "
            "answering is never correct against the goal) or act-paper (the authors' first "
            "line and DROP F1 mode)."
        },
    )
    action_classifier: str = field(
        default="heuristic",
        metadata={"help": "Action classifier that tells which samples answer (App. G)."},
    )
    gold_winner_fallback: bool = field(
        default=False,
        metadata={"help": "When no sample of a prompt is correct, pair the gold response r."},
    )
    nll_weight: float = field(
        default=1.0, metadata={"help": "α: weight of the NLL term on winners (Pang et al.: 1)."}
    )
    num_train_epochs: float = field(default=4, metadata={"help": "Epochs per iteration."})
    loss_type: list[str] = field(
        default_factory=lambda: ["sigmoid", "sft"],
        metadata={"help": "DPO (sigmoid) plus NLL on the winners (sft)."},
    )

    def __post_init__(self) -> None:
        if self.iterations < 1 or self.samples_per_prompt < 1 or self.max_pairs_per_prompt < 1:
            raise ConfigError(
                "--iterations, --samples-per-prompt and --max-pairs-per-prompt must be positive"
            )
        if self.label_against not in LABEL_TARGETS:
            raise ConfigError(f"--label-against must be one of {', '.join(LABEL_TARGETS)}")
        if self.loss_weights is None and list(self.loss_type) == ["sigmoid", "sft"]:
            self.loss_weights = [1.0, self.nll_weight]
        super().__post_init__()

    def data_identity(self) -> dict[str, Any]:
        """Sampling and labeling decide the pairs, so a resumed run must keep them too."""
        return {
            **super().data_identity(),
            "samples_per_prompt": self.samples_per_prompt,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_new_tokens": self.max_new_tokens,
            "label_against": self.label_against,
            "correct_threshold": self.correct_threshold,
            "protocol": self.protocol,
            "action_classifier": self.action_classifier,
            "gold_winner_fallback": self.gold_winner_fallback,
            "max_pairs_per_prompt": self.max_pairs_per_prompt,
        }


@dataclass(frozen=True, slots=True)
class LabeledSample:
    """One sampled response y with its heuristic score and label."""

    turn_state_id: str
    index: int
    text: str
    score: float
    correct: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "turn_state_id": self.turn_state_id,
            "index": self.index,
            "text": self.text,
            "score": self.score,
            "correct": self.correct,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LabeledSample:
        return cls(
            turn_state_id=str(data["turn_state_id"]),
            index=int(data["index"]),
            text=str(data["text"]),
            score=float(data["score"]),
            correct=bool(data["correct"]),
        )


def label_sample(
    task: Task,
    turn_state: TurnState,
    text: str,
    *,
    against: str,
    threshold: float,
    protocol: EvaluationProtocol = ACT_BENCH,
    action: Action | None = None,
) -> tuple[float, bool]:
    """H(y) and whether it exceeds ε, in the protocol's variant of the task's metric.

    Against the goal, a sample whose action is CLARIFY has not answered: under a protocol
    that credits no such outcome (act-bench) it scores 0 and is never correct.
    """
    mode = protocol.metric_mode(task)
    if against == "goal":
        if action is Action.CLARIFY and not protocol.credits_unanswered:
            return 0.0, False
        score = max(task.score_outcome(text, goal, mode) for goal in turn_state.goals)
    else:
        score = task.score_turn(text, turn_state, mode)
    return score, score > threshold


def irpo_pairs(
    turn_state: TurnState,
    samples: Sequence[LabeledSample],
    *,
    max_pairs: int,
    rng: random.Random,
    gold_winner_fallback: bool = False,
) -> list[PreferencePair]:
    """Up to ``max_pairs`` (correct, incorrect) pairs of distinct texts, drawn with ``rng``."""
    winners = _distinct(s.text for s in samples if s.correct)
    losers = _distinct(s.text for s in samples if not s.correct)
    source = "sample"
    if not winners and gold_winner_fallback:
        winners, source = [turn_state.gold_response], "gold"
    combinations = [(w, lo) for w in winners for lo in losers if w.strip() != lo.strip()]
    rng.shuffle(combinations)
    return [
        PreferencePair(turn_state.id, chosen, rejected, {"chosen_from": source})
        for chosen, rejected in combinations[:max_pairs]
    ]


def _distinct(texts: Any) -> list[str]:
    return list(dict.fromkeys(texts))


@dataclass(slots=True)
class PairStats:
    """Labeling and pairing counts of one split in one iteration."""

    prompts: int = 0
    samples: int = 0
    correct: int = 0
    failed: int = 0
    prompts_with_pairs: int = 0
    all_correct: int = 0
    all_incorrect: int = 0
    pairs: int = 0
    gold_winner_pairs: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in (
                "prompts",
                "samples",
                "correct",
                "failed",
                "prompts_with_pairs",
                "all_correct",
                "all_incorrect",
                "pairs",
                "gold_winner_pairs",
            )
        }


class IRPORun(TrainingRun[IRPOConfig]):
    method = "irpo"
    trainer_class = PreferenceTrainer

    def run(self) -> Any:
        resuming = self._check_resume()
        selection = self.select()
        self.start_record(selection, fresh=not resuming)
        source = self.source
        summaries: list[dict[str, Any]] = []
        for iteration in range(1, self.config.iterations + 1):
            directory = self.output_dir / "iterations" / str(iteration)
            summary = _read_json(directory / ITERATION_FILE)
            if summary is None:
                summary = self.iterate(iteration, selection, source, directory, resuming)
            summaries.append(summary)
            self.record["iterations"] = summaries
            self.write_record()
            source = ModelSource(f"hf:{directory / 'model'}", str(directory / "model"))
        if self.state.is_main_process:
            _copy_model(Path(source.path), self.output_dir)
            if self.show_progress:
                console.print(f"final model: {source.path}, copied to {self.output_dir}")
        self.state.wait_for_everyone()
        self.record["training"] = summaries[-1]["training"]
        return self.finish()

    def iterate(
        self,
        iteration: int,
        selection: DataSelection,
        source: ModelSource,
        directory: Path,
        resuming: bool,
    ) -> dict[str, Any]:
        """One IRPO iteration from M_{t-1} at ``source``; writes M_t to ``directory/model``."""
        from transformers.trainer_utils import get_last_checkpoint

        model, tokenizer = load_policy(source, self.config.dtype)
        data = self.iteration_data(iteration, selection, model, tokenizer, directory)
        args = copy.copy(self.config)
        args.output_dir = str(directory)
        trainer = self.create_trainer(model, tokenizer, data, args)
        resume = get_last_checkpoint(str(directory)) if resuming and directory.is_dir() else None
        fit = self.fit(trainer, resume, log_context={"iteration": iteration})
        self.export(trainer, directory / "model", base=source)
        summary = {
            "iteration": iteration,
            "started_from": source.to_json(),
            "data": data.record,
            "training": fit.to_json(),
        }
        if self.state.is_main_process:
            write_json_atomic(directory / ITERATION_FILE, summary)
            for checkpoint in directory.glob("checkpoint-*"):
                shutil.rmtree(checkpoint)  # M_t is exported; the checkpoints only served resume
        self.state.wait_for_everyone()
        del trainer, model
        gc.collect()
        return summary

    def iteration_data(
        self,
        iteration: int,
        selection: DataSelection,
        model: Any,
        tokenizer: Any,
        directory: Path,
    ) -> TrainingData:
        """Sample, label and pair the training and validation prompts with the current policy."""
        policy = HFBackend.from_model(
            model.to(self.state.device),
            tokenizer,
            spec=f"irpo-iteration-{iteration - 1}",
            options=BackendOptions(batch_size=self.config.batch_size),
        )
        chat = self.chat_format(tokenizer)
        lengths = self.length_filter(tokenizer)
        rows: dict[str, list[dict[str, Any]] | None] = {"train": None, "validation": None}
        stats: dict[str, Any] = {}
        for name, sample in (("train", selection.train), ("validation", selection.validation)):
            if sample is None:
                continue
            states = lengths.keep_prompts(sample.turn_states, name)
            with self.state.main_process_first():  # the main process samples, the others read
                samples, failed = self.sample(
                    policy, states, directory / f"samples-{name}.jsonl", iteration
                )
            pairs, split_stats = self.pair(states, samples, iteration)
            split_stats.failed = failed
            self._require_pairs(name, iteration, split_stats)
            by_id = {ts.id: ts for ts in states}
            rows[name] = [
                chat.preference_row(by_id[p.turn_state_id], p.chosen, p.rejected) for p in pairs
            ]
            stats[name] = split_stats.to_json()
        train, validation = self.datasets(rows["train"] or [], rows["validation"], lengths)
        record = {
            "pairs": stats,
            "train_examples": len(train),
            "validation_examples": len(validation) if validation is not None else 0,
            **lengths.to_json(),
        }
        return TrainingData(train, validation, record)

    def sample(
        self, policy: HFBackend, turn_states: Sequence[TurnState], path: Path, iteration: int
    ) -> tuple[dict[str, list[LabeledSample]], int]:
        """N labeled samples per turn state: read from ``path`` where cached, generated (and
        appended) where not; and how many generations failed (they are not cached, so the
        next run retries them)."""
        config = self.config
        found = [LabeledSample.from_json(r) for r in read_jsonl(path, ("turn_state_id", "index"))]
        done = {(s.turn_state_id, s.index) for s in found}
        todo = [
            (ts, k)
            for ts in turn_states
            for k in range(config.samples_per_prompt)
            if (ts.id, k) not in done
        ]
        failed = 0
        if todo:
            sampling = SamplingParams(
                max_new_tokens=config.max_new_tokens,
                temperature=config.temperature,
                top_p=config.top_p,
                seed=config.seed + 100_000 * iteration,
            )

            protocol = get_protocol(config.protocol)
            cut = protocol.turn_rules(None, self.task.defaults).cut
            classifier = load_classifier(config.action_classifier, task=self.task, seed=config.seed)

            def on_chunk(start: int, generations: list[Generation]) -> None:
                nonlocal failed
                chunk = [
                    ((ts, k), cut(generation.text))
                    for (ts, k), generation in zip(todo[start:], generations, strict=False)
                    if not generation.error
                ]
                failed += sum(1 for g in generations if g.error)
                actions = classifier.classify(
                    [ClassificationInput(ts.prompt, text) for (ts, _), text in chunk]
                )
                new = []
                for ((ts, k), text), action in zip(chunk, actions, strict=True):
                    score, correct = label_sample(
                        self.task,
                        ts,
                        text,
                        against=config.label_against,
                        threshold=config.correct_threshold,
                        protocol=protocol,
                        action=action,
                    )
                    new.append(LabeledSample(ts.id, k, text, score, correct))
                append_jsonl(path, (s.to_json() for s in new))
                found.extend(new)

            generate_in_chunks(
                policy,
                [self.task.render_messages(ts.prompt) for ts, _ in todo],
                sampling,
                chunk_size=config.batch_size,
                seeding=ChunkSeeding.PER_CHUNK,
                on_chunk=on_chunk,
                description=f"irpo · iteration {iteration} · sampling {path.stem.split('-')[-1]}",
                show_progress=self.show_progress and self.state.is_main_process,
            )
        by_state: dict[str, list[LabeledSample]] = {}
        for labeled in found:
            by_state.setdefault(labeled.turn_state_id, []).append(labeled)
        return by_state, failed

    def pair(
        self,
        turn_states: Sequence[TurnState],
        samples: dict[str, list[LabeledSample]],
        iteration: int,
    ) -> tuple[list[PreferencePair], PairStats]:
        rng = random.Random(f"irpo-pairs:{self.config.seed}:{iteration}")
        stats = PairStats(prompts=len(turn_states))
        pairs: list[PreferencePair] = []
        for ts in turn_states:
            own = sorted(samples.get(ts.id, []), key=lambda s: s.index)
            stats.samples += len(own)
            stats.correct += sum(s.correct for s in own)
            if own and all(s.correct for s in own):
                stats.all_correct += 1
            elif own and not any(s.correct for s in own):
                stats.all_incorrect += 1
            new = irpo_pairs(
                ts,
                own,
                max_pairs=self.config.max_pairs_per_prompt,
                rng=rng,
                gold_winner_fallback=self.config.gold_winner_fallback,
            )
            stats.prompts_with_pairs += bool(new)
            stats.gold_winner_pairs += sum(p.provenance["chosen_from"] == "gold" for p in new)
            pairs.extend(new)
        stats.pairs = len(pairs)
        return pairs, stats

    def _require_pairs(self, name: str, iteration: int, stats: PairStats) -> None:
        if stats.pairs:
            return
        raise ConfigError(
            f"IRPO iteration {iteration}: no {name} preference pairs; of {stats.prompts} "
            f"prompts {stats.all_correct} had only correct and {stats.all_incorrect} only "
            f"incorrect samples ({stats.correct}/{stats.samples} correct at ε = "
            f"{self.config.correct_threshold})",
            hint="raise --samples-per-prompt or --temperature, lower --correct-threshold, or "
            "pass --gold-winner-fallback"
            + ("; --validation-conversations 0 skips validation" if name == "validation" else ""),
        )

    def _check_resume(self) -> bool:
        """Whether to continue the run in the output directory (finished iterations are kept;
        the unfinished one reuses its samples and its last checkpoint)."""
        value = self.config.resume_from_checkpoint
        previous = _read_json(self.output_dir / RECORD_FILE)
        if value in (None, "", "false", "False"):
            if previous or (self.output_dir / "iterations").exists():
                raise ConfigError(
                    f"{self.output_dir} already holds an IRPO run",
                    hint="continue it with --resume, or pick another --output-dir",
                )
            return False
        if value not in ("last", "true", "True"):
            raise ConfigError(
                "IRPO resumes a whole run: pass --resume",
                hint="each iteration keeps its own checkpoints under iterations/<t>/",
            )
        if previous and previous.get("data_identity") != self.config.data_identity():
            raise ConfigError(
                "cannot resume: the data selection or sampling settings differ from the run in "
                f"{self.output_dir} ({previous.get('data_identity')})"
            )
        return True


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def _copy_model(source: Path, target: Path) -> None:
    """Put the last iteration's model at the top of the run directory (``hf:OUTPUT_DIR``)."""
    for item in source.iterdir():
        if item.is_dir():
            shutil.copytree(item, target / item.name, dirs_exist_ok=True)
        else:
            shutil.copy2(item, target / item.name)


def train_irpo(config: IRPOConfig) -> Any:
    """Run IRPO; returns a :class:`~act_bench_baselines.common.run.TrainingResult`."""
    return IRPORun(config).run()
