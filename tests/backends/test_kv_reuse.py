"""Prefix KV reuse on a tiny random Llama: same states, same greedy tokens, stored states
untouched. Fast (no download); the real-model check on PACIFIC prompts is in
test_hf_backend.py."""

from __future__ import annotations

import pytest
import torch
from transformers import MistralConfig, MistralForCausalLM

from act_bench.backends.kv_reuse import (
    LeftPaddedCache,
    PreallocatedLayer,
    decode_groups,
    kv_bytes_per_token,
    prefill,
    state_nbytes,
    supports_prefix_reuse,
    weights_version,
)
from act_bench.backends.prefix_cache import PrefixCache

PAD = 0


@pytest.fixture(scope="module")
def model(tiny_llama):
    return tiny_llama


def prompt(seed: int, length: int) -> list[int]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(3, 64, (length,), generator=generator).tolist()


def full_state(model, tokens: list[int]):
    with torch.inference_mode():
        output = model(input_ids=torch.tensor([tokens]), use_cache=True)
    return [(layer.keys, layer.values) for layer in output.cache.layers]


def test_prefill_continues_from_the_stored_prefix_with_the_same_state(model) -> None:
    store = PrefixCache(10**8, min_tokens=4)
    first = prompt(1, 30)
    second = [*first, *prompt(2, 10)]
    with torch.inference_mode():
        state, reused = prefill(model, first, store)
        assert reused == 0 and state[0][0].shape[2] == 29
        kept = [(k.clone(), v.clone()) for k, v in state]
        state, reused = prefill(model, second, store)
    assert reused == 29 and state[0][0].shape[2] == 39
    for (keys, values), (full_keys, full_values) in zip(
        state, full_state(model, second[:-1]), strict=True
    ):
        torch.testing.assert_close(keys, full_keys)
        torch.testing.assert_close(values, full_values)
    assert len(store) == 1  # the second prompt's state replaced the first's
    assert store.stats.bytes == state_nbytes(state) == 2 * 2 * 2 * 39 * 8 * 4
    # continuing did not write into the first prompt's stored tensors
    with torch.inference_mode():
        again, _ = prefill(model, first, PrefixCache(10**8, min_tokens=4))
    for (keys, values), (kept_keys, kept_values) in zip(again, kept, strict=True):
        torch.testing.assert_close(keys, kept_keys)
        torch.testing.assert_close(values, kept_values)


def test_a_one_token_prompt_has_nothing_to_prefill(model) -> None:
    assert prefill(model, [5], PrefixCache(10**8)) == (None, 0)


def greedy(model, rows: list[list[int]], cache=None) -> list[list[int]]:
    width = max(map(len, rows))
    ids = torch.tensor([[PAD] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    kwargs = {"cache": cache} if cache is not None else {}
    with torch.inference_mode():
        output = model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=12,
            do_sample=False,
            pad_token_id=PAD,
            eos_token_id=1,
            **kwargs,
        )
    return output[:, width:].tolist()


def test_batched_decoding_from_reused_states_gives_the_plain_greedy_tokens(model) -> None:
    shared = prompt(3, 40)
    rows = [[*shared, *prompt(4, 7)], shared[:25], [*shared, *prompt(5, 19)], prompt(6, 33)]
    store = PrefixCache(10**8, min_tokens=4)
    with torch.inference_mode():
        prefilled = [prefill(model, row, store) for row in rows]
    assert [reused for _, reused in prefilled] == [0, 24, 40, 0]
    width = max(map(len, rows))
    cache = LeftPaddedCache(len(rows), width - 1, 12, model)
    for row, (state, _) in enumerate(prefilled):
        cache.place(row, state)
    assert cache.get_seq_length() == width - 1
    assert greedy(model, rows, cache) == greedy(model, rows)
    # decoding wrote into the spare room, never into the reused states
    assert all(layer.keys.data_ptr() == layer._key_buffer.data_ptr() for layer in cache.layers)
    assert cache.get_seq_length() == width + 11  # the last prompt token and 11 of 12 new
    assert greedy(model, rows) == [greedy(model, [row])[0] for row in rows]


def test_only_plain_full_attention_caches_are_reused(model) -> None:
    assert supports_prefix_reuse(model)
    sizes = ("vocab_size", "hidden_size", "intermediate_size", "num_attention_heads")
    same_sizes = {name: getattr(model.config, name) for name in sizes}
    sliding = MistralForCausalLM(
        MistralConfig(**same_sizes, num_key_value_heads=2, num_hidden_layers=1, sliding_window=8)
    )
    assert not supports_prefix_reuse(sliding)


def test_weights_version_moves_when_a_parameter_is_updated_in_place(model) -> None:
    before = weights_version(model)
    with torch.no_grad():
        model.lm_head.weight.add_(0.0)
    assert weights_version(model) == before + 1


def test_preallocated_layer_holds_what_a_dynamic_layer_holds() -> None:
    from transformers.cache_utils import DynamicLayer

    generator = torch.Generator().manual_seed(7)
    plain, preallocated = DynamicLayer(), PreallocatedLayer(spare_tokens=3)
    for length in (5, 1, 1, 1, 4, 1):  # the 4-token update outgrows the room: new buffers
        keys, values = (torch.randn(2, 3, length, 8, generator=generator) for _ in range(2))
        expected = plain.update(keys, values)
        got = preallocated.update(keys, values)
        assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])
    assert preallocated.get_seq_length() == plain.get_seq_length() == 13
    # a parent method that replaces the tensors (batch selection) is followed correctly
    plain.batch_select_indices(torch.tensor([1]))
    preallocated.batch_select_indices(torch.tensor([1]))
    keys, values = (torch.randn(1, 3, 2, 8, generator=generator) for _ in range(2))
    expected, got = plain.update(keys, values), preallocated.update(keys, values)
    assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])
    # cropping keeps the buffers: the next token overwrites the cropped position
    plain.crop(-1)
    preallocated.crop(-1)
    keys, values = (torch.randn(1, 3, 1, 8, generator=generator) for _ in range(2))
    expected, got = plain.update(keys, values), preallocated.update(keys, values)
    assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])


def test_kv_bytes_per_token_counts_keys_and_values_of_every_layer(model) -> None:
    # 2 (keys, values) x 2 layers x 2 KV heads x head size 8 x 4 bytes (float32)
    assert kv_bytes_per_token(model) == 2 * 2 * 2 * 8 * 4
    with torch.inference_mode():
        state, _ = prefill(model, prompt(9, 21), PrefixCache(10**8, min_tokens=4))
    assert state_nbytes(state) == 20 * kv_bytes_per_token(model)


def test_decode_groups_keep_each_batched_cache_within_the_budget() -> None:
    # 10 bytes a token, 5 new tokens: rows of 20 tokens take 250 bytes padded to width 20
    assert decode_groups([20, 20, 20, 20], 5, 10, 10**6) == [[0, 1, 2, 3]]
    assert decode_groups([20, 20, 20, 20], 5, 10, 500) == [[0, 1], [2, 3]]
    # a long row widens its group: 2 x (45 + 5) x 10 = 1,000 > 900, so it starts a new one
    assert decode_groups([10, 15, 45, 45], 5, 10, 900) == [[0, 1], [2], [3]]
    assert decode_groups([100], 5, 10, 1) == [[0]]  # a group of one whatever its size
    assert decode_groups([], 5, 10, 100) == []
