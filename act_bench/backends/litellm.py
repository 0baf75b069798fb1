"""API models through LiteLLM (``litellm:PROVIDER/MODEL``), including OpenAI-compatible
servers such as ``vllm serve`` or the llama.cpp server (``--api-base``).

Requests run concurrently up to ``options.max_concurrency``. Transient failures (rate
limits, timeouts, dropped connections, 5xx) are retried with exponential backoff and full
jitter; an item that still fails, or fails for a reason a retry cannot fix, comes back with
``error`` set so the episode loop stops that one trajectory (reason ``backend_error``)
instead of losing the whole run.
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

# HTTP statuses worth retrying even when LiteLLM maps them to a generic exception class.
_RETRYABLE_STATUS = {408, 409, 425, 429}


class LiteLLMBackend:
    """One LiteLLM model; ``retry_base_delay_s`` and ``retry_max_delay_s`` bound the backoff
    (attempt ``k`` waits a uniform random time in ``[0, min(max, base * 2**k)]``)."""

    def __init__(
        self,
        argument: str | None,
        options: BackendOptions | None = None,
        *,
        retry_base_delay_s: float = 1.0,
        retry_max_delay_s: float = 60.0,
    ) -> None:
        if not argument:
            raise ConfigError(
                "backend 'litellm' needs a model, e.g. 'litellm:openai/gpt-4o-mini'",
                hint="see https://docs.litellm.ai/docs/providers for provider/model names",
            )
        options = options or BackendOptions()
        if options.max_concurrency < 1:
            raise ConfigError(f"max concurrency must be at least 1, got {options.max_concurrency}")
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
                break
            except self._api_errors as error:
                if attempt < self.options.max_retries and self._is_retryable(error):
                    time.sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                self._warn_once(error, attempt)
                return Generation(
                    text="",
                    latency_s=time.perf_counter() - start,
                    error=f"{type(error).__name__}: {error}",
                )
        usage = getattr(response, "usage", None)
        return Generation(
            text=truncate_at_stop(response.choices[0].message.content or "", params.stop),
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
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
        return request

    def _is_retryable(self, error: Exception) -> bool:
        if isinstance(error, self._retryable):
            return True
        status = getattr(error, "status_code", None)
        return isinstance(status, int) and (status in _RETRYABLE_STATUS or status >= 500)

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
