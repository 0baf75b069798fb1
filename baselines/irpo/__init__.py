"""IRPO: iterative reasoning preference optimisation with an NLL term (§4.3)."""

from act_bench_baselines.irpo.trainer import IRPOConfig, train_irpo

__all__ = ["IRPOConfig", "train_irpo"]
