"""The PACIFIC task plug-in, found through the ``act_bench.tasks`` entry point ``pacific``."""

from act_bench_tasks.pacific.task import PacificTask

task = PacificTask()

__all__ = ["PacificTask", "task"]
