"""IRPO: Iterative Reasoning Preference Optimization (Pang et al., 2024), the on-policy
DPO baseline of §4.3, as a run on the shared trainer base.

Each iteration t:

1. samples N responses per training prompt from the current policy M_{t-1}, in the run's
   prompting style (``cot`` by default: §5.1 credits IRPO with test-time computation), and
   labels each one on its final utterance (:mod:`~act_bench_baselines.irpo.sampling`,
   :mod:`~act_bench_baselines.irpo.labelling`: correct iff it takes the gold action and, at
   an ANSWER turn, its heuristic score clears ε);
2. pairs correct winners with incorrect losers, up to K pairs per prompt
   (:mod:`~act_bench_baselines.irpo.pairing`);
3. trains DPO plus the NLL term on the winners (TRL: ``loss_type=["sigmoid", "sft"]``,
   ``loss_weights=[1, α]``) against the frozen reference M_{t-1}, selects the checkpoint
   with the best reward margin on the action-based validation D_pref that every preference
   trainer selects on (App. J.2, :mod:`act_bench_baselines.common.selection`), and exports
   it as M_t, where the next iteration starts.

Samples are cached per iteration as JSONL (appended as generated), so a resumed run never
samples twice. Finished iterations keep their exported model and drop their checkpoints.
"""

from __future__ import annotations

import copy
import gc
import json
import random
import shutil
from pathlib import Path
from typing import Any

from act_bench_baselines.common.data import DataSelection
from act_bench_baselines.common.model import ModelSource, load_policy
from act_bench_baselines.common.record import RECORD_FILE, check_same_data, read_record, resuming
from act_bench_baselines.common.run import TrainingData, TrainingRun, console
from act_bench_baselines.common.selection import selection_rows
from act_bench_baselines.common.trainer import PreferenceTrainer
from act_bench_baselines.irpo.config import IRPOConfig
from act_bench_baselines.irpo.pairing import PairStats, pair_samples
from act_bench_baselines.irpo.sampling import SampleSettings, sample_and_label

from act_bench.backends import BackendOptions, SamplingParams
from act_bench.backends.hf import HFBackend
from act_bench.classifiers import load_classifier
from act_bench.errors import ConfigError
from act_bench.files import write_json_atomic
from act_bench.prompting import PromptStyle, build_styled_prompt, get_prompt_style
from act_bench.protocols import get_protocol

ITERATION_FILE = "iteration.json"

__all__ = ["IRPOConfig", "IRPORun", "train_irpo"]


class IRPORun(TrainingRun[IRPOConfig]):
    method = "irpo"
    trainer_class = PreferenceTrainer

    def prompt_style(self) -> PromptStyle:
        return get_prompt_style(self.config.prompt_style)

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
        """Sample, label and pair the training prompts with the current policy; the
        validation rows are the shared action-based D_pref (built in the first iteration,
        read from its cache after)."""
        chat = self.chat_format(tokenizer)
        lengths = self.length_filter(tokenizer)
        states = lengths.keep_prompts(selection.train.turn_states, "train")
        policy = HFBackend.from_model(
            model.to(self.state.device),
            tokenizer,
            spec=f"irpo-iteration-{iteration - 1}",
            options=BackendOptions(batch_size=self.config.batch_size),
        )
        with self.state.main_process_first():  # the main process samples, the others read
            samples, failed = sample_and_label(
                policy,
                states,
                task=self.task,
                prompt=build_styled_prompt(self.task, self.prompt_style()),
                classifier=load_classifier(
                    self.config.action_classifier,
                    task=self.task,
                    backend_options=self.config.backend_options(),
                    seed=self.config.seed,
                ),
                settings=self.sample_settings(iteration),
                path=directory / "samples-train.jsonl",
                description=f"irpo · iteration {iteration} · sampling",
                show_progress=self.show_progress and self.state.is_main_process,
            )
        pairs, stats = pair_samples(
            states,
            samples,
            max_pairs=self.config.max_pairs_per_prompt,
            rng=random.Random(f"irpo-pairs:{self.config.seed}:{iteration}"),
            gold_winner_fallback=self.config.gold_winner_fallback,
            styled=chat.styled,
        )
        stats.failed = failed
        self._require_pairs(iteration, stats)
        by_id = {state.id: state for state in states}
        rows = [chat.preference_row(by_id[p.turn_state_id], p.chosen, p.rejected) for p in pairs]
        validation_rows, selection_record = selection_rows(self, selection, chat, lengths)
        train, validation = self.datasets(rows, validation_rows, lengths)
        record = {
            "pairs": {"train": stats.to_json()},
            **selection_record,
            "train_examples": len(train),
            "validation_examples": len(validation) if validation is not None else 0,
            **lengths.to_json(),
        }
        return TrainingData(train, validation, record)

    def sample_settings(self, iteration: int) -> SampleSettings:
        config = self.config
        protocol = get_protocol(config.protocol)
        return SampleSettings(
            samples_per_prompt=config.samples_per_prompt,
            sampling=SamplingParams(
                max_new_tokens=config.max_new_tokens,
                temperature=config.temperature,
                top_p=config.top_p,
                seed=config.seed + 100_000 * iteration,
            ),
            chunk_size=config.batch_size,
            cut=protocol.turn_rules(None, self.task.defaults).cut,
            rule=config.label_rule(),
        )

    def _require_pairs(self, iteration: int, stats: PairStats) -> None:
        if stats.pairs:
            return
        raise ConfigError(
            f"IRPO iteration {iteration}: no training preference pairs; of {stats.prompts} "
            f"prompts {stats.all_correct} had only correct and {stats.all_incorrect} only "
            f"incorrect samples ({stats.correct}/{stats.samples} correct at ε = "
            f"{self.config.correct_threshold})",
            hint="raise --samples-per-prompt or --temperature, lower --correct-threshold, or "
            "pass --gold-winner-fallback",
        )

    def _check_resume(self) -> bool:
        """Whether to continue the run in the output directory (finished iterations are kept;
        the unfinished one reuses its samples and its last checkpoint)."""
        value = self.config.resume_from_checkpoint
        previous = read_record(self.output_dir / RECORD_FILE)
        if not resuming(self.config):
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
        check_same_data(self.config, previous, self.output_dir)
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
