"""Cost of one ACT step (Alg. 2) against a plain DPO step on the same batch.

Runs ``act-bench train act`` twice on the same data, seed and batches: once as ACT (on-policy
sampling, action classification, user simulation, then the DPO update) and once with
``--no_on_policy`` (the plain offline DPO step on D_pref), and reports per-step wall time
and ACT's breakdown from ``training_log.jsonl``. D_pref is built once and shared (cached).

    python benchmarks/act_step.py --data-dir ../shared/data --steps 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from act_bench_baselines.act.trainer import ActConfig, train_act
from act_bench_baselines.common.config import parse_config
from rich.console import Console
from rich.table import Table

PHASES = ("act/sampling_s", "act/classification_s", "act/simulation_s", "act/update_s")


def run(root: Path, name: str, common: list[str], *extra: str) -> dict:
    out = root / name
    train_act(parse_config(ActConfig, [*common, "--output_dir", str(out), *extra]))
    log = [json.loads(line) for line in (out / "training_log.jsonl").read_text().splitlines()]
    steps = [entry for entry in log if "loss" in entry]
    record = json.loads((out / "training_config.json").read_text())
    return {"steps": steps, "mean_step_s": record["training"]["mean_step_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--task", default="pacific")
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--split", default="validation", help="split the batch is drawn from")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument(
        "--no-prefix-cache",
        action="store_true",
        help="turn prompt-prefix KV reuse off (D_pref and on-policy sampling), to compare",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        common = [
            "--task", args.task, "--model", args.model, "--train_split", args.split,
            "--conversations", "2", "--validation_conversations", "0",
            "--limit", str(args.batch_size * args.steps), "--max_steps", str(args.steps),
            "--per_device_train_batch_size", str(args.batch_size),
            "--max_new_tokens", str(args.max_new_tokens), "--gradient_checkpointing", "false",
            "--save_strategy", "no", "--quiet", "--preferences_cache", str(root / "dpref"),
            # D_pref is not what is measured: one in-context conversation keeps M's prompt short
            "--generator_shots", "1",
        ]  # fmt: skip
        if args.data_dir:
            common += ["--data_dir", args.data_dir]
        if args.no_prefix_cache:
            common += ["--no_prefix_cache"]
        act = run(root, "act", common)
        dpo = run(root, "dpo", common, "--no_on_policy")

    table = Table("phase", "ACT step (s)", "plain DPO step (s)", title="one training step, mean")
    for phase in PHASES:
        values = [step.get(phase, 0.0) for step in act["steps"]]
        table.add_row(phase.removeprefix("act/"), f"{statistics.mean(values):.2f}", "")
    table.add_row("whole step", f"{act['mean_step_s']:.2f}", f"{dpo['mean_step_s']:.2f}")
    console = Console()
    console.print(table)
    branches = {
        k: v for k, v in act["steps"][-1].items() if k.startswith("act/") and not k.endswith("_s")
    }
    console.print(f"Alg. 2 branches over {args.steps} steps: {branches}")


if __name__ == "__main__":
    main()
