"""IRPO: iterative reasoning preference optimisation with an NLL term (§4.3).

``config`` (the config dataclass), ``sampling`` (N samples per prompt, cached),
``labelling`` (which are correct), ``pairing`` (winners against losers) and ``trainer`` (the
run: iterations, resume, export)."""

from act_bench_baselines.irpo.config import IRPOConfig
from act_bench_baselines.irpo.trainer import train_irpo

__all__ = ["IRPOConfig", "train_irpo"]
