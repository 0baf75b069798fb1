"""Seconds per optimizer step and peak memory of an SFT and a DPO step, through the real trainers.

Each method runs in its own process (so peak RSS is its own): the shared trainer base with
the embedded model (or --model), --steps optimizer steps of --batch-size examples drawn from
--conversations conversations, no validation. The DPO step trains on gold responses against
another turn's gold response (a wrong answer), so it measures the DPO update alone (policy
and reference forward passes, backward, optimizer step), not pair generation. The first
step is reported apart (it allocates the optimizer state).

    python benchmarks/train_step.py --data-dir ../shared/data
    python benchmarks/train_step.py --methods dpo --steps 6 --model hf:Qwen/Qwen2.5-0.5B-Instruct
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

from act_bench_baselines.common.config import PreferenceArguments, TaskTrainingArguments
from act_bench_baselines.common.run import TrainingData, TrainingRun
from act_bench_baselines.common.trainer import PreferenceTrainer
from trl import DPOConfig

METHODS = ("sft", "dpo")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--task", default="pacific")
    parser.add_argument("--split", default="validation", help="split the examples come from")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--conversations", type=int, default=5)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=1280)
    parser.add_argument("--gradient-checkpointing", choices=("true", "false"), default="true")
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args)))
        return
    rows = []
    for method in args.methods:
        rows.append(run_child(method, sys.argv[1:]))
        print(json.dumps(rows[-1]), flush=True)  # each as it finishes
    report(rows)


def run_child(method: str, argv: list[str]) -> dict[str, Any]:
    command = [sys.executable, __file__, *argv, "--child", method]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        sys.exit(f"{method} failed:\n{finished.stderr[-4000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def measure(method: str, args: argparse.Namespace) -> dict[str, Any]:
    from act_bench_baselines.common.config import parse_config
    from act_bench_baselines.sft.trainer import SFTBaselineConfig, SFTRun

    with tempfile.TemporaryDirectory() as output_dir:
        argv = [
            "--task", args.task,
            "--model", args.model,
            "--train_split", args.split,
            "--conversations", str(args.conversations),
            "--validation_conversations", "0",
            "--max_steps", str(args.steps),
            "--per_device_train_batch_size", str(args.batch_size),
            "--max_length", str(args.max_length),
            "--gradient_checkpointing", args.gradient_checkpointing,
            "--save_strategy", "no",
            "--quiet",
            "--output_dir", output_dir,
        ]  # fmt: skip
        if args.data_dir:
            argv += ["--data_dir", args.data_dir]
        if method == "sft":
            run = SFTRun(parse_config(SFTBaselineConfig, argv))
        else:
            run = BenchmarkDPORun(parse_config(BenchmarkDPOConfig, argv))
        result = run.run()
    durations = list(run.fits[-1].step_seconds)
    import torch

    return {
        "method": method,
        "model": args.model,
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "threads": torch.get_num_threads(),
        "batch_size": args.batch_size,
        "examples": result.record["data"]["train_examples"],
        "first_step_s": round(durations[0], 3),
        "median_step_s": round(statistics.median(durations[1:] or durations), 3),
        "steps": len(durations),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3),
        "peak_gpu_gib": round(torch.cuda.max_memory_allocated() / 2**30, 3)
        if torch.cuda.is_available()
        else None,
    }


@dataclass
class BenchmarkDPOConfig(PreferenceArguments, TaskTrainingArguments, DPOConfig):
    method_name = "dpo-benchmark"


class BenchmarkDPORun(TrainingRun):
    """DPO on (gold response, the next turn's gold response) pairs: no generation."""

    method = "dpo-benchmark"
    trainer_class = PreferenceTrainer

    def build_data(self, selection: Any, tokenizer: Any) -> TrainingData:
        chat = self.chat_format(tokenizer)
        states = selection.train.turn_states
        rows = [
            chat.preference_row(ts, ts.gold_response, states[(i + 1) % len(states)].gold_response)
            for i, ts in enumerate(states)
        ]
        train, _ = self.datasets(rows, None, self.length_filter(tokenizer))
        return TrainingData(train, None, {"train_examples": len(train)})


def report(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="train step (shared trainer base)")
    for column in ("method", "model", "device", "threads", "batch_size", "first_step_s"):
        table.add_column(column)
    for column in ("median_step_s", "peak_rss_gib", "peak_gpu_gib"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[c]) for c in [col.header for col in table.columns]))
    Console(width=140).print(table)
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
