"""Where datasets are read from: ``--data-dir``, else ``$ACT_BENCH_DATA``, else the bundled
sample."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "ACT_BENCH_DATA"


def resolve_data_dir(data_dir: str | Path | None) -> Path | None:
    """The data root to read, or None for the small sample each task bundles."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    from_env = os.environ.get(DATA_ENV)
    return Path(from_env).expanduser() if from_env else None
