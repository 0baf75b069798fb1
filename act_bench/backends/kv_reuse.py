"""Prefix KV reuse for transformers causal LMs: prefill only what no earlier prompt computed.

On a CPU a prompt's prefill is compute-bound and its decoding is bound by reading the
weights once per step, whatever the batch size. So the backend (``hf.py``) splits the two:

1. **prefill, one prompt at a time, from the longest stored prefix.** The prompt's tokens are
   looked up in a :class:`~act_bench.backends.prefix_cache.PrefixCache`; the key/value
   tensors of the shared prefix are taken from the store and only the remaining tokens
   (all but the last) go through the model. The result is stored for the prompts after it.
   Token ids, not strings, are compared: the prefix is a token-level prefix of each
   prompt's own tokenization.
2. **decoding, batched.** The chunk's prompts are grouped by shared beginning
   (:mod:`~act_bench.backends.shared_prefix`): each group's shared prefix is read from one
   stored state, a view, and only what each prompt adds to it is copied, as soon as it is
   computed, into its row of one left-padded cache with room for the new tokens
   (:class:`LeftPaddedCache`, :class:`PreallocatedLayer`). ``model.generate`` gets the full
   ids and attention mask, computes each prompt's last token and decodes the batch
   together (positions come from the attention mask). On 2 CPU cores a step of 8 rows
   costs ~1.7x a step of one, so a token costs ~5x less decoded 8 at a time. A chunk whose
   batched cache would exceed the KV budget is decoded in groups (:func:`decode_groups`).

Stored states are never written to: the prefill's ``DynamicLayer.update`` concatenates into
new tensors, the batch reads shared prefixes without writing and holds copies of the rest,
so a prompt continuing from a stored prefix cannot change it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import Any

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from act_bench.backends.prefix_cache import PrefixCache

# Per layer: keys and values, each [1, kv_heads, tokens, head_dim].
KVState = tuple[tuple[torch.Tensor, torch.Tensor], ...]


def supports_prefix_reuse(model: Any) -> bool:
    """Only models whose every layer keeps a plain, full-length cache: a sliding-window or
    recurrent layer cannot be cut at an arbitrary prefix."""
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
        model(input_ids=suffix, cache=cache, use_cache=True, **_last_logits_only(model))
        state = tuple((layer.keys, layer.values) for layer in cache.layers)
        store.store(tokens[:limit], state, state_nbytes(state))
    return state, reused


class PreallocatedLayer(DynamicLayer):
    """A ``DynamicLayer`` that writes new tokens into room set aside after the cache instead
    of concatenating: a plain ``DynamicLayer`` copies every key and value of the batch at
    every decoding step (on 2 CPU cores, 8 prompts of 800 tokens: a quarter of the step).

    ``keys`` / ``values`` are views of the first ``length`` positions of the buffers, so
    attention sees exactly the tensors a ``DynamicLayer`` would hold. When they stop being
    views of the buffers (a parent method replaced them: batch selection, offloading, a
    reset) or the room is used up, the next update copies them into new buffers.
    """

    def __init__(self, spare_tokens: int) -> None:
        super().__init__()
        self.spare_tokens = spare_tokens
        self._key_buffer: torch.Tensor | None = None
        self._value_buffer: torch.Tensor | None = None

    def allocate(self, shape: tuple[int, int, int, int], like: torch.Tensor) -> None:
        """Zeroed buffers for ``shape`` = (batch, kv heads, length, head dim) plus the spare
        room; ``keys`` / ``values`` become their first ``length`` positions."""
        batch, heads, length, head_dim = shape
        full = (batch, heads, length + self.spare_tokens, head_dim)
        self._key_buffer, self._value_buffer = like.new_zeros(full), like.new_zeros(full)
        self.device = like.device
        self.keys = self._key_buffer[:, :, :length]
        self.values = self._value_buffer[:, :, :length]
        self.is_initialized = True

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        length = self.stored_length()
        needed = length + key_states.shape[-2]
        if not self._has_room(needed, key_states.shape[0]):
            previous_keys, previous_values = self.keys, self.values
            shape = (key_states.shape[0], key_states.shape[1], needed, key_states.shape[3])
            self.allocate(shape, key_states)
            if length:
                self._key_buffer[:, :, :length] = previous_keys
                self._value_buffer[:, :, :length] = previous_values
        assert self._key_buffer is not None and self._value_buffer is not None
        self._key_buffer[:, :, length:needed] = key_states
        self._value_buffer[:, :, length:needed] = value_states
        self.keys = self._key_buffer[:, :, :needed]
        self.values = self._value_buffer[:, :, :needed]
        return self.keys, self.values

    def stored_length(self) -> int:
        """Positions held in ``keys`` / ``values`` (what :meth:`get_seq_length` reports,
        unless a subclass counts positions held elsewhere)."""
        return DynamicLayer.get_seq_length(self)

    def _has_room(self, needed: int, batch: int) -> bool:
        buffer = self._key_buffer
        return (
            buffer is not None
            and self.keys is not None
            and self.keys.numel() > 0
            and self.keys.data_ptr() == buffer.data_ptr()
            and buffer.shape[0] == batch
            and needed <= buffer.shape[2]
        )


def _last_logits_only(model: Any) -> dict[str, int]:
    """Ask for the last position's logits only, where the model's forward can: the prefill
    needs none of them (an 800-token prefill would otherwise spend about as long on the
    output layer, 49,152 x 576 for SmolLM2, as on the rest, and hold 157 MB of logits)."""
    return {"logits_to_keep": 1} if _accepts_logits_to_keep(type(model)) else {}


@functools.cache
def _accepts_logits_to_keep(model_class: type) -> bool:
    return "logits_to_keep" in inspect.signature(model_class.forward).parameters


class LeftPaddedCache(DynamicCache):
    """A batched cache of ``rows`` prompts, ``width`` positions each, with room for
    ``spare_tokens`` more per layer (:class:`PreallocatedLayer`); :meth:`place` fills a row.
    The buffers are allocated from the first state placed (its dtype, device and shapes)."""

    def __init__(self, rows: int, width: int, spare_tokens: int, model: Any) -> None:
        super().__init__(config=model.config)
        self.layers = [PreallocatedLayer(spare_tokens) for _ in self.layers]
        self.rows, self.width = rows, width

    def place(self, row: int, state: KVState) -> None:
        """Copy one prompt's state into ``row``, at the right end (the left-padding
        ``generate`` expects; the pads stay zero and masked out). The state is copied, so
        the batch's decoding never writes into a stored state."""
        for layer, (keys, values) in zip(self.layers, state, strict=True):
            if not layer.is_initialized:
                layer.allocate((self.rows, keys.shape[1], self.width, keys.shape[3]), keys)
            length = keys.shape[2]
            layer.keys[row, :, self.width - length :] = keys[0]
            layer.values[row, :, self.width - length :] = values[0]


