"""Model backends behind one interface; each is imported only when a spec names it."""

from __future__ import annotations

import importlib
import threading

from act_bench.backends.base import Backend, BackendOptions, Generation, SamplingParams, Usage
from act_bench.registry import Registry
from act_bench.specs import Spec

__all__ = [
    "Backend",
    "BackendOptions",
    "Generation",
    "SamplingParams",
    "Usage",
    "BACKENDS",
    "is_backend_spec",
    "forget_shared_backends",
    "load_backend",
    "shared_backend",
]

# kind -> "module:factory"; a factory takes (argument, options) and returns a Backend. Each
# factory checks its own argument (``smollm2`` takes none, ``hf`` needs one), so plug-in kinds
# such as the tests' ``scripted`` backend decide for themselves.
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
    return factory(parsed.argument, options or BackendOptions())


_SHARED: dict[tuple[str, BackendOptions], Backend] = {}
_SHARED_LOCK = threading.Lock()


def shared_backend(spec: str | Spec, options: BackendOptions | None = None) -> Backend:
    """The one instance per (spec, options) in this process, so that a policy, a simulator and
    a classifier naming the same model load it once. Usage totals are then shared too."""
    options = options or BackendOptions()
    key = (str(spec if isinstance(spec, Spec) else Spec.parse(spec)), options)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = load_backend(key[0], options)
        return _SHARED[key]


def forget_shared_backends() -> None:
    """Drop this process's shared instances, so that a benchmark comparing two settings in one
    process measures each with only its own model in memory."""
    with _SHARED_LOCK:
        _SHARED.clear()
