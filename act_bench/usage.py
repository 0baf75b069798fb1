"""A backend as one role sees it: its own usage totals and, where the role allows, the
response cache (issue 16).

One model can serve as the policy, the user simulator and the action classifier at once
(``shared_backend`` loads it once), so per-backend usage merges roles. Each role instead
calls the model through its own :class:`RoleBackend`, which counts that role's calls,
tokens, latency and cost, and looks every call up in the :class:`ResponseCache` first when
it has one: hits are answered from the cache (latency 0, tokens and cost counted as
saved), misses go to the model in one batch and are stored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from act_bench.backends.base import (
    Backend,
    BackendOptions,
    Generation,
    MeasuresPrompts,
    SamplingParams,
    Usage,
    context_window,
)
from act_bench.cache import CacheSettings, ResponseCache, response_key
from act_bench.specs import Spec
from act_bench.types import Message

POLICY, SIMULATOR, CLASSIFIER = "policy", "simulator", "classifier"


@dataclass(slots=True)
class CacheCounts:
    """What the response cache did for one role."""

    hits: int = 0
    misses: int = 0
    tokens_saved: int = 0
    cost_saved_usd: float = 0.0
    latency_saved_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, hits: Sequence[Generation], misses: int) -> None:
        with self._lock:
            self.hits += len(hits)
            self.misses += misses
            self.tokens_saved += sum(g.prompt_tokens + g.completion_tokens for g in hits)
            self.cost_saved_usd += sum(g.cost_usd for g in hits)
            self.latency_saved_s += sum(g.latency_s for g in hits)

    def to_json(self, enabled: bool) -> dict[str, Any]:
        looked_up = self.hits + self.misses
        return {
            "enabled": enabled,
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": round(self.hits / looked_up, 4) if looked_up else None,
            "tokens_saved": self.tokens_saved,
            "cost_saved_usd": round(self.cost_saved_usd, 6),
            "latency_saved_s": round(self.latency_saved_s, 3),
        }


class RoleBackend:
    """A :class:`Backend` for one role over a (possibly shared) model, loaded on first use.

    ``usage`` counts the calls that reached the model; ``cache_counts`` the lookups;
    ``wall_s`` all the time the role spent in ``generate``, cache lookups included.
    """

    def __init__(
        self,
        spec: str,
        role: str,
        load: Callable[[], Backend],
        *,
        options: BackendOptions | None = None,
        cache: ResponseCache | None = None,
    ) -> None:
        self.spec = spec
        self.role = role
        self.options = options or BackendOptions()
        self.cache = cache
        self.usage = Usage()
        self.cache_counts = CacheCounts()
        self.wall_s = 0.0
        self._load = load
        self._backend: Backend | None = None
        self._load_lock = threading.Lock()

    @property
    def backend(self) -> Backend:
        """The model behind the role, loaded now if it was not yet."""
        with self._load_lock:
            if self._backend is None:
                self._backend = self._load()
            return self._backend

    @property
    def loaded(self) -> bool:
        return self._backend is not None

    def generate(
        self, conversations: Sequence[Sequence[Message]], params: SamplingParams
    ) -> list[Generation]:
        started = time.perf_counter()
        try:
            return self._generate(conversations, params)
        finally:
            self.wall_s += time.perf_counter() - started

    def _generate(
        self, conversations: Sequence[Sequence[Message]], params: SamplingParams
    ) -> list[Generation]:
        if self.cache is None:
            return self._call_model(conversations, params)
        keys = [response_key(self.spec, self.options, params, c) for c in conversations]
        stored = self.cache.get_many(keys)
        missing = [i for i, key in enumerate(keys) if key not in stored]
        fresh = self._call_model([conversations[i] for i in missing], params) if missing else []
        self.cache.put_many([(keys[i], g) for i, g in zip(missing, fresh, strict=True)])
        self.cache_counts.add([stored[key] for key in keys if key in stored], len(missing))
        answered = dict(zip(missing, fresh, strict=True))
        return [
            answered[i] if i in answered else replace(stored[key], latency_s=0.0)
            for i, key in enumerate(keys)
        ]

    def _call_model(
        self, conversations: Sequence[Sequence[Message]], params: SamplingParams
    ) -> list[Generation]:
        started = time.perf_counter()
        generations = self.backend.generate(conversations, params)
        self.usage.add_batch(generations, time.perf_counter() - started)
        return generations

    def context_window(self) -> int | None:
        """The model's context window where its backend says (loading the model)."""
        return context_window(self.backend)

    def prompt_length(self, conversation: Sequence[Message]) -> int:
        backend = self.backend
        if not isinstance(backend, MeasuresPrompts):
            raise TypeError(f"{self.spec} cannot measure prompts")
        return backend.prompt_length(conversation)

    def to_json(self) -> dict[str, Any]:
        """This role's entry of results.json ``usage``."""
        data = {"spec": self.spec, **self.usage.to_json(), "wall_s": round(self.wall_s, 3)}
        inner = self._backend.usage if self._backend is not None else None
        if inner is not None and inner.prefix_cache is not None:
            data["prefix_cache"] = inner.prefix_cache.to_json()  # the shared model's store
        data["cache"] = self.cache_counts.to_json(self.cache is not None)
        return data


def role_usage(roles: Sequence[RoleBackend | None]) -> dict[str, Any]:
    """results.json ``usage``: one entry per role that used a model."""
    return {role.role: role.to_json() for role in roles if role is not None}


def auxiliary_backend(
    spec: str,
    role: str,
    options: BackendOptions,
    settings: CacheSettings,
    load: Callable[[], Backend] | None = None,
) -> RoleBackend:
    """A model that is not the policy under test (DPO-Dist's strong and weak generators,
    ACT's model M for y_l, the AmbigSQL LLM generator), its calls answered from the
    response cache unless ``settings`` turn it off. ``load`` builds the model (default: a
    fresh :func:`act_bench.backends.load_backend`), on first use."""
    from act_bench.backends import load_backend

    name = str(Spec.parse(spec))
    return RoleBackend(
        name,
        role,
        load or (lambda: load_backend(name, options)),
        options=options,
        cache=settings.open(),
    )
