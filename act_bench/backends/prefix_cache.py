"""A bounded store of prompt-prefix states, found by longest common token prefix.

Evaluation and the ACT trainer send the same tokens again and again: every turn state of a
conversation re-sends the instruction, the table, the passage and all earlier turns; every
clarification round re-sends the whole prompt; every y_l of Alg. 1 re-reads the control
prompt's in-context conversations. A local backend keeps the attention state (KV cache) it
computed for a prompt here, keyed by the prompt's token ids, and the next prompt that starts
with the same tokens continues from it instead of recomputing them.

The store knows nothing about tensors: an entry is a token sequence, an opaque state and its
size in bytes. It is bounded by a byte budget and evicts the least recently used entries.
An entry that is a prefix of a newly stored one is dropped, and a state already covered by
a longer entry is not stored: the longer entry answers every lookup the shorter one could,
with at least as many tokens, so a conversation in flight holds one entry, not one per turn.
A lookup matches any entry's beginning, so prompts that share only the instruction and the
in-context examples (Alg. 1's control prompt) reuse those from the most recent such prompt.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

State = TypeVar("State")

MIN_REUSED_TOKENS = 16  # a shorter common prefix is not worth a copy of its state
CPU_BUDGET_CAP_BYTES = 256 * 2**20
LONG_PROMPT_BUDGET_CAP_BYTES = 4 * 2**30
GPU_BUDGET_SHARE = 0.10
RESERVABLE_SHARE = 0.75
"""The most of the budget :meth:`PrefixCache.reserved` holds for a batch's own cache: the
store keeps at least the rest (enough for the conversation the batch continues)."""


@dataclass(slots=True)
class PrefixCacheStats:
    """What the store did over a backend's life; reported in results.json ``usage``."""

    budget_bytes: int
    lookups: int = 0
    hits: int = 0
    reused_tokens: int = 0
    stored: int = 0
    evicted: int = 0
    bytes: int = 0
    peak_bytes: int = 0
    entries: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "budget_bytes": self.budget_bytes,
            "lookups": self.lookups,
            "hits": self.hits,
            "reused_tokens": self.reused_tokens,
            "stored": self.stored,
            "evicted": self.evicted,
            "bytes": self.bytes,
            "peak_bytes": self.peak_bytes,
            "entries": self.entries,
        }


@dataclass(frozen=True, slots=True)
class PrefixHit(Generic[State]):
    """The stored entry sharing the most leading tokens with a prompt, and how many it shares."""

    tokens: tuple[int, ...]
    state: State
    length: int


@dataclass(slots=True)
class _Entry(Generic[State]):
    state: State
    nbytes: int


