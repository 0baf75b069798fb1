from __future__ import annotations

import types

import pytest
import torch

from act_bench.backends import BackendOptions, SamplingParams
from act_bench.backends.hf import HFBackend, plain_transcript, resolve_device, resolve_dtype
from act_bench.backends.kv_reuse import decode_groups, kv_bytes_per_token
from act_bench.backends.prefix_cache import RESERVABLE_SHARE
from act_bench.backends.shared_prefix import prefix_segments
from act_bench.errors import BackendError, ConfigError
from act_bench.types import Message, Role

QUESTIONS = [
    "What is the capital of France?",
    "Hi",
    "Explain photosynthesis in one long paragraph for a ten year old child.",
]


def conversations() -> list[list[Message]]:
    return [[Message(Role.USER, question)] for question in QUESTIONS]


def test_plain_transcript_ends_where_the_assistant_speaks() -> None:
    conversation = [Message(Role.SYSTEM, "Be brief."), Message(Role.USER, "Hi")]
    assert plain_transcript(conversation) == "System: Be brief.\nUser: Hi\nAssistant:"


def test_tokenizer_without_chat_template_gets_the_plain_transcript() -> None:
    class NoTemplate:
        chat_template = None
        pad_token = "<pad>"
        eos_token_id = 0

    class Model:
        class generation_config:  # noqa: N801 - mimics the transformers attribute
            eos_token_id = 0

    backend = HFBackend.from_model(Model(), NoTemplate(), spec="hf:test")
    assert backend.render([Message(Role.USER, "Hi")]) == "User: Hi\nAssistant:"


def test_the_context_window_and_prompt_lengths_are_the_models(tiny_llama) -> None:
    from transformers import AutoTokenizer

    from act_bench.backends.base import MeasuresPrompts, context_window
    from act_bench.backends.smollm2 import smollm2_path

    tokenizer = AutoTokenizer.from_pretrained(smollm2_path())
    backend = HFBackend.from_model(
        tiny_llama, tokenizer, spec="hf:tiny", options=BackendOptions(prefix_cache=False)
    )
    assert isinstance(backend, MeasuresPrompts)
    assert context_window(backend) == 256  # the config's max_position_embeddings
    conversation = conversations()[2]
    expected = tokenizer.apply_chat_template(
        [m.to_json() for m in conversation], add_generation_prompt=True, tokenize=True
    )
    if not isinstance(expected, list):  # transformers 5 returns a BatchEncoding
        expected = expected["input_ids"]
    assert backend.prompt_length(conversation) == len(expected) > len(QUESTIONS[2].split())
    # a config without positions: the tokenizer's limit, unless it is the "none" value
    backend.model = types.SimpleNamespace(config=types.SimpleNamespace())
    tokenizer.model_max_length = 512
    assert backend.context_window() == 512
    tokenizer.model_max_length = int(1e30)
    assert backend.context_window() is None


def test_device_and_dtype_resolution() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_dtype(None, torch.device("cpu")) is torch.float32
    assert resolve_dtype("bf16", torch.device("cpu")) is torch.bfloat16
    with pytest.raises(ConfigError, match="unknown dtype"):
        resolve_dtype("float8", torch.device("cpu"))


def test_missing_model_directory_is_a_backend_error_with_a_hint(tmp_path) -> None:
    with pytest.raises(BackendError, match="cannot load model") as raised:
        HFBackend(str(tmp_path / "no-such-model"), BackendOptions(device="cpu"))
    assert "config.json" in (raised.value.hint or "")


@pytest.mark.slow
def test_left_padded_batch_matches_one_at_a_time(smollm2_backend: HFBackend) -> None:
    params = SamplingParams(max_new_tokens=8)
    plain = HFBackend.from_model(  # without prefix reuse: one left-padded batch
        smollm2_backend.model,
        smollm2_backend.tokenizer,
        spec="smollm2",
        options=BackendOptions(prefix_cache=False),
    )
    batched = plain.generate(conversations(), params)
    alone = [plain.generate([c], params)[0] for c in conversations()]
    assert [g.text for g in batched] == [g.text for g in alone]
    assert [g.prompt_tokens for g in batched] == [g.prompt_tokens for g in alone]
    assert [g.completion_tokens for g in batched] == [g.completion_tokens for g in alone]
    assert batched[0].text.startswith("The capital of France is")
    assert all(0 < g.completion_tokens <= 8 for g in batched)


@pytest.mark.slow
def test_chunks_keep_order_and_usage_counts_one_call(smollm2_backend: HFBackend) -> None:
    backend = HFBackend.from_model(
        smollm2_backend.model,
        smollm2_backend.tokenizer,
        spec="smollm2",
        options=BackendOptions(batch_size=2),
    )
    params = SamplingParams(max_new_tokens=4)
    chunked = backend.generate(conversations(), params)
    whole = smollm2_backend.generate(conversations(), params)
    assert [g.text for g in chunked] == [g.text for g in whole]
    assert backend.usage.calls == 1
    assert backend.usage.prompts == 3
    assert backend.usage.prompt_tokens == sum(g.prompt_tokens for g in chunked)
    assert backend.usage.completion_tokens == sum(g.completion_tokens for g in chunked)


