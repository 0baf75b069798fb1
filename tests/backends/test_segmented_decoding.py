"""Segmented decoding on a tiny random Llama: rows that go on get exactly the tokens one
``generate`` call gives; rows that ended leave the batch and the cache at the segment's end."""

from __future__ import annotations

import pytest
import torch
from helpers import greedy_segments

from act_bench.backends.kv_reuse import LeftPaddedCache, prefill
from act_bench.backends.prefix_cache import PrefixCache
from act_bench.backends.segmented_decoding import (
    decode_in_segments,
    segment_lengths,
    stop_string_ended,
)

PAD = 0
NEW_TOKENS = 40


@pytest.fixture(scope="module")
def model(tiny_llama):
    return tiny_llama


def rows() -> list[list[int]]:
    generator = torch.Generator().manual_seed(3)
    lengths = (30, 12, 45, 21)
    return [torch.randint(3, 64, (n,), generator=generator).tolist() for n in lengths]


def padded(batch: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(map(len, batch))
    ids = torch.tensor([[PAD] * (width - len(r)) + r for r in batch])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in batch])
    return ids, mask


def test_segments_start_short_and_double() -> None:
    lengths = segment_lengths()
    assert [next(lengths) for _ in range(8)] == [4, 4, 8, 8, 16, 32, 64, 128]


def test_rows_that_go_on_decode_as_one_generate_call_would(model) -> None:
    batch = rows()
    ids, mask = padded(batch)
    with torch.inference_mode():
        whole = greedy_segments(model, pad=PAD)(ids, mask, None, NEW_TOKENS)
        whole = whole[:, ids.shape[1] :].tolist()
        cache = LeftPaddedCache(len(batch), ids.shape[1] - 1, NEW_TOKENS, model)
        store = PrefixCache(10**8, min_tokens=4)
        for row, tokens in enumerate(batch):
            cache.place(row, prefill(model, tokens, store)[0])
        calls: list[int] = []

        def generate(input_ids, attention_mask, cache, steps):
            calls.append(input_ids.shape[0])
            return greedy_segments(model, pad=PAD)(input_ids, attention_mask, cache, steps)

        # rows 1 and 3 "end" after the second segment (8 tokens), row 0 after the fourth
        # (24): each leaves the batch at the end of the segment it ended in, and row 2 runs
        # to the end alone
        stop_after = {0: 24, 1: 8, 2: NEW_TOKENS, 3: 6}
        segmented = decode_in_segments(
            generate,
            ids,
            mask,
            cache,
            max_new_tokens=NEW_TOKENS,
            ended=lambda row, new: len(new) >= stop_after[row],
        )
    assert calls == [4, 4, 2, 2, 1]
    assert cache.layers[0].keys.shape[0] == 1
    assert segmented[2] == whole[2]
    assert segmented[0] == whole[0][:24]
    for row in (1, 3):
        assert segmented[row] == whole[row][:8]


def test_a_batch_whose_rows_all_end_stops_after_the_segment(model) -> None:
    batch = rows()[:2]
    ids, mask = padded(batch)
    calls: list[int] = []

    def generate(input_ids, attention_mask, cache, steps):
        calls.append(steps)
        return greedy_segments(model, pad=PAD)(input_ids, attention_mask, cache, steps)

    with torch.inference_mode():
        decode_in_segments(
            generate, ids, mask, None, max_new_tokens=NEW_TOKENS, ended=lambda row, new: True
        )
    assert calls == [4]


class CharTokenizer:
    """Token i decodes to chr(i): enough to test where a stop string may match."""

    @staticmethod
    def decode(ids) -> str:
        return "".join(chr(i) for i in ids)


def test_a_stop_string_may_begin_in_the_prompt_but_must_end_in_the_new_tokens() -> None:
    encode = lambda text: [ord(c) for c in text]  # noqa: E731
    check = stop_string_ended(CharTokenizer.decode, encode("say\n"), ["\nUser:", "###"])
    assert check(encode("User: hi"))  # "\n" from the prompt, "User:" new
    assert check(encode("an answer ### more"))
    assert not check(encode("an answer"))
    assert not check([])
    in_prompt_only = stop_string_ended(CharTokenizer.decode, encode("x###"), ["###"])
    assert not in_prompt_only(encode("fine"))
