"""Trainers, one folder per method (``sft``, ``dpo_dist``, ``irpo``, ``act``), each a config
dataclass and a run class on the shared base in ``act_bench_baselines.common``; installed from
the repository's ``baselines/`` folder. See ``act_bench_baselines.cli``."""