@pytest.mark.slow
def test_stop_strings_end_the_text_before_the_stop(smollm2_backend: HFBackend) -> None:
    question = [conversations()[0]]
    free = smollm2_backend.generate(question, SamplingParams(max_new_tokens=8))[0]
    stop_params = SamplingParams(max_new_tokens=8, stop=("Paris",))
    stopped = smollm2_backend.generate(question, stop_params)[0]
    assert "Paris" in free.text
    assert stopped.text == free.text[: free.text.index("Paris")]
    assert stopped.completion_tokens < free.completion_tokens


@pytest.mark.slow
def test_same_seed_same_samples_and_global_rng_untouched(smollm2_backend: HFBackend) -> None:
    def sample(seed: int) -> list[str]:
        params = SamplingParams(max_new_tokens=8, temperature=1.0, seed=seed)
        return [g.text for g in smollm2_backend.generate(conversations(), params)]

    rng_before = torch.get_rng_state()
    first = sample(7)
    assert torch.equal(torch.get_rng_state(), rng_before)
    assert sample(7) == first
    assert sample(8) != first


@pytest.mark.slow
def test_generation_restores_training_mode(smollm2_backend: HFBackend) -> None:
    model = smollm2_backend.model
    model.train()
    try:
        smollm2_backend.generate(conversations()[:1], SamplingParams(max_new_tokens=2))
        assert model.training
    finally:
        model.eval()


def sharing(backend: HFBackend, **options) -> HFBackend:
    """A backend over ``backend``'s model and tokenizer with other options."""
    return HFBackend.from_model(
        backend.model, backend.tokenizer, spec=backend.spec, options=BackendOptions(**options)
    )


def pacific_prompts(data_dir, count: int) -> list[list[Message]]:
    from act_bench.task import get_task, turn_states

    task = get_task("pacific")
    states = turn_states(task.load("validation", data_dir))[:count]
    return [task.render_messages(state.prompt) for state in states]


@pytest.mark.slow
def test_prefix_reuse_keeps_greedy_outputs_on_pacific_prompts(
    smollm2_backend: HFBackend, data_dir
) -> None:
    """Turn states of one conversation: each prompt extends the one before it, so each is
    prefilled from its predecessor's stored state, and a second call from its own."""
    prompts = pacific_prompts(data_dir, 4)
    params = SamplingParams(max_new_tokens=24)

    plain = sharing(smollm2_backend, prefix_cache=False).generate(prompts, params)
    reusing = sharing(smollm2_backend)
    first = reusing.generate(prompts, params)
    again = reusing.generate(prompts, params)
    assert [g.text for g in first] == [g.text for g in plain] == [g.text for g in again]
    lengths = [g.prompt_tokens for g in plain]
    assert [g.prompt_tokens for g in first] == lengths
    assert [g.cached_prompt_tokens for g in plain] == [0, 0, 0, 0]
    assert [g.cached_prompt_tokens for g in first] == [0, *(n - 1 for n in lengths[:-1])]
    assert [g.cached_prompt_tokens for g in again] == [n - 1 for n in lengths]
    usage = reusing.usage.to_json()
    assert usage["prefill_tokens_computed"] == lengths[-1] + 3 + 4
    assert usage["prefix_cache"]["entries"] == 1  # each prompt's state replaced its prefix's


@pytest.mark.slow
def test_decoding_groups_segments_and_stop_strings_keep_greedy_outputs(
    smollm2_backend: HFBackend, data_dir
) -> None:
    """A KV budget small enough to split 6 PACIFIC prompts into groups of two, replies long
    enough to run several segments, with and without a stop string: the texts, prompt and
    completion token counts are those of plain left-padded ``generate`` calls."""
    prompts = pacific_prompts(data_dir, 6)
    per_token = kv_bytes_per_token(smollm2_backend.model)
    ids = sorted(smollm2_backend._token_ids(smollm2_backend.render(p)) for p in prompts)
    own = [  # what each prompt's row holds beyond its group's shared prefix, as hf.py counts
        len(ids[row]) - segment.length
        for segment in prefix_segments(ids)
        for row in range(segment.start, segment.stop)
    ]
    for params in (
        SamplingParams(max_new_tokens=40),
        SamplingParams(max_new_tokens=40, stop=("\n", ".")),
    ):
        budget = int(2 * (max(own) + params.max_new_tokens) * per_token / RESERVABLE_SHARE) + 1
        group_budget = int(budget * RESERVABLE_SHARE)
        assert len(decode_groups(own, params.max_new_tokens, per_token, group_budget)) == 3
        plain = sharing(smollm2_backend, prefix_cache=False).generate(prompts, params)
        grouped = sharing(smollm2_backend, prefix_cache_bytes=budget).generate(prompts, params)
        assert [g.text for g in grouped] == [g.text for g in plain]
        assert [g.prompt_tokens for g in grouped] == [g.prompt_tokens for g in plain]
        assert [g.completion_tokens for g in grouped] == [g.completion_tokens for g in plain]


@pytest.mark.slow
def test_prefix_reuse_samples_stay_seeded(smollm2_backend: HFBackend, data_dir) -> None:
    prompts = pacific_prompts(data_dir, 3)
    params = SamplingParams(max_new_tokens=12, temperature=1.0, seed=11)
    first = [g.text for g in smollm2_backend.generate(prompts, params)]
    assert [g.text for g in smollm2_backend.generate(prompts, params)] == first
    other = SamplingParams(max_new_tokens=12, temperature=1.0, seed=12)
    assert [g.text for g in smollm2_backend.generate(prompts, other)] != first
