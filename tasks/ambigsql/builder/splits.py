"""AmbigSQL's splits: train from Spider's training set, validation and test from its dev set.

Spider's test set was not public when the paper was written, so AmbigSQL's dev and test
sets both come from Spider's dev set (App. C, Table A10). We divide it by database, so that
no schema is in both: the databases are shuffled with the build seed and each, in turn,
joins whichever split holds fewer examples so far (validation on a tie), which keeps the two
halves close in size.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

from tasks.ambigsql.spider import SpiderExample


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
