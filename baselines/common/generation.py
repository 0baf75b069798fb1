"""Batched generation for trainers that build their data from model samples (DPO-Dist's
pairs, IRPO's samples): chunked so that results reach their cache as each chunk finishes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from act_bench.backends import Backend, Generation, SamplingParams
from act_bench.progress import progress_bar
from act_bench.types import Message

ChunkCallback = Callable[[int, list[Generation]], None]


def generate_in_chunks(
    backend: Backend,
    conversations: Sequence[Sequence[Message]],
    sampling: SamplingParams,
    *,
    chunk_size: int,
    on_chunk: ChunkCallback,
    description: str,
    show_progress: bool = True,
) -> None:
    """Generate for every conversation, ``chunk_size`` at a time; ``on_chunk(start, generations)``
    receives each chunk's generations in order. Chunk k samples with seed ``sampling.seed + k``,
    so chunks do not repeat one another's random draws."""
    chunk_size = max(1, chunk_size)
    with progress_bar(description, total=len(conversations), enabled=show_progress) as advance:
        for index, start in enumerate(range(0, len(conversations), chunk_size)):
            chunk = conversations[start : start + chunk_size]
            on_chunk(start, backend.generate(chunk, chunk_sampling(sampling, index)))
            advance(len(chunk))


def chunk_sampling(sampling: SamplingParams, index: int) -> SamplingParams:
    """The sampling parameters of chunk ``index``: the seed moved on by ``index``."""
    return sampling if sampling.seed is None else replace(sampling, seed=sampling.seed + index)
