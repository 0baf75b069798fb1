"""API models through LiteLLM (``litellm:PROVIDER/MODEL``), including OpenAI-compatible
servers such as ``vllm serve`` or the llama.cpp server (``--api-base``).

Requests run concurrently up to ``options.max_concurrency``. Each attempt is bounded by
``options.timeout_s`` (``--timeout``), enforced by LiteLLM's HTTP client. Transient
failures (rate limits, timeouts, dropped connections, 5xx, which is also how LiteLLM
reports a body that is not JSON) are retried up to ``options.max_retries`` times. The
wait before a retry is the server's ``Retry-After`` when it sends one, as LiteLLM's
``calculate_retry_after`` reads it (an HTTP date or seconds; values over a minute fall
back to its backoff) and never more than ``retry_after_cap_s``; without one, exponential
backoff with full jitter. The loop is ours rather than LiteLLM's ``num_retries`` because
that retries with a fixed schedule and ignores ``Retry-After``, and the OpenAI client's
own retries exist only for OpenAI-style providers; both are switched off so that no
retries hide underneath ours.

An item that still fails, fails for a reason a retry cannot fix, or gets a malformed
response (no ``choices``, no message) comes back with ``error`` set, so the episode loop
stops that one trajectory (reason ``backend_error``) instead of losing the whole run;
``--resume`` runs such items again.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from act_bench.backends.base import (
    BackendOptions,
    Generation,
    SamplingParams,
    Usage,
    truncate_at_stop,
)
from act_bench.errors import BackendError, ConfigError
from act_bench.types import Message

_LOGGER = logging.getLogger(__name__)

# Raised while LiteLLM parses a malformed response it did not map to an API error.
_MALFORMED = (ValueError, TypeError, KeyError, AttributeError, IndexError)


class MalformedResponse(Exception):
    """A response that arrived but holds no completion (e.g. ``"choices": []``)."""


# Prompt caching (issue 19). OpenAI-style providers cache a repeated prompt prefix on their
# own; Anthropic, Bedrock and Vertex cache only up to a marked message. LiteLLM marks it for
# the providers that need it (and leaves other requests alone): the last message, because a
# turn state's prompt is a prefix of its clarification rounds' and of the next turn state's.
CACHE_CONTROL_INJECTION_POINTS = [{"location": "message", "index": -1}]


def cached_prompt_tokens(usage: Any) -> int:
    """Prompt tokens the provider served from its cache (OpenAI's ``cached_tokens``, which
    LiteLLM also fills from Anthropic's ``cache_read_input_tokens``); 0 when not reported."""
    details = getattr(usage, "prompt_tokens_details", None)
    if isinstance(details, dict):
        return int(details.get("cached_tokens") or 0)
    return int(getattr(details, "cached_tokens", 0) or 0)


class LiteLLMBackend:
    """One LiteLLM model; ``retry_base_delay_s`` and ``retry_max_delay_s`` bound the backoff
    (attempt ``k`` waits a uniform random time in ``[0, min(max, base * 2**k)]``);
    ``retry_after_cap_s`` bounds how long a server's ``Retry-After`` can make us wait."""

    def __init__(
        self,
        argument: str | None,
        options: BackendOptions | None = None,
        *,
        retry_base_delay_s: float = 1.0,
        retry_max_delay_s: float = 60.0,
        retry_after_cap_s: float = 60.0,
    ) -> None:
        if not argument:
            raise ConfigError(
                "backend 'litellm' needs a model, e.g. 'litellm:openai/gpt-4o-mini'",
                hint="see https://docs.litellm.ai/docs/providers for provider/model names",
            )
        options = options or BackendOptions()
        if options.max_concurrency < 1:
            raise ConfigError(f"max concurrency must be at least 1, got {options.max_concurrency}")
        if not options.timeout_s > 0:
            raise ConfigError(
                f"--timeout must be a positive number of seconds, got {options.timeout_s}"
            )
        # Without this LiteLLM downloads its price list on import, which hangs offline.
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        try:
            import litellm
            import openai
        except ImportError as error:
            raise BackendError(
                f"backend 'litellm:{argument}' needs litellm, which is not installed",
                hint="pip install litellm",
            ) from error
        litellm.suppress_debug_info = True
        # LiteLLM's own types trip a pydantic warning on first use; it says nothing to our users.
        warnings.filterwarnings(
            "ignore", message=r".*`ReadOnly` qualifier", category=UserWarning, module="pydantic"
        )
        self._litellm = litellm
        self._api_errors = (openai.OpenAIError, litellm.BudgetExceededError)
        self._retryable = (
            litellm.RateLimitError,
            litellm.Timeout,
            litellm.APIConnectionError,
            litellm.InternalServerError,
            litellm.ServiceUnavailableError,
            litellm.BadGatewayError,
        )
        self.spec = f"litellm:{argument}"
        self.model = argument
        self.usage = Usage()
        self.options = options
        self.retry_base_delay_s = retry_base_delay_s
        self.retry_max_delay_s = retry_max_delay_s
        self.retry_after_cap_s = retry_after_cap_s
        self._random = random.Random()
        self._warned: set[str] = set()
        self._warned_lock = threading.Lock()

    def generate(
        self, conversations: Sequence[Sequence[Message]], params: SamplingParams
    ) -> list[Generation]:
        start = time.perf_counter()
        generations: list[Generation] = []
        if conversations:
            workers = min(self.options.max_concurrency, len(conversations))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                generations = list(pool.map(lambda c: self._complete(c, params), conversations))
        self.usage.add_batch(generations, time.perf_counter() - start)
        return generations

    def _complete(self, conversation: Sequence[Message], params: SamplingParams) -> Generation:
        start = time.perf_counter()
        attempt = 0
        while True:
            try:
                response = self._litellm.completion(**self._request(conversation, params))
                return self._generation(response, params, start)
            except (*self._api_errors, MalformedResponse, *_MALFORMED) as error:
                if attempt < self.options.max_retries and self._is_retryable(error):
                    time.sleep(self._retry_wait_s(error, attempt))
                    attempt += 1
                    continue
                self._warn_once(error, attempt)
                return Generation(
                    text="",
                    latency_s=time.perf_counter() - start,
                    error=f"{type(error).__name__}: {error}",
                )

    def _generation(self, response: Any, params: SamplingParams, start: float) -> Generation:
        """The completion in ``response``; :class:`MalformedResponse` when there is none."""
        choices = getattr(response, "choices", None)
        if not choices:
            raise MalformedResponse("the response has no choices")
        message = getattr(choices[0], "message", None)
        if message is None:
            raise MalformedResponse("the response's first choice has no message")
        usage = getattr(response, "usage", None)
        return Generation(
            text=truncate_at_stop(message.content or "", params.stop),
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            cached_prompt_tokens=cached_prompt_tokens(usage),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            latency_s=time.perf_counter() - start,
            cost_usd=self._cost(response),
        )

    def _request(self, conversation: Sequence[Message], params: SamplingParams) -> dict[str, Any]:
        """The completion call's arguments. Retries are ours alone (``max_retries=0`` stops the
        OpenAI client retrying underneath); ``drop_params`` lets providers that lack a seed or
        stop sequences ignore them instead of failing every request."""
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [message.to_json() for message in conversation],
            "temperature": params.temperature,
            "max_tokens": params.max_new_tokens,
            "timeout": self.options.timeout_s,
            "num_retries": 0,
            "max_retries": 0,
            "drop_params": True,
        }
        if params.top_p != 1.0:  # some providers refuse temperature and top_p together
            request["top_p"] = params.top_p
        if params.stop:
            request["stop"] = list(params.stop)
        if params.seed is not None:
            request["seed"] = params.seed
        if self.options.api_base:
            request["api_base"] = self.options.api_base
        if self.options.api_key:
            request["api_key"] = self.options.api_key
        if self.options.prefix_cache:
            request["cache_control_injection_points"] = CACHE_CONTROL_INJECTION_POINTS
        return request

    def _is_retryable(self, error: Exception) -> bool:
        """Rate limits, timeouts, lost connections and 5xx (LiteLLM's ``should_retry``)."""
        if isinstance(error, self._retryable):
            return True
        status = getattr(error, "status_code", None)
        return isinstance(status, int) and self._litellm.utils.should_retry(status)

    def _retry_wait_s(self, error: Exception, attempt: int) -> float:
        """The server's ``Retry-After`` (capped) when it sent one, else our backoff."""
        headers = getattr(error, "litellm_response_headers", None)
        if headers is None:
            headers = getattr(getattr(error, "response", None), "headers", None)
        if headers is not None and headers.get("retry-after"):
            wait = self._litellm.utils.calculate_retry_after(
                remaining_retries=self.options.max_retries - attempt,
                max_retries=self.options.max_retries,
                response_headers=headers,
            )
            return min(float(wait), self.retry_after_cap_s)
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        cap = min(self.retry_max_delay_s, self.retry_base_delay_s * 2**attempt)
        return self._random.uniform(0.0, cap)

    def _cost(self, response: Any) -> float:
        """The price LiteLLM knows for this call; 0.0 for local servers and unpriced models."""
        try:
            return float(self._litellm.completion_cost(completion_response=response) or 0.0)
        except Exception:  # an unknown price must never fail a generation
            return 0.0

    def _warn_once(self, error: Exception, retries: int) -> None:
        kind = type(error).__name__
        with self._warned_lock:
            if kind in self._warned:
                return
            self._warned.add(kind)
        _LOGGER.warning(
            "%s: a request failed after %d retries (%s: %s); further %s errors are only counted",
            self.spec,
            retries,
            kind,
            error,
            kind,
        )
