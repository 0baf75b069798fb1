"""What batching and the cache buy for embedding similarity (Abg-CoQA's metric).

Embeds N distinct Abg-CoQA texts (gold responses and interpretation answers of the
validation split, or the bundled sample's numbered when no data dir is given), each run
starting from an empty cache:

1. one by one: one ``embed`` call per string (what scoring items one at a time costs
   without ``prepare_scoring``);
2. batched: one ``embed`` call, encoded ``--batch-size`` strings at a time;
3. cached: the same strings again, one call each (what scoring a text already seen costs).

Reports strings per second for each, after loading the model once (not timed). On a
shared CPU machine, ``--threads 1`` avoids oversubscription distorting the numbers.

    python benchmarks/embedding_throughput.py --data-dir ../shared/data --strings 256
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from act_bench.metrics.similarity import SentenceEmbedder
from act_bench.task import get_task, turn_states


def texts_for(data_dir: str | None, count: int) -> list[str]:
    """``count`` distinct texts scored by Abg-CoQA: gold responses, then goal answers."""
    task = get_task("abg-coqa")
    states = turn_states(task.load("validation", Path(data_dir) if data_dir else None))
    texts = [s.gold_response for s in states] + [str(g.answer) for s in states for g in s.goals]
    distinct = list(dict.fromkeys(texts))
    if len(distinct) < count:  # the small sample: number the repeats so they stay distinct
        distinct = [f"{distinct[i % len(distinct)]} ({i})" for i in range(count)]
    return distinct[:count]


def timed(embedder: SentenceEmbedder, calls: list[list[str]]) -> float:
    started = time.perf_counter()
    for texts in calls:
        embedder.embed(texts)
    return time.perf_counter() - started


def run(args: argparse.Namespace) -> dict[str, object]:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    texts = texts_for(args.data_dir, args.strings)
    embedder = SentenceEmbedder(args.model, batch_size=args.batch_size)
    embedder.embed(["load the model before timing"])  # the model load is not timed
    embedder.clear_cache()
    single_s = timed(embedder, [[text] for text in texts])
    embedder.clear_cache()
    before = embedder.encoded
    batched_s = timed(embedder, [texts])
    cached_s = timed(embedder, [[text] for text in texts])
    n = len(texts)
    return {
        "strings": n,
        "model": embedder.model_name,
        "batch_size": args.batch_size,
        "torch_threads": torch.get_num_threads(),
        "batched_strings_per_s": round(n / batched_s, 1),
        "one_by_one_strings_per_s": round(n / single_s, 1),
        "speedup": round(single_s / batched_s, 2),
        "cached_lookups_per_s": round(n / cached_s, 1),
        "encoded_by_cached_run": embedder.encoded - before - n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="data root holding abg_coqa/")
    parser.add_argument("--strings", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--model", default=None, help="sentence-transformers name or path")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    print(json.dumps(run(parser.parse_args()), indent=2))


if __name__ == "__main__":
    main()
