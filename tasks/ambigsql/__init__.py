"""The AmbigSQL task plug-in (§4.1.3), found through the ``act_bench.tasks`` entry point
``ambigsql``; ``act_bench_tasks.ambigsql.builder`` builds the dataset from Spider (App. C),
and its commands (``data build-ambigsql``, ``analyze ambigsql-recovery``) reach the CLI
through the ``act_bench.commands`` entry point ``ambigsql`` (:mod:`.cli`)."""

from act_bench_tasks.ambigsql.task import AmbigSQLTask

task = AmbigSQLTask()

__all__ = ["AmbigSQLTask", "task"]
