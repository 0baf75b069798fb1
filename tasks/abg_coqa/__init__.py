"""The Abg-CoQA task plug-in, found through the ``act_bench.tasks`` entry point ``abg-coqa``."""

from act_bench_tasks.abg_coqa.task import AbgCoqaTask

task = AbgCoqaTask()

__all__ = ["AbgCoqaTask", "task"]
