from __future__ import annotations

import pytest

from act_bench.backends.prefix_cache import (
    CPU_BUDGET_CAP_BYTES,
    RESERVABLE_SHARE,
    PrefixCache,
    common_prefix_length,
    default_budget_bytes,
)


def tokens(*parts: range | list[int]) -> list[int]:
    return [token for part in parts for token in part]


def test_common_prefix_length() -> None:
    assert common_prefix_length((1, 2, 3, 4), [1, 2, 3, 4], 10) == 4
    assert common_prefix_length((1, 2, 3, 4), [1, 2, 9, 4], 10) == 2
    assert common_prefix_length((1, 2, 3, 4), [1, 2, 3, 4, 5], 3) == 3
    assert common_prefix_length((7, 2), [1, 2], 10) == 0
    assert common_prefix_length((), [1, 2], 10) == 0
    long = list(range(1000))
    assert common_prefix_length(tuple(long), [*long[:613], -1, *long[614:]], 2000) == 613


def test_lookup_finds_the_longest_shared_prefix_within_the_limit() -> None:
    cache: PrefixCache[str] = PrefixCache(10_000, min_tokens=4)
    cache.store(tokens(range(20)), "a", 100)
    cache.store(tokens(range(10), range(50, 70)), "b", 100)
    hit = cache.lookup(tokens(range(10), range(50, 60), [0]), limit=100)
    assert (hit.state, hit.length) == ("b", 20)
    hit = cache.lookup(tokens(range(30)), limit=15)  # leave tokens to compute
    assert (hit.state, hit.length) == ("a", 15)
    assert cache.lookup(tokens(range(3), [99, 98]), limit=100) is None  # 3 < min_tokens
    assert cache.lookup(tokens([5], range(20)), limit=100) is None
    assert cache.stats.to_json() | {"budget_bytes": 0} == {
        "budget_bytes": 0,
        "lookups": 4,
        "hits": 2,
        "reused_tokens": 35,
        "stored": 2,
        "evicted": 0,
        "bytes": 200,
        "peak_bytes": 200,
        "entries": 2,
    }


def test_an_extended_prompt_replaces_its_prefix_and_a_covered_one_is_not_stored() -> None:
    cache: PrefixCache[str] = PrefixCache(10_000, min_tokens=4)
    cache.store(tokens(range(10)), "turn 1", 10)
    cache.store(tokens(range(20)), "turn 2", 20)
    assert len(cache) == 1 and cache.stats.bytes == 20
    cache.store(tokens(range(15)), "shorter", 15)  # covered by turn 2
    assert len(cache) == 1 and cache.lookup(tokens(range(30)), limit=30).state == "turn 2"
    assert cache.stats.peak_bytes == 20  # the older one was dropped before the new one counted


def test_least_recently_used_entries_go_first_when_over_budget() -> None:
    cache: PrefixCache[str] = PrefixCache(250, min_tokens=4)
    for name, start in (("a", 100), ("b", 200), ("c", 300)):
        cache.store(tokens(range(start, start + 10)), name, 100)
    # a was evicted when c arrived; looking b up makes it recent, so d evicts c
    assert cache.lookup(tokens(range(100, 110)), limit=20) is None
    assert cache.lookup(tokens(range(200, 210)), limit=20).state == "b"
    cache.store(tokens(range(400, 410)), "d", 100)
    assert cache.lookup(tokens(range(300, 310)), limit=20) is None
    assert cache.lookup(tokens(range(200, 210)), limit=20).state == "b"
    assert (cache.stats.evicted, cache.stats.bytes, cache.stats.peak_bytes) == (2, 200, 200)


def test_a_state_bigger_than_the_budget_or_too_short_is_not_stored() -> None:
    cache: PrefixCache[str] = PrefixCache(50, min_tokens=4)
    cache.store(tokens(range(10)), "big", 51)
    cache.store(tokens(range(3)), "short", 1)
    assert len(cache) == 0 and cache.stats.stored == 0
    cache.store(tokens(range(10)), "fits", 50)
    cache.clear()
    assert (len(cache), cache.stats.bytes, cache.stats.entries) == (0, 0, 0)


def test_negative_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="budget"):
        PrefixCache(-1)


def test_default_budget_is_sized_for_the_machine() -> None:
    assert default_budget_bytes("cpu", total_bytes=64 * 2**30) == CPU_BUDGET_CAP_BYTES
    assert default_budget_bytes("cpu", total_bytes=4 * 2**30) == 64 * 2**20
    assert default_budget_bytes("cuda", total_bytes=80 * 10**9) == 8 * 10**9


def test_a_reservation_evicts_old_entries_and_bounds_new_ones_while_it_lasts() -> None:
    cache: PrefixCache[str] = PrefixCache(400, min_tokens=4)
    for name, start in (("a", 100), ("b", 200), ("c", 300)):
        cache.store(tokens(range(start, start + 10)), name, 100)
    with cache.reserved(250):  # 150 left: the two least recently used go
        assert [cache.lookup(tokens(range(s, s + 10)), limit=20) is None for s in (100, 200)] == [
            True,
            True,
        ]
        assert cache.lookup(tokens(range(300, 310)), limit=20).state == "c"
        cache.store(tokens(range(400, 410)), "d", 100)  # evicts c to stay within 150
        assert cache.stats.bytes == 100
        cache.store(tokens(range(500, 510)), "e", 200)  # bigger than what is left: not kept
        assert cache.lookup(tokens(range(500, 510)), limit=20) is None
    cache.store(tokens(range(600, 610)), "f", 300)  # the whole budget is back
    assert cache.stats.bytes == 400
    with cache.reserved(10**9):  # held at most RESERVABLE_SHARE of the budget
        assert cache.stats.bytes <= 400 - int(400 * RESERVABLE_SHARE)


def test_a_reservation_keeps_the_entries_its_batch_continues_from() -> None:
    cache: PrefixCache[str] = PrefixCache(300, min_tokens=4)
    for name, start in (("a", 100), ("b", 200), ("c", 300)):
        cache.store(tokens(range(start, start + 10)), name, 100)
    with cache.reserved(150, keeping=[tokens(range(100, 110), [7, 8])]):
        # a, the least recently used, is the one the batch continues from: b and c go
        assert cache.lookup(tokens(range(100, 112)), limit=20).state == "a"
        assert cache.stats.bytes == 100
