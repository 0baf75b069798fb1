"""``stats.json``: Table A10's overview of the built dataset, and what the build did.

``overview`` has Table A10's rows for each split: unambiguous and ambiguous requests (equal
by construction: pairs), unique schemas (databases) and types of ambiguity. ``splits``
adds the counts behind them: Spider examples read, pairs kept, rejects by reason, pairs by
ambiguity type and by how the request was made, and the databases whose SQLite file is
absent (their pairs are in the files, and evaluation skips them with a count).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from act_bench_tasks.ambigsql.builder.records import AmbiguityType
from act_bench_tasks.ambigsql.spider import SpiderLayout

if TYPE_CHECKING:
    from act_bench_tasks.ambigsql.builder.build import SplitOutcome


def build_stats(
    outcomes: Sequence[SplitOutcome], layout: SpiderLayout, settings: dict[str, Any]
) -> dict[str, Any]:
    return {
        "overview": {o.name: _overview(o) for o in outcomes},
        "splits": {o.name: _split_counts(o, layout) for o in outcomes},
        "build": settings,
    }


def _overview(outcome: SplitOutcome) -> dict[str, int]:
    pairs = outcome.pairs
    return {
        "unambiguous_requests": len(pairs),
        "ambiguous_requests": len(pairs),
        "unique_schemas": len({p.item.example.db_id for p in pairs}),
        "types_of_ambiguity": len({p.ambiguous.ambiguity_type for p in pairs}),
    }


def _split_counts(outcome: SplitOutcome, layout: SpiderLayout) -> dict[str, Any]:
    pairs = outcome.pairs
    types = Counter(p.ambiguous.ambiguity_type.value for p in pairs)
    databases = {p.item.example.db_id for p in pairs}
    missing = sorted(db for db in databases if not layout.has_database(db))
    return {
        "spider_examples": len(outcome.examples),
        "pairs": len(pairs),
        "conversations": 2 * len(pairs),
        "turn_states": 3 * len(pairs),
        "rejected": len(outcome.rejects),
        "rejects_by_reason": dict(sorted(Counter(r.reason for _, r in outcome.rejects).items())),
        "by_ambiguity_type": {t.value: types.get(t.value, 0) for t in AmbiguityType},
        "by_method": dict(sorted(Counter(p.ambiguous.method for p in pairs).items())),
        "databases": len(databases),
        "databases_missing": missing,
        "pairs_without_database": sum(p.item.example.db_id in missing for p in pairs),
    }


def summary_rows(stats: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """A table of the build for the command line: one row per split."""
    types = [t.value for t in AmbiguityType]
    header = ["split", "pairs", "rejected", "schemas", *types, "pairs without database"]
    rows = []
    for name, counts in stats["splits"].items():
        rows.append(
            [
                name,
                str(counts["pairs"]),
                str(counts["rejected"]),
                str(counts["databases"]),
                *(str(counts["by_ambiguity_type"][t]) for t in types),
                str(counts["pairs_without_database"]),
            ]
        )
    return header, rows