def kv_bytes_per_token(model: Any) -> int:
    """Bytes of keys and values one token takes in the cache: 2 x layers x KV heads x head
    size x bytes per value (46,080 for SmolLM2-135M in float32)."""
    config = model.config.get_text_config(decoder=True)
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    element = torch.empty((), dtype=model.dtype).element_size()
    return 2 * config.num_hidden_layers * kv_heads * head_dim * element


def batch_cache_bytes(lengths: Sequence[int], new_tokens: int, bytes_per_token: int) -> int:
    """What a :class:`LeftPaddedCache` of prompts of ``lengths`` takes: every row padded to
    the longest, plus room for ``new_tokens``."""
    return len(lengths) * (max(lengths, default=0) + new_tokens) * bytes_per_token


def decode_groups(
    lengths: Sequence[int], new_tokens: int, bytes_per_token: int, budget_bytes: int
) -> list[list[int]]:
    """Split a chunk of prompts (indices into ``lengths``, kept in order) into groups decoded
    together, each as large as fits: a group's :func:`batch_cache_bytes` must stay within
    ``budget_bytes`` (a group of one is made whatever its size). In token-id order,
    neighbours have similar lengths, so a split also cuts the padding."""
    groups: list[list[int]] = []
    for index, length in enumerate(lengths):
        if groups:
            widened = [lengths[i] for i in groups[-1]] + [length]
            if batch_cache_bytes(widened, new_tokens, bytes_per_token) <= budget_bytes:
                groups[-1].append(index)
                continue
        groups.append([index])
    return groups
