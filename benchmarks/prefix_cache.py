"""What prefix KV reuse saves on whole conversations, and that it changes no output.

Runs ``act-bench eval`` twice in this process on the first N conversations of a split (all
their turn states, the gold simulator, greedy decoding): first with prefix reuse off
(``--no-prefix-cache``), then on, after one untimed load of the model (so that neither run
pays the process's first imports). Prints one JSON object: prompt tokens, prefill tokens
actually computed, wall time of each run, the speedup, whether every trajectory (every turn
of every episode) is identical, and each run's peak resident memory, sampled every 50 ms
(only the run's own model is loaded while it runs).

    python benchmarks/prefix_cache.py --data-dir ../shared/data --conversations 10
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psutil

from act_bench.backends import forget_shared_backends, load_backend
from act_bench.backends.memory import release_freed_memory
from act_bench.evaluation import EvalConfig, EvalResult, run_evaluation
from act_bench.task import get_task, turn_states

GIB = 2**30


@contextmanager
def peak_rss(record: dict[str, float]):
    """The largest resident set size seen while the block runs, in GiB, into ``record``."""
    process = psutil.Process()
    done = threading.Event()
    peak = [process.memory_info().rss]

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield
    finally:
        done.set()
        sampler.join()
        record["peak_rss_gib"] = round(max(peak[0], process.memory_info().rss) / GIB, 3)


def whole_conversations(task_name: str, split: str, data_dir: str | None, count: int) -> int:
    """How many leading turn states make up the first ``count`` conversations."""
    states = turn_states(get_task(task_name).load(split, Path(data_dir) if data_dir else None))
    conversations: list[str] = []
    for index, state in enumerate(states):
        if state.conversation_id not in conversations:
            if len(conversations) == count:
                return index
            conversations.append(state.conversation_id)
    return len(states)


def warm_up(model: str) -> float:
    """Load the model once, untimed, and drop it: the first load in a process imports
    transformers and torch's kernels (seconds), which would otherwise count against
    whichever run goes first."""
    started = time.perf_counter()
    backend = load_backend(model)
    del backend
    gc.collect()
    release_freed_memory()
    return round(time.perf_counter() - started, 2)


def evaluate(args: argparse.Namespace, limit: int, prefix_cache: bool) -> tuple[EvalResult, dict]:
    forget_shared_backends()
    gc.collect()
    release_freed_memory()  # so the run's peak RSS starts from what is live
    measured: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as out, peak_rss(measured):
        config = EvalConfig(
            task=args.task,
            model=args.model,
            split=args.split,
            data_dir=args.data_dir,
            limit=limit,
            batch_size=args.batch_size,
            max_new_tokens=args.max_new_tokens,
            prefix_cache=prefix_cache,
            output_dir=out,
        )
        started = time.perf_counter()
        result = run_evaluation(config, show_progress=False)
        measured["wall_s"] = round(time.perf_counter() - started, 2)
    return result, measured


def policy_usage(result: EvalResult, model: str) -> dict:
    """The policy's usage totals: results.json keys them by role ("policy") or, in runs
    written before roles, by model spec."""
    usage = result.results["usage"]
    return usage["policy"] if "policy" in usage else usage[model]


def transcripts(result: EvalResult) -> list[tuple[str, ...]]:
    return [tuple(turn.text for turn in record.trajectory.turns) for record in result.records]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--task", default="pacific")
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--split", default="validation")
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=None)
    args = parser.parse_args()

    limit = whole_conversations(args.task, args.split, args.data_dir, args.conversations)
    warm_up_s = warm_up(args.model)
    off, off_measured = evaluate(args, limit, prefix_cache=False)
    print(f"reuse off: {off_measured}", file=sys.stderr, flush=True)
    on, on_measured = evaluate(args, limit, prefix_cache=True)
    usage_off, usage_on = policy_usage(off, args.model), policy_usage(on, args.model)
    report = {
        "task": args.task,
        "split": args.split,
        "model": args.model,
        "conversations": args.conversations,
        "turn_states": limit,
        "episodes": len(on.records),
        "batch_size": args.batch_size,
        "prompts": usage_on["prompts"],
        "prompt_tokens": usage_on["prompt_tokens"],
        "prefill_tokens_computed": usage_on["prefill_tokens_computed"],
        "prefill_tokens_computed_off": usage_off["prefill_tokens_computed"],
        "completion_tokens": usage_on["completion_tokens"],
        "wall_s_off": off_measured["wall_s"],
        "wall_s_on": on_measured["wall_s"],
        "speedup": round(off_measured["wall_s"] / on_measured["wall_s"], 3),
        "identical_outputs": transcripts(off) == transcripts(on),
        "same_metrics": off.metrics == on.metrics,
        "peak_rss_gib": on_measured["peak_rss_gib"],
        "peak_rss_gib_off": off_measured["peak_rss_gib"],
        "prefix_cache": usage_on.get("prefix_cache"),
        "warm_up_s": warm_up_s,
        "cpu_load_average_1m": round(psutil.getloadavg()[0], 2),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
