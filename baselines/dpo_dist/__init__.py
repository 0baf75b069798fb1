"""DPO-Dist: DPO on pairs distilled from a strong model's responses (§4.3)."""

from act_bench_baselines.dpo_dist.trainer import DPODistConfig, train_dpo_dist

__all__ = ["DPODistConfig", "train_dpo_dist"]
