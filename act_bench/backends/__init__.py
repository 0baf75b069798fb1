"""Model backends behind one interface; each is imported only when a spec names it."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from act_bench.backends.base import Backend, Generation, SamplingParams, Usage
from act_bench.errors import ConfigError
from act_bench.registry import Registry
from act_bench.specs import Spec

__all__ = [
    "Backend",
    "BackendOptions",
    "Generation",
    "SamplingParams",
    "Usage",
    "BACKENDS",
    "load_backend",
    "shared_backend",
]


@dataclass(frozen=True, slots=True)
class BackendOptions:
    """Options that apply to some backends and are their own CLI flags (not packed in specs)."""

    device: str | None = None
    dtype: str | None = None
    api_base: str | None = None
    api_key: str | None = None
    max_concurrency: int = 8
    max_retries: int = 5
    timeout_s: float = 120.0
    batch_size: int = 8


# kind -> "module:factory"; a factory takes (argument, options) and returns a Backend.
BACKENDS: Registry[str] = Registry("backend")
BACKENDS.add("smollm2", "act_bench.backends.smollm2:load_smollm2")
BACKENDS.add("hf", "act_bench.backends.hf:HFBackend")
BACKENDS.add("litellm", "act_bench.backends.litellm:LiteLLMBackend")
BACKENDS.add("vllm", "act_bench.backends.vllm:VLLMBackend")


def is_backend_spec(text: str) -> bool:
    return Spec.parse(text).kind in BACKENDS


def load_backend(spec: str | Spec, options: BackendOptions | None = None) -> Backend:
    """Build the backend a spec names, importing its module only now."""
    parsed = spec if isinstance(spec, Spec) else Spec.parse(spec)
    target = BACKENDS.get(parsed.kind)
    module_name, _, factory_name = target.partition(":")
    factory = getattr(importlib.import_module(module_name), factory_name)
    if parsed.kind != "smollm2" and parsed.argument is None:
        raise ConfigError(f"backend spec {str(parsed)!r} needs an argument, e.g. '{parsed.kind}:NAME'")
    return factory(parsed.argument, options or BackendOptions())


_SHARED: dict[tuple[str, BackendOptions], Backend] = {}


def shared_backend(spec: str | Spec, options: BackendOptions | None = None) -> Backend:
    """The one instance per (spec, options) in this process, so that a policy, a simulator and
    a classifier naming the same model load it once. Usage totals are then shared too."""
    options = options or BackendOptions()
    key = (str(spec), options)
    if key not in _SHARED:
        _SHARED[key] = load_backend(spec, options)
    return _SHARED[key]
