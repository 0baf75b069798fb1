"""User simulators U (§3.1): ``gold`` (replay, no model) or a model spec (App. H).

A model spec is any backend kind (``smollm2``, ``hf:...``, ``litellm:...``, ``vllm:...``),
loaded lazily through :func:`act_bench.backends.shared_backend` so the simulator shares a
model already in use.
"""

from __future__ import annotations

from act_bench.backends import BACKENDS, Backend, BackendOptions, shared_backend
from act_bench.classifiers import unknown_component
from act_bench.errors import ConfigError
from act_bench.simulators.base import SimulationRequest, UserSimulator
from act_bench.simulators.gold import GoldSimulator
from act_bench.specs import Spec
from act_bench.task import Task

__all__ = [
    "GoldSimulator",
    "SimulationRequest",
    "UserSimulator",
    "load_simulator",
]

BUILTIN_SIMULATORS = ("gold",)


def load_simulator(
    spec: str,
    *,
    task: Task | None,
    backend_options: BackendOptions | None = None,
    seed: int = 0,
    temperature: float = 0.0,
    backend: Backend | None = None,
) -> UserSimulator:
    """The simulator a spec names: ``gold`` or a backend spec (two-step prompting, App. H).

    ``task`` supplies in-context examples through :meth:`Task.simulator_examples`; a task
    whose users are simulated differently (AmbigSQL conditions U on the target SQL, App. H)
    returns its own simulator from :meth:`Task.model_simulator` instead.
    ``seed`` and ``temperature`` reach the backend's sampling parameters (evaluation
    passes the policy's ``--temperature``, so with trials a model simulator samples too,
    each trial with its own seed). ``backend``, when given, is the
    model to prompt (evaluation passes one that meters the simulator's role and caches its
    calls, :mod:`act_bench.usage`); by default the shared instance of the spec.
    """
    parsed = Spec.parse(spec)
    if parsed.kind == "gold":
        if parsed.argument is not None:
            raise ConfigError(f"simulator 'gold' takes no argument, got {spec!r}")
        return GoldSimulator()
    if parsed.kind in BACKENDS:
        from act_bench.simulators.llm import LLMSimulator, examples_for

        backend = backend or shared_backend(parsed, backend_options)
        if task is not None:
            simulator = task.model_simulator(
                backend, spec=str(parsed), seed=seed, temperature=temperature
            )
            if simulator is not None:
                return simulator
        return LLMSimulator(
            backend, examples_for(task), spec=str(parsed), seed=seed, temperature=temperature
        )
    raise unknown_component("user simulator", parsed.kind, BUILTIN_SIMULATORS)
