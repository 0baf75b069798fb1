"""Where act-bench keeps what it can rebuild: converted models, the response cache, the
bundled AmbigSQL sample's databases, trainers' pair and preference caches.

One root for all of them, so that one variable moves them all (to a bigger or a shared
disk): ``$ACT_BENCH_CACHE``, else the user cache directory (``platformdirs``).
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "ACT_BENCH_CACHE"


def cache_root() -> Path:
    """Where act-bench caches things: ``$ACT_BENCH_CACHE``, else the user cache directory."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("act-bench"))
