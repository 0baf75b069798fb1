from __future__ import annotations

import pytest
import torch

from act_bench.backends import Backend, shared_backend


@pytest.fixture(scope="session")
def smollm2_backend() -> Backend:
    """The embedded model, loaded once per session (converted on the first run ever, ~20 s)."""
    return shared_backend("smollm2")


TINY_PAD = 0


@pytest.fixture(scope="module")
def tiny_llama():
    """A 2-layer random Llama (vocabulary 64, 2 KV heads of 8): transformers' real code paths
    in milliseconds, no download. Pad 0, end 1."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=TINY_PAD,
        eos_token_id=1,
        bos_token_id=2,
    )
    return LlamaForCausalLM(config).eval()
