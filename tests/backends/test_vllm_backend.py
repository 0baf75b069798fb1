"""vLLM needs a GPU; these check what act-bench hands it and reads back, with a fake module."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field

import pytest

from act_bench.backends import BackendOptions, SamplingParams, load_backend
from act_bench.types import Message, Role


@dataclass
class FakeLLM:
    kwargs: dict
    calls: list = field(default_factory=list)
    llm_engine: object = field(
        default_factory=lambda: types.SimpleNamespace(
            model_config=types.SimpleNamespace(max_model_len=4096)
        )
    )

    def get_tokenizer(self):
        """Counts a word per token, and 3 for the template around each message and reply."""

        def apply_chat_template(messages, add_generation_prompt, tokenize):
            assert add_generation_prompt and tokenize
            return [0] * sum(len(m["content"].split()) + 3 for m in messages) + [0] * 3

        return types.SimpleNamespace(apply_chat_template=apply_chat_template)

    def chat(self, messages, sampling, use_tqdm=False):
        self.calls.append((messages, sampling))
        return [
            types.SimpleNamespace(
                prompt_token_ids=list(range(10 + index)),
                num_cached_tokens=8 if index else 0,
                outputs=[types.SimpleNamespace(text=f"reply {index}", token_ids=[1, 2, 3])],
            )
            for index in range(len(messages))
        ]


@pytest.fixture
def fake_vllm(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("vllm")
    module.LLM = lambda **kwargs: FakeLLM(kwargs)
    module.SamplingParams = lambda **kwargs: kwargs
    monkeypatch.setitem(sys.modules, "vllm", module)
    return module


def test_prefix_caching_is_on_by_default_and_off_on_request(fake_vllm) -> None:
    backend = load_backend("vllm:some/model", BackendOptions(dtype="bfloat16"))
    assert backend.llm.kwargs == {
        "model": "some/model",
        "dtype": "bfloat16",
        "enable_prefix_caching": True,
    }
    off = load_backend("vllm:some/model", BackendOptions(prefix_cache=False))
    assert off.llm.kwargs["enable_prefix_caching"] is False


def test_cached_prompt_tokens_reported_by_vllm_are_counted(fake_vllm) -> None:
    backend = load_backend("vllm:some/model")
    conversations = [[Message(Role.USER, "a")], [Message(Role.USER, "b")]]
    generations = backend.generate(conversations, SamplingParams(seed=4))
    assert [(g.prompt_tokens, g.cached_prompt_tokens) for g in generations] == [(10, 0), (11, 8)]
    usage = backend.usage.to_json()
    assert (usage["prompt_tokens"], usage["cached_prompt_tokens"]) == (21, 8)
    assert usage["prefill_tokens_computed"] == 13
    assert [s["seed"] for s in backend.llm.calls[0][1]] == [4, 5]


def test_the_engines_window_and_its_tokenizers_prompt_lengths(fake_vllm) -> None:
    from act_bench.backends.base import context_window

    backend = load_backend("vllm:some/model")
    assert context_window(backend) == 4096
    conversation = [Message(Role.SYSTEM, "be brief"), Message(Role.USER, "what is it")]
    assert backend.prompt_length(conversation) == (2 + 3) + (3 + 3) + 3
