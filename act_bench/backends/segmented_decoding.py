"""Decode a batch in segments, so that rows that have ended stop costing decoding steps.

``model.generate`` keeps every row of a batch until the last one ends. On PACIFIC with
SmolLM2 most replies end within 5-30 tokens, but a batch of 8 often holds one reply that
runs to the 64-token cap, and the whole batch is decoded until it does. On the CPU a
decoding step costs more the more rows it holds (measured on two 2-core machines: 8 rows
1.7x and 2.9x a single row's step), so rows that have ended should leave.

The batch is decoded ``generate`` call by ``generate`` call, a segment at a time (4, 4, 8,
8, 16, 32, ... tokens). After a segment, the rows that have ended (an end token, or a stop
string in their text) leave the batch and the cache, and the others go on; a row left alone
runs to the end in one more call. Each segment is an ordinary ``generate`` continuing from
the cache, whose last position is the last token each row produced, so every step is the
step one ``generate`` call would have taken for the rows still decoded: the same inputs,
positions (from the attention mask) and cache contents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

FIRST_SEGMENTS = (4, 4, 8, 8, 16)  # then doubling: 32, 64, ...

Generate = Callable[[torch.Tensor, torch.Tensor, Any, int], torch.Tensor]
"""``(input_ids, attention_mask, cache, max_new_tokens) -> output ids`` (prompt and new)."""

Ended = Callable[[int, list[int]], bool]
"""``(row, new token ids so far) -> whether that row's reply has ended``."""


def segment_lengths() -> Iterator[int]:
    yield from FIRST_SEGMENTS
    length = FIRST_SEGMENTS[-1]
    while True:
        length *= 2
        yield length


def decode_in_segments(
    generate: Generate,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    cache: Any,
    *,
    max_new_tokens: int,
    ended: Ended,
) -> list[list[int]]:
    """Every row's new token ids, as one ``generate`` call over the whole batch would give
    them for greedy decoding, up to where a row left the batch: at the end of the segment in
    which ``ended`` first says it has ended.

    ``cache`` holds every prompt token but the last (or is ``None`` for one-token prompts);
    it is changed in place and left holding the rows still running at the end.
    """
    rows = list(range(input_ids.shape[0]))
    new_ids: list[list[int]] = [[] for _ in rows]
    remaining = max_new_tokens
    lengths = segment_lengths()
    while rows and remaining > 0:
        step = remaining if len(rows) == 1 else min(next(lengths), remaining)
        output = generate(input_ids, attention_mask, cache, step)
        produced = output[:, input_ids.shape[1] :]
        remaining -= step
        for position, row in enumerate(rows):
            new_ids[row].extend(produced[position].tolist())
        if produced.shape[1] < step:  # generate stopped early: every row has ended
            break
        running = [p for p, row in enumerate(rows) if not ended(row, new_ids[row])]
        if not running or remaining <= 0:
            break
        attention_mask = torch.cat([attention_mask, attention_mask.new_ones(produced.shape)], 1)
        input_ids = output
        if len(running) < len(rows):
            keep = torch.tensor(running, device=output.device)
            input_ids, attention_mask = input_ids[keep], attention_mask[keep]
            if cache is not None:
                cache.batch_select_indices(keep)
            rows = [rows[p] for p in running]
    return new_ids


def stop_string_ended(
    decode: Callable[[Sequence[int]], str], prompt_tail: Sequence[int], stops: Sequence[str]
) -> Callable[[Sequence[int]], bool]:
    """Whether new tokens complete one of ``stops``, as transformers' stop-string check sees
    it: a match may begin in the prompt's last tokens but must end in the new ones."""
    if not stops:
        return lambda new_ids: False
    head = decode(prompt_tail)

    def check(new_ids: Sequence[int]) -> bool:
        if not new_ids:
            return False
        text = decode([*prompt_tail, *new_ids])
        return any(text.find(stop, max(0, len(head) - len(stop) + 1)) >= 0 for stop in stops)

    return check
