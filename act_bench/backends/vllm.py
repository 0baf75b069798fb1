"""Local models served in-process by vLLM (``vllm:PATH_OR_ID``), for fast batched GPU runs.

vLLM schedules its own batches, so the whole call goes to ``LLM.chat`` at once. Item ``i``
is sampled with seed ``seed + i``: one shared per-request seed would give identical samples
for identical prompts, unlike the other backends, where items of a batch draw in turn from
one seeded stream.

Automatic prefix caching is on unless ``options.prefix_cache`` is off (``--no-prefix-cache``):
vLLM keeps the KV blocks of prompts it has seen, keyed by their token content, and a prompt
starting with the same tokens (the instruction, the table and passage, the earlier turns;
the chat template keeps them first and byte-stable) reuses them. The prompt tokens vLLM
reports as cached are counted in ``usage.cached_prompt_tokens``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
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


class VLLMBackend:
    """A vLLM engine behind the backend interface; ``llm`` is the ``vllm.LLM`` instance."""

    def __init__(self, argument: str | None, options: BackendOptions | None = None) -> None:
        if not argument:
            raise ConfigError("backend 'vllm' needs a model path or hub id, e.g. 'vllm:./ckpt'")
        options = options or BackendOptions()
        try:
            import vllm
        except ImportError as error:
            raise BackendError(
                f"backend 'vllm:{argument}' needs vllm, which is not installed",
                hint="pip install 'act-bench[vllm]' (needs a CUDA GPU)",
            ) from error
        self._vllm = vllm
        self.spec = f"vllm:{argument}"
        self.usage = Usage()
        try:
            self.llm = vllm.LLM(**engine_arguments(argument, options))
        except (OSError, ValueError, RuntimeError) as error:
            raise BackendError(
                f"vllm cannot load {argument!r}: {error}",
                hint="check the path or hub id, and that a CUDA GPU with enough memory is free",
            ) from error

    def context_window(self) -> int | None:
        """The engine's ``max_model_len`` (the model's positions, or less if it was capped)."""
        return self.llm.llm_engine.model_config.max_model_len

    def prompt_length(self, conversation: Sequence[Message]) -> int:
        """Tokens of the prompt ``LLM.chat`` builds: the chat template, generation prompt on."""
        ids = self.llm.get_tokenizer().apply_chat_template(
            [message.to_json() for message in conversation],
            add_generation_prompt=True,
            tokenize=True,
        )
        return len(ids)

    def generate(
        self, conversations: Sequence[Sequence[Message]], params: SamplingParams
    ) -> list[Generation]:
        start = time.perf_counter()
        generations: list[Generation] = []
        if conversations:
            messages = [[message.to_json() for message in c] for c in conversations]
            sampling = [self._sampling(params, index) for index in range(len(conversations))]
            try:
                outputs = self.llm.chat(messages, sampling, use_tqdm=False)
            except RuntimeError as error:
                raise BackendError(f"{self.spec} failed to generate: {error}") from error
            latency = (time.perf_counter() - start) / len(conversations)
            generations = [self._generation(output, params, latency) for output in outputs]
        self.usage.add_batch(generations, time.perf_counter() - start)
        return generations

    def _sampling(self, params: SamplingParams, index: int) -> Any:
        return self._vllm.SamplingParams(
            temperature=params.temperature,
            top_p=params.top_p,
            max_tokens=params.max_new_tokens,
            stop=list(params.stop) or None,
            seed=None if params.seed is None else params.seed + index,
        )

    @staticmethod
    def _generation(output: Any, params: SamplingParams, latency: float) -> Generation:
        completion = output.outputs[0]
        return Generation(
            text=truncate_at_stop(completion.text, params.stop),
            prompt_tokens=len(output.prompt_token_ids or []),
            cached_prompt_tokens=int(getattr(output, "num_cached_tokens", 0) or 0),
            completion_tokens=len(completion.token_ids),
            latency_s=latency,
        )


def engine_arguments(argument: str, options: BackendOptions) -> dict[str, Any]:
    """The ``vllm.LLM`` arguments this backend sets."""
    return {
        "model": argument,
        "dtype": options.dtype or "auto",
        "enable_prefix_caching": options.prefix_cache,
    }
