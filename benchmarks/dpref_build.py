"""What building Alg. 1's D_pref costs: pairs a minute, and where the tokens go.

Builds D_pref for the first N conversations of a split (all their turn states, gold action
labels, M's greedy y_l, nothing read from a cache) the way ``act-bench data
build-preferences`` does, after one untimed load of M, and prints one JSON object: turn
states, pairs, wall time, pairs a minute, the shots M was shown (requested, kept by its
context window), M's prompt tokens, prefill tokens computed, completion tokens, and peak
resident memory (sampled every 50 ms).

    python benchmarks/dpref_build.py --data-dir ../shared/data --conversations 5
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from act_bench_baselines.act.dpref import DprefBuilder, DprefSettings

from act_bench.task import get_task, turn_states

sys.path.insert(0, str(Path(__file__).parent))
from prefix_cache import peak_rss, warm_up  # noqa: E402  (a sibling script)


def first_conversations(task_name: str, split: str, data_dir: str, count: int) -> list:
    """Every turn state of the first ``count`` conversations of ``split``, in order."""
    states = turn_states(get_task(task_name).load(split, Path(data_dir)))
    kept: list[str] = []
    for index, state in enumerate(states):
        if state.conversation_id not in kept:
            if len(kept) == count:
                return states[:index]
            kept.append(state.conversation_id)
    return states


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="pacific")
    parser.add_argument("--split", default="validation")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--conversations", type=int, default=5)
    parser.add_argument("--generator", default="smollm2")
    parser.add_argument("--generator-shots", type=int, default=10)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--shot-pool",
        help="split M's shots come from (default: --split; an absent one: the bundled sample)",
    )
    parser.add_argument("--output", help="also keep the pairs in this JSONL file")
    args = parser.parse_args()

    states = first_conversations(args.task, args.split, args.data_dir, args.conversations)
    settings = DprefSettings(
        task=args.task,
        generator=args.generator,
        max_new_tokens=args.max_new_tokens,
        shots=args.generator_shots,
        data_dir=args.data_dir,
        pool_split=args.shot_pool or args.split,  # default: other conversations of the split
        batch_size=args.batch_size,
        cache=False,
    )
    load_s = warm_up(args.generator)
    record: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch, peak_rss(record):
        started = time.perf_counter()
        builder = DprefBuilder(settings, get_task(args.task))
        built = builder.build(states, output=Path(args.output or Path(scratch) / "dpref.jsonl"))
        wall_s = time.perf_counter() - started
    usage = builder.generator.usage.to_json()
    shots = built.shots.to_json()
    print(
        json.dumps(
            {
                "task": args.task,
                "conversations": args.conversations,
                "turn_states": len(states),
                "pairs": len(built.examples),
                "wall_s": round(wall_s, 1),
                "pairs_per_minute": round(len(built.examples) / wall_s * 60, 2),
                "untimed_load_s": load_s,
                "shots_requested": shots["requested"],
                "shots_used": shots["used"],
                "shots_note": shots["note"],
                "prompt_tokens": usage["prompt_tokens"],
                "prefill_tokens_computed": usage["prefill_tokens_computed"],
                "completion_tokens": usage["completion_tokens"],
                "control_rate": built.stats.to_json()["control_rate"],
                **record,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