class PrefixCache(Generic[State]):
    """LRU of (token ids → state) under a byte budget; see the module docstring."""

    def __init__(self, budget_bytes: int, *, min_tokens: int = MIN_REUSED_TOKENS) -> None:
        if budget_bytes < 0:
            raise ValueError(f"prefix cache budget must be >= 0 bytes, got {budget_bytes}")
        self._entries: OrderedDict[tuple[int, ...], _Entry[State]] = OrderedDict()
        self.min_tokens = min_tokens
        self.stats = PrefixCacheStats(budget_bytes=budget_bytes)
        self._reserved = 0

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, tokens: Sequence[int], *, limit: int) -> PrefixHit[State] | None:
        """The entry sharing the longest common prefix with ``tokens``, counting at most
        ``limit`` tokens (a backend must leave at least one token to compute); ``None`` below
        ``min_tokens``. A hit makes the entry the most recently used."""
        self.stats.lookups += 1
        match = self._longest_match(tuple(tokens), limit)
        if match is None:
            return None
        best, best_length = match
        self._entries.move_to_end(best)
        self.stats.hits += 1
        self.stats.reused_tokens += best_length
        return PrefixHit(best, self._entries[best].state, best_length)

    def store(self, tokens: Sequence[int], state: State, nbytes: int) -> None:
        """Keep ``state`` for ``tokens``, then evict least recently used entries over budget.

        Nothing is stored when ``tokens`` is already covered by a longer entry or the state
        alone exceeds the budget; entries that ``tokens`` extends are dropped.
        """
        key = tuple(tokens)
        if len(key) < self.min_tokens or nbytes > self.stats.budget_bytes - self._reserved:
            return
        if any(len(other) >= len(key) and other[: len(key)] == key for other in self._entries):
            return
        for other in [o for o in self._entries if len(o) < len(key) and key[: len(o)] == o]:
            self._remove(other)
        self._entries[key] = _Entry(state, nbytes)
        self.stats.stored += 1
        self.stats.bytes += nbytes
        self._evict_over_budget()
        self.stats.entries = len(self._entries)
        self.stats.peak_bytes = max(self.stats.peak_bytes, self.stats.bytes)

    @contextmanager
    def reserved(self, nbytes: int, *, keeping: Sequence[Sequence[int]] = ()) -> Iterator[None]:
        """Hold ``nbytes`` of the budget for something else (a batch's own cache) while the
        block runs: least recently used entries are evicted to make room, and entries stored
        meanwhile fit in what is left; at most ``RESERVABLE_SHARE`` of the budget is held.
        The entries ``keeping``'s prompts would continue from (the batch's own) are made the
        most recently used first, so they are the last to go."""
        for tokens in keeping:
            best = self._longest_match(tuple(tokens), len(tokens))
            if best is not None:
                self._entries.move_to_end(best[0])
        held = min(max(nbytes, 0), int(self.stats.budget_bytes * RESERVABLE_SHARE))
        self._reserved += held
        try:
            self._evict_over_budget()
            yield
        finally:
            self._reserved -= held

    def clear(self) -> None:
        for key in list(self._entries):
            self._remove(key)
        self.stats.entries = 0

    def _longest_match(
        self, tokens: tuple[int, ...], limit: int
    ) -> tuple[tuple[int, ...], int] | None:
        """The entry sharing the most leading tokens with ``tokens`` (at most ``limit``) and
        how many, or None below ``min_tokens``."""
        best: tuple[int, ...] | None = None
        best_length = 0
        for key in self._entries:
            length = common_prefix_length(key, tokens, limit)
            if length > best_length:
                best, best_length = key, length
        if best is None or best_length < self.min_tokens:
            return None
        return best, best_length

    def _evict_over_budget(self) -> None:
        while self._entries and self.stats.bytes > self.stats.budget_bytes - self._reserved:
            self._remove(next(iter(self._entries)))
            self.stats.evicted += 1

    def _remove(self, key: tuple[int, ...]) -> None:
        entry = self._entries.pop(key)
        self.stats.bytes -= entry.nbytes
        self.stats.entries = len(self._entries)


def common_prefix_length(a: Sequence[int], b: Sequence[int], limit: int) -> int:
    """How many leading tokens ``a`` and ``b`` share, at most ``limit``."""
    a, b = tuple(a), tuple(b)  # a list never equals a tuple, even with the same items
    bound = min(len(a), len(b), limit)
    if bound <= 0 or a[0] != b[0]:
        return 0
    if a[:bound] == b[:bound]:  # the common case: one prompt extends the other
        return bound
    low, high = 0, bound  # a[:low] == b[:low] and a[:high] != b[:high]
    while high - low > 1:
        middle = (low + high) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle
    return low


def long_prompt_budget_bytes(*, total_bytes: int | None = None) -> int:
    """A KV budget for a backend whose prompts run to thousands of tokens (M's control
    prompt in Alg. 1: up to ten in-context conversations, as many as fit the model's window,
    ~7,500 tokens for PACIFIC with SmolLM2, 0.35 GB of keys and values in float32; a model
    with a longer window takes more): 1/8 of physical memory, at most 4 GiB, so the
    store keeps the shared in-context prefix while a group of such prompts decodes."""
    total = total_bytes or os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return min(LONG_PROMPT_BUDGET_CAP_BYTES, total // 8)


def default_budget_bytes(device_type: str, *, total_bytes: int | None = None) -> int:
    """The default KV budget for this machine (``total_bytes``: its memory, else read): what
    the store and the cache of the batch being decoded hold together (the batch takes at
    most ``RESERVABLE_SHARE`` of it, see ``PrefixCache.reserved``).

    On the CPU: 1/64 of physical memory, at most 256 MiB. With SmolLM2-135M in float32 a
    token's keys and values take 46 KB, so a 1,000-token prompt's state is 46 MB: the store
    keeps the three or four conversations in flight (an entry a newer one extends is
    dropped; finished conversations are evicted first), and a batch's cache needs little,
    since prompts sharing a beginning read it from the store (``shared_prefix.py``). An
    evaluation with SmolLM2 peaks at about 1.4 GiB resident (measured: a 512 MiB budget
    gave the same hits and 1.6 GiB). On a GPU: 10 % of the device's memory.
    """
    if device_type == "cuda":
        import torch

        total = total_bytes or torch.cuda.get_device_properties(0).total_memory
        return int(total * GPU_BUDGET_SHARE)
    total = total_bytes or os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return min(CPU_BUDGET_CAP_BYTES, total // 64)
