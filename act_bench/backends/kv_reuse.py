"""Prefix KV reuse for transformers causal LMs: prefill only what no earlier prompt computed.

On a CPU a prompt's prefill is compute-bound and its decoding is bound by reading the
weights once per step, whatever the batch size. So the backend (``hf.py``) splits the two:

1. **prefill, one prompt at a time, from the longest stored prefix.** The prompt's tokens are
   looked up in a :class:`~act_bench.backends.prefix_cache.PrefixCache`; the key/value
   tensors of the shared prefix are taken from the store and only the remaining tokens
   (all but the last) go through the model. The result is stored for the prompts after it.
   Token ids, not strings, are compared: the prefix is a token-level prefix of each
   prompt's own tokenization.
2. **decoding, batched.** The per-prompt states are left-padded into one ``DynamicCache``;
   ``model.generate`` gets the full left-padded ids and attention mask, computes each
   prompt's last token and decodes the batch together, exactly as it would have after its
   own left-padded prefill (positions come from the attention mask either way).

Stored states are never written to: ``DynamicLayer.update`` concatenates into new tensors,
so a prompt continuing from a stored prefix cannot change it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from act_bench.backends.prefix_cache import PrefixCache

# Per layer: keys and values, each [1, kv_heads, tokens, head_dim].
KVState = tuple[tuple[torch.Tensor, torch.Tensor], ...]


def supports_prefix_reuse(model: Any) -> bool:
    """Only models whose every layer keeps a plain, full-length cache: a sliding-window or
    recurrent layer cannot be cut at an arbitrary prefix."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    config = getattr(model, "config", None)
    if config is None or getattr(config, "is_encoder_decoder", False):
        return False
    try:
        cache = DynamicCache(config=config)
    except Exception:  # a config transformers cannot build a cache from: no reuse, no failure
        return False
    return bool(cache.layers) and all(type(layer) is DynamicLayer for layer in cache.layers)


def weights_version(model: Any) -> int:
    """Changes whenever a parameter is modified in place (an optimizer step, a loaded
    state dict), so stored states computed with the old weights can be dropped."""
    return sum(parameter._version for parameter in model.parameters())


def state_nbytes(state: KVState) -> int:
    return sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in state)


def prefill(
    model: Any, tokens: Sequence[int], store: PrefixCache[KVState]
) -> tuple[KVState | None, int]:
    """The state of ``tokens[:-1]`` and how many of those tokens came from the store.

    ``None`` for a one-token prompt (nothing to prefill). The last token is left for
    ``generate``, which needs at least one uncached input.
    """
    from transformers import DynamicCache

    limit = len(tokens) - 1
    if limit < 1:
        return None, 0
    hit = store.lookup(tokens, limit=limit)
    reused = hit.length if hit is not None else 0
    state: KVState = ()
    if hit is not None:
        state = tuple((k[:, :, :reused], v[:, :, :reused]) for k, v in hit.state)
    if reused < limit:
        cache = DynamicCache(config=model.config)
        for index, (keys, values) in enumerate(state):
            cache.update(keys, values, index)
        suffix = torch.tensor([list(tokens[reused:limit])], device=model.device)
        model(input_ids=suffix, cache=cache, use_cache=True)
        state = tuple((layer.keys, layer.values) for layer in cache.layers)
        store.store(tokens[:limit], state, state_nbytes(state))
    return state, reused


def left_padded_cache(states: Sequence[KVState | None], width: int, model: Any) -> Any:
    """One batched ``DynamicCache`` of ``width`` positions, each prompt's state at the right
    end of its row (the left-padding ``generate`` expects; pads are masked out)."""
    from transformers import DynamicCache

    template = next(state for state in states if state)
    cache = DynamicCache(config=model.config)
    for index, (keys, values) in enumerate(template):
        shape = (len(states), keys.shape[1], width, keys.shape[3])
        batch_keys, batch_values = keys.new_zeros(shape), values.new_zeros(shape)
        for row, state in enumerate(states):
            if state:
                length = state[index][0].shape[2]
                batch_keys[row, :, width - length :] = state[index][0][0]
                batch_values[row, :, width - length :] = state[index][1][0]
        cache.update(batch_keys, batch_values, index)
    return cache
