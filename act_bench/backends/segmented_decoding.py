"""Decode a batch in segments, so that a reply running long can finish on its own.

``model.generate`` keeps every row of a batch until the last one ends. On PACIFIC with
SmolLM2 most replies end within 5-30 tokens, but a batch of 8 often holds one reply that
runs to the 64-token cap, and the whole batch is decoded until it does. On the CPU a
decoding step of one row is a matrix-vector product per weight (~45 ms for SmolLM2 on 2
cores), while any step of 2 to 8 rows runs as a matrix-matrix product costing 70-130 ms
whatever the row count (measured; a transposed product would be faster but changes the
low bits of the logits, and so, rarely, a greedy token). So the one saving is to let the
last running row decode alone.

The batch is decoded ``generate`` call by ``generate`` call, a segment at a time (8, 8, 16,
32, ... tokens). After a segment, if only one row has not ended (an end token, or a stop
string in its text), the others leave the batch and the cache and that row runs to the end
in one more call; otherwise the whole batch goes on, ended rows padded as ``generate`` pads
them. Each segment is an ordinary ``generate`` continuing from the cache, whose last
position is the last token each row produced, so every step is the step one ``generate``
call would have taken: the same inputs, positions (from the attention mask) and cache
contents for every row still decoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

FIRST_SEGMENTS = (8, 8, 16)  # then doubling: 32, 64, ...

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
    them for greedy decoding, up to where a row left the batch: at a segment's end, once
    ``ended`` says every row but one has ended.

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
        if len(running) == 1 < len(rows):
            keep = torch.tensor(running, device=output.device)
            input_ids, attention_mask = input_ids[keep], attention_mask[keep]
            if cache is not None:
                cache.batch_select_indices(keep)
            rows = [rows[running[0]]]
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
