"""The backend interface: batched chat generation with sampling parameters and a seed."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from act_bench.backends.prefix_cache import PrefixCacheStats
from act_bench.types import Message


@dataclass(frozen=True, slots=True)
class BackendOptions:
    """Options that apply to some backends and are their own CLI flags (not packed in specs).

    ``device`` and ``dtype`` (``None`` = auto) and ``batch_size`` serve local models;
    ``api_base``, ``api_key``, ``max_concurrency``, ``max_retries`` and ``timeout_s`` serve
    API models. ``prefix_cache`` turns on reuse of computed prompt prefixes (local models'
    KV caches, vLLM's automatic prefix caching, providers' prompt caching where a request
    must ask for it); ``prefix_cache_bytes`` bounds a local model's store (``None`` = sized
    for the machine, see ``prefix_cache.default_budget_bytes``). Hashable, so
    ``shared_backend`` can key instances on it.
    """

    device: str | None = None
    dtype: str | None = None
    api_base: str | None = None
    api_key: str | None = None
    max_concurrency: int = 8
    max_retries: int = 5
    timeout_s: float = 120.0
    batch_size: int = 8
    prefix_cache: bool = True
    prefix_cache_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """How to sample. ``temperature == 0`` means greedy decoding."""

    max_new_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "max_new_tokens": self.max_new_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "stop": list(self.stop),
            "seed": self.seed,
        }


@dataclass(frozen=True, slots=True)
class Generation:
    """One completion, with its token counts and the wall time of the call that produced it.

    ``error`` is set (and ``text`` empty) when the backend failed for this item only;
    the loop then stops that trajectory with reason ``backend_error``.
    ``cached_prompt_tokens`` of the ``prompt_tokens`` were not computed for this item: a
    local model reused them from an earlier prompt, or the provider reported them cached.
    """

    text: str
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cost_usd: float = 0.0
    error: str | None = None


@dataclass(slots=True)
class Usage:
    """Running totals over a backend's life; thread-safe so concurrent API calls add up.

    ``prefill_tokens_computed`` (in ``to_json``) is ``prompt_tokens`` less the cached ones;
    ``prefix_cache`` is the local prefix store's record, when the backend has one.
    """

    calls: int = 0
    prompts: int = 0
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cost_usd: float = 0.0
    errors: int = 0
    prefix_cache: PrefixCacheStats | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_batch(self, generations: Sequence[Generation], wall_s: float) -> None:
        with self._lock:
            self.calls += 1
            self.prompts += len(generations)
            self.prompt_tokens += sum(g.prompt_tokens for g in generations)
            self.cached_prompt_tokens += sum(g.cached_prompt_tokens for g in generations)
            self.completion_tokens += sum(g.completion_tokens for g in generations)
            self.cost_usd += sum(g.cost_usd for g in generations)
            self.errors += sum(1 for g in generations if g.error)
            self.latency_s += wall_s

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "calls": self.calls,
            "prompts": self.prompts,
            "prompt_tokens": self.prompt_tokens,
            "cached_prompt_tokens": self.cached_prompt_tokens,
            "prefill_tokens_computed": self.prompt_tokens - self.cached_prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_s": round(self.latency_s, 3),
            "cost_usd": round(self.cost_usd, 6),
            "errors": self.errors,
        }
        if self.prefix_cache is not None:
            data["prefix_cache"] = self.prefix_cache.to_json()
        return data


def truncate_at_stop(text: str, stop: Sequence[str]) -> str:
    """The text before the earliest occurrence of any stop string (stop strings excluded),
    applied by every backend so that all of them honour ``SamplingParams.stop`` alike."""
    cut = min((index for s in stop if s and (index := text.find(s)) >= 0), default=len(text))
    return text[:cut]


@runtime_checkable
class Backend(Protocol):
    """Anything that turns chat conversations into completions, a batch at a time."""

    spec: str
    usage: Usage

    def generate(
        self, conversations: Sequence[Sequence[Message]], params: SamplingParams
    ) -> list[Generation]:
        """One generation per conversation, in order."""
        ...


@runtime_checkable
class MeasuresPrompts(Protocol):
    """A backend that knows its model's context window and what a prompt takes of it (local
    models, vLLM); API backends do not, and callers then leave their prompts as they are."""

    def context_window(self) -> int | None:
        """Tokens the model attends over, prompt and reply together; None if unknown."""
        ...

    def prompt_length(self, conversation: Sequence[Message]) -> int:
        """Tokens of ``conversation``'s prompt as this backend would send it to the model."""
        ...


def context_window(backend: Backend) -> int | None:
    """``backend``'s context window if it says (:class:`MeasuresPrompts`), else None."""
    return backend.context_window() if isinstance(backend, MeasuresPrompts) else None
