"""Local transformers models (``hf:PATH_OR_ID``): real batched chat generation with a seed.

The policy, the simulated user and the action classifier can all be a small local model
(the embedded default is SmolLM2-135M-Instruct), and the ACT trainer reuses this backend's
``model`` and ``tokenizer`` to sample on-policy trajectories (Alg. 2 lines 6-12), so
generation here must be batched, reproducible under a seed, and leave the model as it was.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

from act_bench.backends.base import (
    BackendOptions,
    Generation,
    SamplingParams,
    Usage,
    truncate_at_stop,
)
from act_bench.backends.kv_reuse import (
    KVState,
    batch_cache_bytes,
    decode_groups,
    kv_bytes_per_token,
    prefill,
    supports_prefix_reuse,
    weights_version,
)
from act_bench.backends.memory import release_freed_memory
from act_bench.backends.prefix_cache import (
    RESERVABLE_SHARE,
    PrefixCache,
    default_budget_bytes,
)
from act_bench.backends.segmented_decoding import decode_in_segments, stop_string_ended
from act_bench.backends.shared_prefix import (
    SharedPrefixCache,
    attending_shared_prefix,
    prefix_segments,
    shared_layout,
)
from act_bench.errors import BackendError, ConfigError
from act_bench.types import Message

STOP_CONTEXT_TOKENS = 8  # prompt tokens a stop string may begin in (transformers checks them)
# transformers sets model_max_length to a huge number (int(1e30)) when the tokenizer names no limit
UNBOUNDED_LENGTH = 10**9

_DTYPES = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "float16": torch.float16,
    "fp16": torch.float16,
    "half": torch.float16,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
}


def resolve_device(device: str | None) -> torch.device:
    """``None`` or ``"auto"``: the first CUDA device when there is one, else the CPU."""
    if device in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as error:
        raise ConfigError(
            f"unknown device {device!r}", hint="use 'auto', 'cpu', 'cuda' or 'cuda:N'"
        ) from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} was asked for but CUDA is not available")
    return resolved


def resolve_dtype(dtype: str | None, device: torch.device) -> torch.dtype:
    """``None`` or ``"auto"``: bfloat16 on a GPU that supports it, float32 elsewhere.

    float32 on the CPU because bfloat16 matmuls there are slow and change greedy outputs.
    """
    if dtype in (None, "", "auto"):
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    try:
        return _DTYPES[dtype.lower()]
    except KeyError:
        raise ConfigError(
            f"unknown dtype {dtype!r}", hint=f"use one of: auto, {', '.join(sorted(_DTYPES))}"
        ) from None


def plain_transcript(conversation: Sequence[Message]) -> str:
    """A "Role: content" transcript ending in "Assistant:", for tokenizers with no chat template."""
    lines = [f"{message.role.value.capitalize()}: {message.content}" for message in conversation]
    return "\n".join([*lines, "Assistant:"])


class HFBackend:
    """A transformers causal LM behind the backend interface.

    Conversations are rendered with the tokenizer's chat template and generated in
    left-padded chunks of ``options.batch_size``. Each item's ``latency_s`` is its chunk's
    wall time divided equally among the chunk's items (they were computed together, so no
    finer split is meaningful); ``usage.latency_s`` is the whole call's wall time.
    ``completion_tokens`` counts the generated tokens up to and including the first
    end-of-sequence token.

    With ``options.prefix_cache`` (the default) prompts are sorted by token ids, so prompts
    sharing a prefix are neighbours and share a chunk; each prompt is prefilled from the
    longest prefix any earlier prompt computed (``kv_reuse.py``), and the chunk is decoded
    together, prompts sharing a beginning reading it from one stored copy
    (``shared_prefix.py``), split into groups whose cache fits the KV budget
    (:func:`~act_bench.backends.kv_reuse.decode_groups`), the last running row finishing
    alone (``segmented_decoding.py``). Without it (``--no-prefix-cache``) prompts are sorted
    by length and each chunk goes to one ``generate`` call, as before.
    """

    def __init__(
        self,
        argument: str | None,
        options: BackendOptions | None = None,
        *,
        spec: str | None = None,
    ) -> None:
        if not argument:
            raise ConfigError("backend 'hf' needs a model path or hub id, e.g. 'hf:./checkpoint'")
        options = options or BackendOptions()
        device = resolve_device(options.device)
        dtype = resolve_dtype(options.dtype, device)
        model, tokenizer = _load_pretrained(argument, dtype)
        self._setup(spec or f"hf:{argument}", model.to(device), tokenizer, options)

    @classmethod
    def from_model(
        cls,
        model: Any,
        tokenizer: Any,
        *,
        spec: str,
        options: BackendOptions | None = None,
    ) -> HFBackend:
        """Wrap a model already in memory (a trainer's policy) without loading anything."""
        backend = cls.__new__(cls)
        backend._setup(spec, model, tokenizer, options or BackendOptions())
        return backend

    def _setup(self, spec: str, model: Any, tokenizer: Any, options: BackendOptions) -> None:
        if options.batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {options.batch_size}")
        self.spec = spec
        self.usage = Usage()
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = options.batch_size
        if tokenizer.pad_token is None:  # batching needs one; EOS is the usual stand-in,
            tokenizer.pad_token = tokenizer.eos_token  # and trainers sharing it need one too
        self._end_token_ids = _end_token_ids(model, tokenizer)
        self.prefix_cache: PrefixCache[KVState] | None = None
        if options.prefix_cache and supports_prefix_reuse(model):
            budget = options.prefix_cache_bytes
            if budget is None:
                budget = default_budget_bytes(model.device.type)
            self.prefix_cache = PrefixCache(budget)
            self.usage.prefix_cache = self.prefix_cache.stats
            self._weights_version = weights_version(model)

    @property
    def device(self) -> torch.device:
        return self.model.device

    def render(self, conversation: Sequence[Message]) -> str:
        """The prompt text the model sees, ending where the assistant's reply begins."""
        if not getattr(self.tokenizer, "chat_template", None):
            return plain_transcript(conversation)
        return self.tokenizer.apply_chat_template(
            [message.to_json() for message in conversation],
            add_generation_prompt=True,
            tokenize=False,
        )

    def context_window(self) -> int | None:
        """The positions the model was built for (``max_position_embeddings``), else the
        tokenizer's ``model_max_length`` where it is a real limit; None if neither says."""
        positions = getattr(self.model.config, "max_position_embeddings", None)
        if isinstance(positions, int) and positions > 0:
            return positions
        limit = getattr(self.tokenizer, "model_max_length", None)
        return limit if isinstance(limit, int) and 0 < limit < UNBOUNDED_LENGTH else None

    def prompt_length(self, conversation: Sequence[Message]) -> int:
        return len(self._token_ids(self.render(conversation)))

    def generate(
        self, conversations: Sequence[Sequence[Message]], params: SamplingParams
    ) -> list[Generation]:
        start = time.perf_counter()
        prompts = [self.render(conversation) for conversation in conversations]
        token_ids = [self._token_ids(p) for p in prompts] if self.prefix_cache is not None else []
        if self.prefix_cache is not None:
            order = sorted(range(len(prompts)), key=lambda i: token_ids[i])
        else:
            order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]), reverse=True)
        results: list[Generation | None] = [None] * len(prompts)
        was_training = self.model.training
        self.model.eval()
        try:
            with seeded(params.seed, self.device):
                size = self.batch_size
                for offset in range(0, len(order), size):
                    chunk = order[offset : offset + size]
                    if self.prefix_cache is not None:
                        outputs = self._generate_reusing([token_ids[i] for i in chunk], params)
                    else:
                        outputs = self._generate_chunk([prompts[i] for i in chunk], params)
                    for index, generation in zip(chunk, outputs, strict=True):
                        results[index] = generation
        finally:
            self.model.train(was_training)
        generations = [g for g in results if g is not None]
        self.usage.add_batch(generations, time.perf_counter() - start)
        return generations

    def _generate_chunk(self, prompts: list[str], params: SamplingParams) -> list[Generation]:
        start = time.perf_counter()
        inputs = self.tokenizer(
            prompts,
            return_tensors="pt",
            padding=True,
            padding_side="left",
            add_special_tokens=not getattr(self.tokenizer, "chat_template", None),
        ).to(self.device)
        try:
            with torch.inference_mode():
                output_ids = self.model.generate(
                    **inputs, **self._generate_kwargs(params), tokenizer=self.tokenizer
                )
        except torch.OutOfMemoryError as error:
            raise BackendError(
                f"{self.spec} ran out of memory generating {len(prompts)} prompts",
                hint="lower --batch-size or --max-new-tokens",
            ) from error
        except RuntimeError as error:
            raise BackendError(f"{self.spec} failed to generate: {error}") from error
        prompt_tokens = inputs["attention_mask"].sum(dim=1).tolist()
        new_ids = output_ids[:, inputs["input_ids"].shape[1] :].tolist()
        latency = (time.perf_counter() - start) / len(prompts)
        return self._generations(new_ids, prompt_tokens, [0] * len(prompts), latency, params)

    def _generate_reusing(
        self, token_ids: list[list[int]], params: SamplingParams
    ) -> list[Generation]:
        """Prefill each prompt from the longest stored prefix, then decode the chunk together
        (see ``kv_reuse.py``), in groups whose batched cache fits the memory budget;
        greedy outputs match :meth:`_generate_chunk`'s."""
        assert self.prefix_cache is not None
        version = weights_version(self.model)
        if version != self._weights_version:  # the weights changed: stored states are stale
            self.prefix_cache.clear()
            self._weights_version = version
        per_token = kv_bytes_per_token(self.model)
        group_budget = int(self.prefix_cache.stats.budget_bytes * RESERVABLE_SHARE)
        generations: list[Generation] = []
        # what each row's batched cache holds beyond its segment's shared prefix
        own = [
            len(token_ids[row]) - segment.length
            for segment in prefix_segments(token_ids)
            for row in range(segment.start, segment.stop)
        ]
        for group in decode_groups(own, params.max_new_tokens, per_token, group_budget):
            rows = [token_ids[i] for i in group]
            reserve = batch_cache_bytes([own[i] for i in group], params.max_new_tokens, per_token)
            with self.prefix_cache.reserved(reserve, keeping=rows):
                generations.extend(self._decode_group(rows, params))
        return generations

    def _decode_group(self, token_ids: list[list[int]], params: SamplingParams) -> list[Generation]:
        assert self.prefix_cache is not None
        start = time.perf_counter()
        segments = prefix_segments(token_ids)
        input_ids, attention_mask, prefix_width, own_width = shared_layout(
            token_ids, segments, self.tokenizer.pad_token_id
        )
        try:
            with torch.inference_mode():
                cache = SharedPrefixCache(
                    segments, prefix_width, own_width, params.max_new_tokens, self.model
                )
                reused = []
                for row, ids in enumerate(token_ids):
                    state, count = prefill(self.model, ids, self.prefix_cache)
                    if state is not None:
                        cache.place(row, state)
                    reused.append(count)
                    del state
                with attending_shared_prefix(self.model, cache):
                    new_ids = decode_in_segments(
                        functools.partial(self._continue, params=params),
                        input_ids.to(self.device),
                        attention_mask.to(self.device),
                        cache if input_ids.shape[1] > 1 else None,
                        max_new_tokens=params.max_new_tokens,
                        ended=self._ended_check(token_ids, params),
                    )
        except torch.OutOfMemoryError as error:
            self.prefix_cache.clear()
            raise BackendError(
                f"{self.spec} ran out of memory generating {len(token_ids)} prompts",
                hint="lower --batch-size or --max-new-tokens, or pass --no-prefix-cache",
            ) from error
        except RuntimeError as error:
            raise BackendError(f"{self.spec} failed to generate: {error}") from error
        del cache
        release_freed_memory()
        latency = (time.perf_counter() - start) / len(token_ids)
        counts = [len(ids) for ids in token_ids]
        return self._generations(new_ids, counts, reused, latency, params)

    def _continue(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        cache: Any,
        steps: int,
        *,
        params: SamplingParams,
    ) -> torch.Tensor:
        """One segment of :func:`decode_in_segments`: ``generate`` continuing from ``cache``."""
        kwargs = self._generate_kwargs(params) | {"max_new_tokens": steps}
        if cache is not None:
            kwargs["cache"] = cache
        return self.model.generate(
            input_ids=input_ids, attention_mask=attention_mask, **kwargs, tokenizer=self.tokenizer
        )

    def _ended_check(
        self, token_ids: list[list[int]], params: SamplingParams
    ) -> Callable[[int, list[int]], bool]:
        """Whether a row's reply has ended: an end token, or one of ``params.stop``."""
        stopped = [
            stop_string_ended(self._decode_raw, ids[-STOP_CONTEXT_TOKENS:], params.stop)
            for ids in token_ids
        ]

        def ended(row: int, new_ids: list[int]) -> bool:
            return any(t in self._end_token_ids for t in new_ids) or stopped[row](new_ids)

        return ended

    def _decode_raw(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=False)

    def _generations(
        self,
        new_ids: list[list[int]],
        prompt_tokens: list[int],
        cached_tokens: list[int],
        latency: float,
        params: SamplingParams,
    ) -> list[Generation]:
        generations = []
        for count, cached, ids in zip(prompt_tokens, cached_tokens, new_ids, strict=True):
            ids = self._until_stop(self._until_end(ids), params.stop)
            text = self.tokenizer.decode(ids, skip_special_tokens=True)
            generations.append(
                Generation(
                    text=truncate_at_stop(text, params.stop),
                    prompt_tokens=int(count),
                    cached_prompt_tokens=cached,
                    completion_tokens=len(ids),
                    latency_s=latency,
                )
            )
        return generations

    def _token_ids(self, prompt: str) -> list[int]:
        """The prompt's ids exactly as the batched tokenizer call would give them."""
        return self.tokenizer(
            prompt, add_special_tokens=not getattr(self.tokenizer, "chat_template", None)
        )["input_ids"]

    def _generate_kwargs(self, params: SamplingParams) -> dict[str, Any]:
        """Every sampling setting explicit, so a checkpoint's generation_config cannot
        silently turn greedy decoding into sampling or add a top-k."""
        sample = params.temperature > 0
        kwargs: dict[str, Any] = {
            "max_new_tokens": params.max_new_tokens,
            "do_sample": sample,
            "temperature": params.temperature if sample else None,
            "top_p": params.top_p if sample else None,
            "top_k": 0 if sample else None,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": sorted(self._end_token_ids),
        }
        if params.stop:
            kwargs["stop_strings"] = list(params.stop)
        return kwargs

    def _until_stop(self, ids: list[int], stops: Sequence[str]) -> list[int]:
        """``ids`` up to the token completing the first stop string, so that a reply stopped
        by one counts its own tokens only: inside a batch, ``generate`` pads it with end
        tokens until the batch ends, alone it does not, and the count must not depend on
        which rows were decoded together."""
        if not stops or not any(s in self._decode_raw(ids) for s in stops):
            return ids
        low, high = 0, len(ids)  # ids[:low] holds no stop string, ids[:high] does
        while high - low > 1:
            middle = (low + high) // 2
            if any(s in self._decode_raw(ids[:middle]) for s in stops):
                high = middle
            else:
                low = middle
        return ids[:high]

    def _until_end(self, ids: list[int]) -> list[int]:
        for position, token in enumerate(ids):
            if token in self._end_token_ids:
                return ids[: position + 1]
        return ids


def _load_pretrained(argument: str, dtype: torch.dtype) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(argument)
        model = AutoModelForCausalLM.from_pretrained(argument, dtype=dtype)
    except (OSError, ValueError) as error:
        raise BackendError(
            f"cannot load model 'hf:{argument}': {error}",
            hint="give a local directory with config.json and weights, or a hub id "
            "(online, and after `hf auth login` for gated models)",
        ) from error
    return model, tokenizer


def _end_token_ids(model: Any, tokenizer: Any) -> set[int]:
    """Every token that ends a reply: the generation config's EOS ids plus the tokenizer's."""
    configured = getattr(model.generation_config, "eos_token_id", None)
    ids = set(configured if isinstance(configured, list) else [configured])
    ids.add(tokenizer.eos_token_id)
    ids.discard(None)
    return ids


@contextlib.contextmanager
def seeded(seed: int | None, device: torch.device) -> Iterator[None]:
    """Seed torch's RNG for one call and restore the previous state afterwards, so the same
    seed gives the same samples and a trainer's own random stream is left untouched."""
    if seed is None:
        yield
        return
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
