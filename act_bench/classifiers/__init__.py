"""Action classifiers A (§3.1): ``heuristic`` (rules, no model) or a model spec (App. G).

The two builtins are looked up by name here; a model spec is any backend kind
(``smollm2``, ``hf:...``, ``litellm:...``, ``vllm:...``), loaded lazily through
:func:`act_bench.backends.shared_backend` so the classifier shares a model already in use.
"""

from __future__ import annotations

import difflib

from act_bench.backends import BACKENDS, Backend, BackendOptions, shared_backend
from act_bench.classifiers.base import ActionClassifier, ClassificationInput
from act_bench.classifiers.heuristic import HeuristicClassifier
from act_bench.errors import ConfigError
from act_bench.specs import Spec
from act_bench.task import Task

__all__ = [
    "ActionClassifier",
    "ClassificationInput",
    "HeuristicClassifier",
    "load_classifier",
]

BUILTIN_CLASSIFIERS = ("heuristic",)


def load_classifier(
    spec: str,
    *,
    task: Task | None,
    backend_options: BackendOptions | None = None,
    seed: int = 0,
    backend: Backend | None = None,
) -> ActionClassifier:
    """The classifier a spec names: ``heuristic`` or a backend spec (few-shot, App. G).

    ``task`` supplies in-context examples through :meth:`Task.classifier_examples` (none:
    the generic ones); ``seed`` reaches the backend's sampling parameters. ``backend``, when
    given, is the model to prompt (evaluation passes one that meters the classifier's role
    and caches its calls, :mod:`act_bench.usage`); by default the shared instance.
    """
    parsed = Spec.parse(spec)
    if parsed.kind == "heuristic":
        if parsed.argument is not None:
            raise ConfigError(f"classifier 'heuristic' takes no argument, got {spec!r}")
        return HeuristicClassifier()
    if parsed.kind in BACKENDS:
        from act_bench.classifiers.llm import LLMClassifier, examples_for

        backend = backend or shared_backend(parsed, backend_options)
        return LLMClassifier(backend, examples_for(task), spec=str(parsed), seed=seed)
    raise unknown_component("action classifier", parsed.kind, BUILTIN_CLASSIFIERS)


def unknown_component(what: str, kind: str, builtins: tuple[str, ...]) -> ConfigError:
    """The error for a spec that is neither a builtin nor a backend kind, with a close match."""
    known = [*builtins, *BACKENDS.names()]
    close = difflib.get_close_matches(kind, known, n=1)
    return ConfigError(
        f"unknown {what} {kind!r}; known: {', '.join(known)} (a backend kind takes "
        "'kind:argument' where it needs one)",
        hint=f"did you mean {close[0]!r}?" if close else None,
    )
