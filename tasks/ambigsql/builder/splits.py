"""AmbigSQL's splits from Spider, in one of two layouts (``--test-split``).

Spider's test set was not public when the paper was written, so AmbigSQL's evaluation set
comes from Spider's dev set (App. C, Table A10).

- ``half-dev`` (the default): train from Spider's training set; validation and test from
  its dev set, divided by database so that no schema is in both: the databases are
  shuffled with the build seed and each, in turn, joins whichever split holds fewer
  examples so far (validation on a tie), which keeps the two halves close in size. The
  default because checkpoint selection then sees Spider's dev distribution (its databases
  are unlike train's), and builds made before the option keep their meaning.
- ``spider-dev``: the test split is the whole of Spider's dev set (1,034 requests, as Table
  A10 counts them) and validation is carved from Spider's training set by database
  (:func:`carve_by_database`), so that test numbers compare with the paper's.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

from act_bench_tasks.ambigsql.spider import SpiderExample

from act_bench.errors import DataError

TEST_SPLITS = ("half-dev", "spider-dev")
CARVED_VALIDATION_SHARE = 0.1  # of the training examples, whole databases at a time


def split_by_database(
    examples: Sequence[SpiderExample], seed: int
) -> tuple[list[SpiderExample], list[SpiderExample]]:
    """(validation, test): every database's examples go to exactly one of the two."""
    sizes = Counter(example.db_id for example in examples)
    databases = sorted(sizes)
    random.Random(f"ambigsql-dev-split:{seed}").shuffle(databases)
    validation_dbs: set[str] = set()
    counts = {"validation": 0, "test": 0}
    for db_id in databases:
        side = "validation" if counts["validation"] <= counts["test"] else "test"
        counts[side] += sizes[db_id]
        if side == "validation":
            validation_dbs.add(db_id)
    validation = [e for e in examples if e.db_id in validation_dbs]
    test = [e for e in examples if e.db_id not in validation_dbs]
    return validation, test


def carve_by_database(
    examples: Sequence[SpiderExample], seed: int, share: float = CARVED_VALIDATION_SHARE
) -> tuple[list[SpiderExample], list[SpiderExample]]:
    """(train, validation) from Spider's training set: shuffled databases (seeded) join
    validation until it holds ``share`` of the examples; at least one database stays on
    each side, and no database is on both."""
    sizes = Counter(example.db_id for example in examples)
    if len(sizes) < 2:
        raise DataError(
            f"cannot carve a validation split by database from {len(sizes)} training "
            "database(s); --test-split spider-dev needs at least two",
            field="db_id",
        )
    databases = sorted(sizes)
    random.Random(f"ambigsql-train-carve:{seed}").shuffle(databases)
    target = share * len(examples)
    validation_dbs: set[str] = set()
    held = 0
    for db_id in databases[:-1]:
        if held >= target and validation_dbs:
            break
        validation_dbs.add(db_id)
        held += sizes[db_id]
    train = [e for e in examples if e.db_id not in validation_dbs]
    validation = [e for e in examples if e.db_id in validation_dbs]
    return train, validation


def assign_splits(
    train: Sequence[SpiderExample], dev: Sequence[SpiderExample], seed: int, test_split: str
) -> tuple[list[SpiderExample], list[SpiderExample], list[SpiderExample]]:
    """(train, validation, test) in the layout ``test_split`` names (module docstring)."""
    if test_split == "half-dev":
        validation, test = split_by_database(dev, seed)
        return list(train), validation, test
    if test_split == "spider-dev":
        kept, validation = carve_by_database(train, seed)
        return kept, validation, list(dev)
    raise DataError(f"unknown test split layout {test_split!r}; known: {', '.join(TEST_SPLITS)}")
