"""Decoding a batch whose prompts share a prefix from one copy of that prefix's keys/values.

A batch of prompts that share a long beginning (the turn states of one conversation; Alg. 1's
control prompts, whose ten in-context conversations are the same for every row) would hold
that beginning once per row in an ordinary left-padded cache: on 2 CPU cores every decoding
step reads all of it (8 rows of an 11,000-token control prompt: 4 GB of keys and values in
float32), and it takes that much memory. Here the batch's cache is split in two:

- the **shared prefix**, ``[1, kv heads, P, head dim]`` per layer: the first ``P`` positions of
  a stored state, a view, neither copied nor written to;
- each row's **own part**, left-padded to a common width with room for the new tokens
  (a :class:`~act_bench.backends.kv_reuse.PreallocatedLayer`).

A row's ids are laid out as ``prefix + pads + own tokens``; ``generate`` gets that and its
attention mask, so positions (the mask's running count) are the row's own. The attention
(:func:`shared_prefix_attention`, registered with transformers under
:data:`SHARED_PREFIX_ATTENTION` and switched on only while such a batch decodes) scores every
query against the shared prefix with one product for the whole batch, against the row's own
part with one product per row, and normalises both together: the same softmax over the same
keys as attention over the concatenated cache, in a different order of summation.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import AttentionInterface
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

from act_bench.backends.kv_reuse import KVState, LeftPaddedCache, PreallocatedLayer
from act_bench.backends.prefix_cache import common_prefix_length

SHARED_PREFIX_ATTENTION = "act_bench_shared_prefix"
MIN_SHARED_TOKENS = 16
JOIN_SHARE = 0.5

_ACTIVE: contextvars.ContextVar[SharedPrefixCache | None] = contextvars.ContextVar(
    "act_bench_shared_prefix_cache", default=None
)


@dataclass(frozen=True, slots=True)
class Segment:
    """Rows ``start`` to ``stop`` (exclusive) of a batch share their first ``length`` tokens."""

    start: int
    stop: int
    length: int


def prefix_segments(token_ids: Sequence[Sequence[int]]) -> list[Segment]:
    """Consecutive rows grouped by a common prefix, each group's prefix held once.

    Rows are taken in order (the backend sorts prompts by token ids, so prompts sharing a
    beginning are neighbours). A row joins the group before it when it shares with the
    group's first row at least ``MIN_SHARED_TOKENS`` and at least half of what the group
    shares so far; the group's prefix shrinks to what all its rows share. A prefix never
    reaches a row's last token (``generate`` computes that one). A row alone keeps its
    whole state as its prefix: nothing of it is copied. The group reads the prefix from its
    first row's state; the others' states hold the same tokens, computed from the same
    stored entries (bit for bit where they continued from one).
    """
    segments: list[Segment] = []
    first: Sequence[int] = ()
    for row, ids in enumerate(token_ids):
        cached = max(len(ids) - 1, 0)
        if segments:
            last = segments[-1]
            shared = min(common_prefix_length(first, ids, cached), last.length)
            if shared >= max(MIN_SHARED_TOKENS, last.length * JOIN_SHARE):
                segments[-1] = Segment(last.start, row + 1, shared)
                continue
        segments.append(Segment(row, row + 1, cached))
        first = ids
    return segments


def shared_layout(
    token_ids: Sequence[Sequence[int]], segments: Sequence[Segment], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, int, int]:
    """The batch's input ids and attention mask, the prefix width (the longest segment
    prefix) and the width of the rows' own part. A row is laid out as its segment's prefix,
    pads up to the prefix width, pads up to the own width, then its own tokens: the mask's
    running count gives every token its position in its own prompt."""
    prefix_width = max(segment.length for segment in segments)
    lengths = [segment.length for segment in segments for _ in range(segment.start, segment.stop)]
    own = [len(ids) - 1 - length for ids, length in zip(token_ids, lengths, strict=True)]
    own_width = max(own)
    ids_rows, mask_rows = [], []
    for ids, length, own_length in zip(token_ids, lengths, own, strict=True):
        pads = prefix_width - length + own_width - own_length
        ids_rows.append([*ids[:length], *[pad_id] * pads, *ids[length:]])
        mask_rows.append([1] * length + [0] * pads + [1] * (own_length + 1))
    return torch.tensor(ids_rows), torch.tensor(mask_rows), prefix_width, own_width


class SharedPrefixLayer(PreallocatedLayer):
    """One layer of a :class:`SharedPrefixCache`: the segments' prefixes (views of stored
    states, ``[1, kv heads, length, head dim]``) and, in ``keys`` / ``values``, the rows'
    own positions. Its length counts the prefix width plus the own positions."""

    def __init__(self, spare_tokens: int, prefix_width: int) -> None:
        super().__init__(spare_tokens)
        self.prefix_width = prefix_width
        self.prefixes: list[tuple[Segment, torch.Tensor, torch.Tensor]] = []

    def get_seq_length(self) -> int:
        return self.prefix_width + super().get_seq_length()

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        return self.get_seq_length() + query_length, 0

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        """Keep the rows ``indices`` (their own positions, and the prefixes of their
        segments, renumbered)."""
        kept = indices.tolist()
        prefixes = []
        for segment, keys, values in self.prefixes:
            rows = [i for i, row in enumerate(kept) if segment.start <= row < segment.stop]
            if rows:  # the kept rows of a segment stay neighbours: indices are in order
                prefixes.append((Segment(rows[0], rows[-1] + 1, segment.length), keys, values))
        self.prefixes = prefixes
        super().batch_select_indices(indices)


class SharedPrefixCache(LeftPaddedCache):
    """The batched cache of ``segments`` (see :func:`prefix_segments`): each segment's prefix
    is a view of its first row's state, each row's own positions are copied into
    ``own_width`` columns, left-padded, with room for ``spare_tokens`` more."""

    def __init__(
        self,
        segments: Sequence[Segment],
        prefix_width: int,
        own_width: int,
        spare_tokens: int,
        model: Any,
    ) -> None:
        super().__init__(segments[-1].stop, own_width, spare_tokens, model)
        self.layers = [SharedPrefixLayer(spare_tokens, prefix_width) for _ in self.layers]
        self._segment_of = {row: s for s in segments for row in range(s.start, s.stop)}

    def place(self, row: int, state: KVState) -> None:
        """Take ``row``'s state: its segment's prefix (a view, when ``row`` is the segment's
        first) and a copy of the rest."""
        segment = self._segment_of[row]
        length = segment.length
        if row == segment.start and length:
            for layer, (keys, values) in zip(self.layers, state, strict=True):
                layer.prefixes.append((segment, keys[:, :, :length], values[:, :, :length]))
        super().place(row, tuple((k[:, :, length:], v[:, :, length:]) for k, v in state))


@contextlib.contextmanager
def attending_shared_prefix(model: Any, cache: SharedPrefixCache) -> Iterator[None]:
    """While the block runs, ``model`` attends through :func:`shared_prefix_attention` to
    ``cache``; its own attention setting is restored afterwards."""
    config = model.config
    previous = config._attn_implementation
    token = _ACTIVE.set(cache)
    config._attn_implementation = SHARED_PREFIX_ATTENTION
    try:
        yield
    finally:
        config._attn_implementation = previous
        _ACTIVE.reset(token)


def shared_prefix_attention(
    module: Any,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    *,
    scaling: float | None = None,
    **_: Any,
) -> tuple[torch.Tensor, None]:
    """Attention of ``query`` ``[batch, heads, q, head dim]`` over the active cache's
    segment prefixes (``prefix_width`` columns) followed by ``key`` / ``value`` (the rows' own
    part), with the boolean mask ``sdpa_mask`` built over both (``None``: nothing masked but
    causality). Prefix columns past a segment's own prefix are masked by the attention mask,
    which has zeros there."""
    cache = _ACTIVE.get()
    if cache is None:
        raise RuntimeError(
            f"attention {SHARED_PREFIX_ATTENTION!r} runs only inside attending_shared_prefix()"
        )
    layer = cache.layers[module.layer_idx]
    batch, heads, q_length, head_dim = query.shape
    kv_heads = key.shape[1]
    group = heads // kv_heads
    width = layer.prefix_width
    scale = scaling if scaling is not None else head_dim**-0.5
    grouped = query.reshape(batch, kv_heads, group, q_length, head_dim)

    prefix_scores = query.new_zeros(batch, kv_heads, group, q_length, width)
    for segment, keys, _values in layer.prefixes:
        rows = _segment_queries(grouped[segment.start : segment.stop])
        scores = torch.matmul(rows, keys[0].transpose(-1, -2))
        prefix_scores[segment.start : segment.stop, ..., : segment.length] = _by_row(
            scores, segment.stop - segment.start, group, q_length
        )
    own_scores = torch.matmul(grouped, key.unsqueeze(2).transpose(-1, -2))
    scores = torch.cat([prefix_scores, own_scores], dim=-1) * scale

    allowed = _allowed(attention_mask, batch, q_length, width + key.shape[-2], query.device)
    if allowed is not None:
        scores = scores.masked_fill(~allowed[:, :, None], float("-inf"))
    # normalised in float32 whatever the dtype, as transformers' eager attention does
    probabilities = torch.softmax(scores, dim=-1, dtype=torch.float32).to(value.dtype)

    output = torch.matmul(probabilities[..., width:], value.unsqueeze(2))
    for segment, _keys, values in layer.prefixes:
        rows = _segment_queries(probabilities[segment.start : segment.stop, ..., : segment.length])
        output[segment.start : segment.stop] += _by_row(
            torch.matmul(rows, values[0]), segment.stop - segment.start, group, q_length
        )
    output = output.reshape(batch, heads, q_length, head_dim)
    return output.transpose(1, 2).contiguous(), None


def _segment_queries(rows: torch.Tensor) -> torch.Tensor:
    """``[rows, kv heads, group, q, n]`` as ``[kv heads, rows * group * q, n]``: one product
    per KV head against the segment's one prefix."""
    return rows.permute(1, 0, 2, 3, 4).reshape(rows.shape[1], -1, rows.shape[-1])


def _by_row(flat: torch.Tensor, rows: int, group: int, q_length: int) -> torch.Tensor:
    """The inverse of :func:`_segment_queries` for a product's result."""
    kv_heads, _, last = flat.shape
    return flat.reshape(kv_heads, rows, group, q_length, last).permute(1, 0, 2, 3, 4)


def _allowed(
    mask: torch.Tensor | None, batch: int, q_length: int, kv_length: int, device: torch.device
) -> torch.Tensor | None:
    """The boolean ``[batch, 1, q, kv]`` mask to apply, or None when every key is allowed
    (``sdpa_mask`` leaves it out when nothing is padded and causality alone remains)."""
    if mask is not None:
        if mask.dtype != torch.bool:  # an additive float mask: 0 where allowed
            mask = mask == 0
        return mask
    if q_length == 1:
        return None
    positions = torch.arange(kv_length - q_length, kv_length, device=device)
    causal = positions[:, None] >= torch.arange(kv_length, device=device)[None, :]
    return causal.expand(batch, 1, q_length, kv_length)


AttentionInterface.register(SHARED_PREFIX_ATTENTION, shared_prefix_attention)
AttentionMaskInterface.register(SHARED_PREFIX_ATTENTION, sdpa_mask)
