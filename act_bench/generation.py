"""Generating for many prompts a chunk at a time, with one rule for each chunk's seed.

Callers that generate for a whole split (evaluation, DPO-Dist's pairs, IRPO's samples, ACT's
D_pref, AmbigSQL's recovery experiment and its LLM generator) cut the work into chunks, so
that results reach their log or cache as each chunk finishes and a killed run keeps them.

**Seeding rule.** A chunk's sampling parameters are the caller's, with the seed chosen by
:class:`ChunkSeeding`, which every caller names explicitly:

- ``SAME``: every chunk samples with the caller's seed (evaluation, D_pref, the recovery
  experiment). A chunk is then sampled as if it were sent alone with that seed.
- ``PER_CHUNK``: chunk ``k`` samples with ``seed + k`` (DPO-Dist's pairs, IRPO's samples),
  so that chunks of repeated prompts do not repeat one another's random draws.

A seed of None stays None. The rules are kept apart rather than merged because each
reproduces the results its callers have always produced.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import TypeVar

from act_bench.backends.base import Backend, Generation, SamplingParams
from act_bench.progress import progress_bar
from act_bench.types import Message

T = TypeVar("T")
ChunkCallback = Callable[[int, list[Generation]], None]


class ChunkSeeding(enum.Enum):
    """How a chunk's seed follows from the caller's (see the module docstring)."""

    SAME = "same"
    PER_CHUNK = "per_chunk"


def chunked(items: Sequence[T], size: int) -> Iterator[tuple[int, Sequence[T]]]:
    """``(k, chunk)`` for the consecutive chunks of ``items``, ``size`` at a time (at least 1)."""
    size = max(1, size)
    for index, start in enumerate(range(0, len(items), size)):
        yield index, items[start : start + size]


def chunk_sampling(sampling: SamplingParams, index: int, seeding: ChunkSeeding) -> SamplingParams:
    """The sampling parameters of chunk ``index`` under ``seeding``."""
    if seeding is ChunkSeeding.SAME or sampling.seed is None:
        return sampling
    return replace(sampling, seed=sampling.seed + index)


def generate_in_chunks(
    backend: Backend,
    conversations: Sequence[Sequence[Message]],
    sampling: SamplingParams,
    *,
    chunk_size: int,
    seeding: ChunkSeeding,
    on_chunk: ChunkCallback | None = None,
    description: str | None = None,
    show_progress: bool = True,
    advance: Callable[[int], None] | None = None,
) -> list[Generation]:
    """Generate for every conversation, ``chunk_size`` at a time, and return the generations
    in order. ``on_chunk(start, generations)`` receives each chunk's as it finishes (to log
    or cache them); ``description`` shows a progress bar of its own, ``advance`` moves the
    caller's."""
    generations: list[Generation] = []
    size = max(1, chunk_size)
    enabled = show_progress and description is not None
    with progress_bar(description or "", total=len(conversations), enabled=enabled) as step:
        for index, chunk in chunked(conversations, size):
            new = backend.generate(list(chunk), chunk_sampling(sampling, index, seeding))
            if on_chunk is not None:
                on_chunk(index * size, new)
            generations.extend(new)
            step(len(chunk))
            if advance is not None:
                advance(len(chunk))
    return generations
