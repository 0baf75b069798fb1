"""Trainers (one config dataclass and one run class each) on the shared base in
``baselines.common``: ``sft``, ``dpo_dist``, ``irpo`` and ``act``; see ``baselines.cli``."""
