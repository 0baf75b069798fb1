"""Decoding from shared prefixes (act_bench/backends/shared_prefix.py) on a tiny random Llama:
the same logits and greedy tokens as an ordinary left-padded batch, prefixes held once and
never written to. The real-model check on PACIFIC prompts is in test_hf_backend.py."""

from __future__ import annotations

import torch
from helpers import greedy_segments

from act_bench.backends.kv_reuse import prefill
from act_bench.backends.prefix_cache import PrefixCache
from act_bench.backends.segmented_decoding import decode_in_segments
from act_bench.backends.shared_prefix import (
    SHARED_PREFIX_ATTENTION,
    Segment,
    SharedPrefixCache,
    attending_shared_prefix,
    prefix_segments,
    shared_layout,
)

PAD = 0


def prompt(seed: int, length: int) -> list[int]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(3, 64, (length,), generator=generator).tolist()


def left_padded(rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(map(len, rows))
    ids = torch.tensor([[PAD] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    return ids, mask


def plain_greedy(model, rows: list[list[int]], new_tokens: int) -> list[list[int]]:
    """One ordinary left-padded greedy ``generate`` call, no cache given."""
    ids, mask = left_padded(rows)
    return greedy_segments(model, pad=PAD)(ids, mask, None, new_tokens)[:, ids.shape[1] :].tolist()


def shared_cache(model, rows: list[list[int]], new_tokens: int, store: PrefixCache):
    segments = prefix_segments(rows)
    ids, mask, prefix_width, own_width = shared_layout(rows, segments, PAD)
    cache = SharedPrefixCache(segments, prefix_width, own_width, new_tokens, model)
    with torch.inference_mode():
        for row, tokens in enumerate(rows):
            state, _ = prefill(model, tokens, store)
            if state is not None:
                cache.place(row, state)
    return segments, ids, mask, cache


# conversation A's turns (each extends the one before), B's turn, a prompt of its own
SHARED = prompt(3, 40)
ROWS = [
    [*SHARED, *prompt(4, 7)],
    [*SHARED, *prompt(4, 7), *prompt(5, 12)],
    [*SHARED, *prompt(6, 19)],
    [*prompt(7, 30), *prompt(8, 5)],
    prompt(9, 33),
]


def test_rows_sharing_a_beginning_form_one_segment_and_a_row_alone_keeps_its_prefix() -> None:
    assert prefix_segments(ROWS) == [
        Segment(0, 3, 40),  # A and B share the 40 tokens
        Segment(3, 4, 34),  # alone: its whole cached state is the prefix
        Segment(4, 5, 32),
    ]
    # a row sharing less than half of what the group shares starts a new group
    assert prefix_segments([[*SHARED, 7, 8], [*SHARED[:10], 9, 9]]) == [
        Segment(0, 1, 41),
        Segment(1, 2, 11),
    ]
    assert prefix_segments([[5], [6, 7]]) == [Segment(0, 1, 0), Segment(1, 2, 1)]


def test_layout_puts_the_prefix_first_then_pads_then_each_rows_own_tokens() -> None:
    rows = [[5, 6, 7, 8], [5, 6, 9], [4, 4, 4, 4, 4]]
    segments = [Segment(0, 2, 2), Segment(2, 3, 4)]
    ids, mask, prefix_width, own_width = shared_layout(rows, segments, PAD)
    assert (prefix_width, own_width) == (4, 1)  # row 0 keeps [7] of its own before the last
    assert ids.tolist() == [
        [5, 6, 0, 0, 7, 8],
        [5, 6, 0, 0, 0, 9],
        [4, 4, 4, 4, 0, 4],
    ]
    assert mask.tolist() == [
        [1, 1, 0, 0, 1, 1],
        [1, 1, 0, 0, 0, 1],
        [1, 1, 1, 1, 0, 1],
    ]


def test_logits_match_attention_over_the_whole_left_padded_cache(tiny_llama) -> None:
    store = PrefixCache(10**8, min_tokens=4)
    _, ids, mask, cache = shared_cache(tiny_llama, ROWS, 4, store)
    plain_ids, plain_mask = left_padded(ROWS)
    last = mask.sum(dim=1, keepdim=True) - 1  # each row's last position in its own prompt
    with torch.inference_mode():
        with attending_shared_prefix(tiny_llama, cache):
            shared = tiny_llama(
                input_ids=ids[:, -1:], attention_mask=mask, cache=cache, position_ids=last
            ).logits
        positions = (plain_mask.cumsum(dim=1) - 1).clamp(min=0)
        plain = tiny_llama(
            input_ids=plain_ids, attention_mask=plain_mask, position_ids=positions
        ).logits[:, -1:]
    torch.testing.assert_close(shared, plain, rtol=1e-5, atol=1e-5)
    assert tiny_llama.config._attn_implementation != SHARED_PREFIX_ATTENTION  # restored


def test_greedy_tokens_match_and_stored_prefixes_are_never_written(tiny_llama) -> None:
    store = PrefixCache(10**8, min_tokens=4)
    segments, ids, mask, cache = shared_cache(tiny_llama, ROWS, 12, store)
    prefixes = [(k.clone(), v.clone()) for _, k, v in cache.layers[0].prefixes]
    assert len(prefixes) == len(segments)
    # each segment's prefix is a view of a prefilled state, not a copy
    assert cache.layers[0].keys.shape[2] == ids.shape[1] - 1 - cache.layers[0].prefix_width

    with attending_shared_prefix(tiny_llama, cache):
        new_ids = decode_in_segments(
            greedy_segments(tiny_llama, pad=PAD),
            ids,
            mask,
            cache,
            max_new_tokens=12,
            ended=lambda row, new: False,
        )
    assert new_ids == plain_greedy(tiny_llama, ROWS, 12)
    for (keys, values), (_, kept_keys, kept_values) in zip(
        prefixes, cache.layers[0].prefixes, strict=False
    ):
        torch.testing.assert_close(kept_keys, keys)
        torch.testing.assert_close(kept_values, values)


def test_the_last_running_row_keeps_its_segments_prefix(tiny_llama) -> None:
    """decode_in_segments lets the last unfinished row decode alone (batch selection): the
    cache keeps that row's own part and its segment's prefix, renumbered."""
    store = PrefixCache(10**8, min_tokens=4)
    _, ids, mask, cache = shared_cache(tiny_llama, ROWS, 24, store)

    with attending_shared_prefix(tiny_llama, cache):
        new_ids = decode_in_segments(
            greedy_segments(tiny_llama, pad=PAD),
            ids,
            mask,
            cache,
            max_new_tokens=24,
            ended=lambda row, new: row != 1,
        )
    assert cache.layers[0].prefixes[0][0] == Segment(0, 1, 40)
    assert len(cache.layers[0].prefixes) == 1
    expected = plain_greedy(tiny_llama, ROWS, 24)
    assert new_ids[1] == expected[1]
    # the others left after the first segment (4 tokens)
    assert [ids[:4] for ids in new_ids] == [ids[:4] for ids in expected]
    assert [len(ids) for ids in new_ids] == [4, 24, 4, 4, 4]
