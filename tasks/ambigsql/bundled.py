"""The sample bundled with act-bench: a small AmbigSQL build over Spider-layout databases
written by us (``sample/README.md``), so that every command runs with no data.

The sample's databases are kept as SQL text (``sample/spider/database/<db>/schema.sql``)
and turned into SQLite files on first use, in act-bench's cache folder
(``$ACT_BENCH_CACHE``, else the user cache dir), under a name derived from their content:
an installed package may be read-only, and a changed sample gets fresh files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from act_bench_tasks.ambigsql.spider import materialize_databases

from act_bench.files import write_json_atomic
from act_bench.paths import cache_root

SAMPLE_DIR = Path(__file__).parent / "sample"
SAMPLE_SPIDER_DIR = SAMPLE_DIR / "spider"


def _content_key(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def sample_spider_dir(source: Path = SAMPLE_SPIDER_DIR) -> Path:
    """A Spider folder with the sample's SQLite files, created once in the cache."""
    target = cache_root() / "ambigsql-sample" / _content_key(source) / "spider"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".spider."))
    try:
        shutil.copytree(source, staging, dirs_exist_ok=True)
        materialize_databases(staging)
        os.replace(staging, target)
    except OSError:
        if not target.is_dir():  # a concurrent process may have won the rename
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def rebuild_sample() -> list[Path]:
    """Rebuild the bundled sample's splits from ``sample/spider`` (rule generator, seed 0).

    Run after changing the sample's Spider files:
    ``python -c "from act_bench_tasks.ambigsql.bundled import rebuild_sample;
    rebuild_sample()"``. The
    build settings recorded in ``stats.json`` name the bundled folder instead of the cache,
    without the time stamps, so that the files only change when their content does.
    """
    from act_bench_tasks.ambigsql.builder import BuildConfig, build_ambigsql

    config = BuildConfig(spider_dir=str(sample_spider_dir()), out_dir=str(SAMPLE_DIR))
    result = build_ambigsql(config, show_progress=False)
    stats = dict(result.stats)
    build = dict(stats["build"])
    build["spider_dir"] = "bundled sample (tasks/ambigsql/sample/spider)"
    for volatile in ("created", "elapsed_s", "act_bench_version"):
        build.pop(volatile, None)
    stats["build"] = build
    write_json_atomic(SAMPLE_DIR / "stats.json", stats)
    return list(result.files)
