"""How well the heuristic action classifier agrees with PACIFIC's gold action labels.

Classifies every validation turn state's gold response r with the ``heuristic`` classifier
and compares the result with its gold action a (``req_clari``), reporting accuracy and
macro F1 as App. D defines them for actions, the confusion counts, how often each rule
decided, and the disagreements. This measures the rules on the data's own responses, an
upper bound for how they do on model responses, which are worded more freely. A second
figure repeats the comparison with every response unwrapped and its question marks
removed (small models often drop them), to show the verdicts do not rest on "?" alone.

    python benchmarks/heuristic_agreement.py --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score

from act_bench.classifiers.heuristic import decide, normalise
from act_bench.task import get_task, turn_states
from act_bench.types import Action

LABELS = [Action.CLARIFY.value, Action.ANSWER.value]


def agreement(data_dir: Path, split: str = "validation") -> dict[str, object]:
    states = turn_states(get_task("pacific").load(split, data_dir))
    decisions = [decide(state.gold_response) for state in states]
    gold = [state.gold_action.value for state in states]
    predicted = [decision.action.value for decision in decisions]
    stripped = [
        decide(normalise(state.gold_response).replace("?", "")).action.value for state in states
    ]
    confusion = Counter(f"gold {g} / predicted {p}" for g, p in zip(gold, predicted, strict=True))
    disagreements = [
        {"id": s.id, "gold": g, "predicted": p, "rule": d.rule, "response": s.gold_response}
        for s, d, g, p in zip(states, decisions, gold, predicted, strict=True)
        if g != p
    ]
    return {
        "split": split,
        "n_items": len(states),
        "gold_counts": dict(Counter(gold)),
        "accuracy": round(100 * accuracy_score(gold, predicted), 2),
        "macro_f1": round(100 * f1_score(gold, predicted, labels=LABELS, average="macro"), 2),
        "confusion": dict(sorted(confusion.items())),
        "without_question_marks": {
            "accuracy": round(100 * accuracy_score(gold, stripped), 2),
            "macro_f1": round(100 * f1_score(gold, stripped, labels=LABELS, average="macro"), 2),
        },
        "rules": dict(Counter(d.rule for d in decisions).most_common()),
        "disagreements": disagreements,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("ACT_BENCH_DATA", "../shared/data"),
        help="folder holding pacific/validation.json (default: $ACT_BENCH_DATA or ../shared/data)",
    )
    parser.add_argument("--split", default="validation")
    parser.add_argument("--show", type=int, default=20, help="disagreements to print")
    args = parser.parse_args()
    report = agreement(Path(args.data_dir), args.split)
    shown = dict(report, disagreements=report["disagreements"][: args.show])
    shown["n_disagreements"] = len(report["disagreements"])
    print(json.dumps(shown, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
