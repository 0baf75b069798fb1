"""act_bench/generation.py: chunks, and the seed of each chunk under each rule."""

from __future__ import annotations

from act_bench.backends import Generation, SamplingParams, Usage
from act_bench.generation import ChunkSeeding, chunk_sampling, chunked, generate_in_chunks


class SeedEcho:
    spec = "echo"

    def __init__(self) -> None:
        self.usage = Usage()
        self.calls: list[tuple[int, int | None]] = []

    def generate(self, conversations, params):
        self.calls.append((len(conversations), params.seed))
        return [Generation(text=f"{params.seed}") for _ in conversations]


def test_chunks_cover_the_items_in_order():
    assert [(k, list(c)) for k, c in chunked([1, 2, 3, 4, 5], 2)] == [
        (0, [1, 2]),
        (1, [3, 4]),
        (2, [5]),
    ]
    assert [list(c) for _, c in chunked([1, 2], 0)] == [[1], [2]]  # a size below 1 is 1


def test_each_seeding_rule():
    sampling = SamplingParams(seed=10)
    assert chunk_sampling(sampling, 3, ChunkSeeding.SAME).seed == 10
    assert chunk_sampling(sampling, 3, ChunkSeeding.PER_CHUNK).seed == 13
    unseeded = SamplingParams(seed=None)
    assert chunk_sampling(unseeded, 3, ChunkSeeding.PER_CHUNK).seed is None


def test_generate_in_chunks_returns_every_generation_and_reports_each_chunk():
    backend, seen, advanced = SeedEcho(), [], []
    conversations = [[] for _ in range(5)]
    generations = generate_in_chunks(
        backend,
        conversations,
        SamplingParams(seed=7),
        chunk_size=2,
        seeding=ChunkSeeding.PER_CHUNK,
        on_chunk=lambda start, new: seen.append((start, [g.text for g in new])),
        advance=advanced.append,
    )
    assert [g.text for g in generations] == ["7", "7", "8", "8", "9"]
    assert backend.calls == [(2, 7), (2, 8), (1, 9)]
    assert seen == [(0, ["7", "7"]), (2, ["8", "8"]), (4, ["9"])]
    assert advanced == [2, 2, 1]
