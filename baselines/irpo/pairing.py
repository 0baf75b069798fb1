"""IRPO's preference pairs: correct winners against incorrect losers, per prompt.

Up to K pairs per prompt (``max_pairs``), drawn with a seeded generator among every
(correct, incorrect) combination of distinct texts. A prompt whose samples are all correct
or all incorrect gives no pair, unless ``gold_winner_fallback`` makes the gold response the
winner where none is correct. Each text is written as the prompting style writes an
assistant turn of its action (``styled``: the ``cot`` style puts its reasoning line first),
so that the policy learns the form evaluation parses.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from act_bench_baselines.common.data import PreferencePair
from act_bench_baselines.irpo.labelling import LabeledSample

from act_bench.types import Action, TurnState

Styled = Callable[[str, Action], str]


def _plain(text: str, action: Action) -> str:
    return text


def irpo_pairs(
    turn_state: TurnState,
    samples: Sequence[LabeledSample],
    *,
    max_pairs: int,
    rng: random.Random,
    gold_winner_fallback: bool = False,
    styled: Styled = _plain,
) -> list[PreferencePair]:
    """Up to ``max_pairs`` (correct, incorrect) pairs of distinct texts, drawn with ``rng``."""

    def written(sample: LabeledSample) -> str:
        return styled(sample.text, sample.action or turn_state.gold_action)

    winners = _distinct(written(s) for s in samples if s.correct)
    losers = _distinct(written(s) for s in samples if not s.correct)
    source = "sample"
    if not winners and gold_winner_fallback:
        winners = [styled(turn_state.gold_response, turn_state.gold_action)]
        source = "gold"
    combinations = [(w, lo) for w in winners for lo in losers if w.strip() != lo.strip()]
    rng.shuffle(combinations)
    return [
        PreferencePair(turn_state.id, chosen, rejected, {"chosen_from": source})
        for chosen, rejected in combinations[:max_pairs]
    ]


def _distinct(texts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(texts))


@dataclass(slots=True)
class PairStats:
    """Labelling and pairing counts of one split in one iteration."""

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
        return asdict(self)


def pair_samples(
    turn_states: Sequence[TurnState],
    samples: Mapping[str, Sequence[LabeledSample]],
    *,
    max_pairs: int,
    rng: random.Random,
    gold_winner_fallback: bool = False,
    styled: Styled = _plain,
) -> tuple[list[PreferencePair], PairStats]:
    """Every prompt's pairs, in turn-state order, and the counts training_config.json keeps."""
    stats = PairStats(prompts=len(turn_states))
    pairs: list[PreferencePair] = []
    for state in turn_states:
        own = sorted(samples.get(state.id, []), key=lambda s: s.index)
        stats.samples += len(own)
        stats.correct += sum(s.correct for s in own)
        if own and all(s.correct for s in own):
            stats.all_correct += 1
        elif own and not any(s.correct for s in own):
            stats.all_incorrect += 1
        new = irpo_pairs(
            state,
            own,
            max_pairs=max_pairs,
            rng=rng,
            gold_winner_fallback=gold_winner_fallback,
            styled=styled,
        )
        stats.prompts_with_pairs += bool(new)
        stats.gold_winner_pairs += sum(p.provenance["chosen_from"] == "gold" for p in new)
        pairs.extend(new)
    stats.pairs = len(pairs)
    return pairs, stats
