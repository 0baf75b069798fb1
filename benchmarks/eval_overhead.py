"""Where evaluation time goes, and what batching buys.

1. Runs the App. D loop on N PACIFIC items with the given model and reports the share of
   wall time spent inside backend calls (the rest is prompt rendering, classification,
   simulation, scoring and result writing).
2. Generates for the same 8 prompts batched (one call) and one at a time, and reports
   completion tokens per second for each.

    python benchmarks/eval_overhead.py --data-dir ../shared/data --items 20
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from act_bench.backends import SamplingParams, shared_backend
from act_bench.evaluation import EvalConfig, run_evaluation
from act_bench.task import get_task, turn_states


def loop_share(args) -> dict[str, object]:
    """Backend time comes from the backends' own usage accounting in results.json."""
    with tempfile.TemporaryDirectory() as out:
        config = EvalConfig(
            model=args.model,
            data_dir=args.data_dir,
            limit=args.items,
            batch_size=args.batch_size,
            max_new_tokens=args.max_new_tokens,
            output_dir=out,
        )
        started = time.perf_counter()
        result = run_evaluation(config, show_progress=False)
        total = time.perf_counter() - started
    backend_s = sum(usage["latency_s"] for usage in result.results["usage"].values())
    return {
        "items": result.counts["n_items"],
        "wall_s": round(total, 2),
        "backend_s": round(backend_s, 2),
        "backend_share": round(backend_s / total, 4),
        "usage": result.results["usage"],
        "metrics": result.metrics,
    }


def batching_throughput(args) -> dict[str, float]:
    task = get_task("pacific")
    data_dir = Path(args.data_dir) if args.data_dir else None
    states = turn_states(task.load("validation", data_dir))[:8]
    prompts = [task.render_messages(s.prompt) for s in states]
    backend = shared_backend(args.model)
    params = SamplingParams(max_new_tokens=args.max_new_tokens)

    def timed(batches):
        started = time.perf_counter()
        tokens = sum(
            g.completion_tokens for batch in batches for g in backend.generate(batch, params)
        )
        return tokens, time.perf_counter() - started

    batched_tokens, batched_s = timed([prompts])
    single_tokens, single_s = timed([[p] for p in prompts])
    return {
        "prompts": len(prompts),
        "batched_tokens_per_s": round(batched_tokens / batched_s, 2),
        "one_at_a_time_tokens_per_s": round(single_tokens / single_s, 2),
        "speedup": round((batched_tokens / batched_s) / (single_tokens / single_s), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    args = parser.parse_args()
    shared_backend(args.model)  # load (and convert) once, outside the timings
    report = {"loop": loop_share(args), "batching": batching_throughput(args)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
