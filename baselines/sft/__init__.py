"""SFT on the gold responses of the task's turn states (§4.3)."""

from act_bench_baselines.sft.trainer import SFTBaselineConfig, train_sft

__all__ = ["SFTBaselineConfig", "train_sft"]
