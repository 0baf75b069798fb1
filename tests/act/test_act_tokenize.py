"""A trajectory as a DPO response: the policy's turns carry loss, the simulated user's never."""

from __future__ import annotations

import pytest
from act_bench_baselines.act.tokenize import tokenize_pair, tokenize_response
from transformers import AutoTokenizer

from act_bench.backends.smollm2 import smollm2_path
from act_bench.errors import ConfigError
from act_bench.types import Message, Role

PROMPT = [Message(Role.SYSTEM, "Answer from the table."), Message(Role.USER, "What was revenue?")]
TRAJECTORY = [
    Message(Role.ASSISTANT, "Which year?"),
    Message(Role.USER, "2023"),
    Message(Role.ASSISTANT, "27,899"),
]


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(smollm2_path())


def test_prompt_and_trajectory_reassemble_the_chat_template_exactly(tokenizer):
    row = tokenize_pair(tokenizer, PROMPT, TRAJECTORY, [Message(Role.ASSISTANT, "12")])
    rendered = tokenizer.apply_chat_template(
        [m.to_json() for m in PROMPT + TRAJECTORY], tokenize=False
    )
    assert tokenizer.decode(row["prompt_ids"] + row["chosen_ids"]) == rendered
    assert len(row["chosen_mask"]) == len(row["chosen_ids"])
    assert row["rejected_mask"] == [1] * len(row["rejected_ids"])


def split_by_mask(tokenizer, response):
    pairs = list(zip(response.ids, response.mask, strict=True))
    trained = tokenizer.decode([i for i, m in pairs if m])
    return trained, tokenizer.decode([i for i, m in pairs if not m])


def test_only_the_policys_tokens_carry_loss(tokenizer):
    trained, context = split_by_mask(tokenizer, tokenize_response(tokenizer, PROMPT, TRAJECTORY))
    assert trained == "Which year?<|im_end|>\n27,899<|im_end|>\n"
    assert context == "<|im_start|>user\n2023<|im_end|>\n<|im_start|>assistant\n"


def test_without_a_chat_template_the_plain_transcript_is_used(tokenizer):
    plain = AutoTokenizer.from_pretrained(smollm2_path())
    plain.chat_template = None
    trained, context = split_by_mask(plain, tokenize_response(plain, PROMPT, TRAJECTORY))
    assert trained == " Which year? 27,899" + plain.eos_token
    assert context == "\nUser: 2023\nAssistant:"


def test_a_response_must_open_with_the_policy(tokenizer):
    with pytest.raises(ConfigError):
        tokenize_response(tokenizer, PROMPT, [Message(Role.USER, "hi")])
