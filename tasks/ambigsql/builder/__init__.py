"""Build AmbigSQL from Spider (App. C.1): generators, validation, splits and statistics."""

from act_bench_tasks.ambigsql.builder.build import (
    BuildConfig,
    BuildResult,
    build_ambigsql,
    load_generator,
)
from act_bench_tasks.ambigsql.builder.records import (
    AmbiguityType,
    AmbiguousRequest,
    GenerationInput,
)

__all__ = [
    "AmbiguityType",
    "AmbiguousRequest",
    "BuildConfig",
    "BuildResult",
    "GenerationInput",
    "build_ambigsql",
    "load_generator",
]
