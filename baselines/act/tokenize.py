"""How a multi-turn response is tokenized for the DPO step of Eq. 1.

A winning or losing response in ACT can be a whole simulated trajectory: the policy's
clarifying question, the simulated user's reply, the policy's answer (Alg. 2 lines 6-16).
It is laid out after the prompt p exactly as the chat template lays out those turns, and
split into segments, one per message:

- a policy (assistant) segment is the message's content and its end-of-turn tokens: it
  carries loss (mask 1), so log π(y|p) sums over the policy's own tokens;
- a simulated-user segment is the user message with its template tokens *and* the header
  that opens the next assistant turn: it carries no loss (mask 0), it is context.

So Eq. 1's log-probabilities of a trajectory are those of the policy's turns given
everything before them, and the user simulator's words are never trained on. A
single-turn response is the plain case: one assistant segment, as TRL tokenizes it.
Tokenizers without a chat template use the backend's "Role: content" transcript.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from act_bench.backends.hf import plain_transcript
from act_bench.errors import ConfigError
from act_bench.types import Message, Role


@dataclass(frozen=True, slots=True)
class TokenizedResponse:
    ids: list[int]
    mask: list[int]  # 1 where the policy wrote the token


def _render(tokenizer: Any, messages: Sequence[Message], *, generation_prompt: bool) -> str:
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(
            [m.to_json() for m in messages], add_generation_prompt=generation_prompt, tokenize=False
        )
    transcript = plain_transcript(messages)  # ends with "Assistant:"
    return transcript if generation_prompt else transcript[: -len("\nAssistant:")]


def _encode(tokenizer: Any, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def tokenize_prompt(tokenizer: Any, prompt: Sequence[Message]) -> list[int]:
    """p as the model sees it at generation time, ending where the assistant's reply begins."""
    return _encode(tokenizer, _render(tokenizer, prompt, generation_prompt=True))


def tokenize_response(
    tokenizer: Any, prompt: Sequence[Message], response: Sequence[Message]
) -> TokenizedResponse:
    """The response's tokens after p, with the loss mask described in the module docstring."""
    if not response or response[0].role is not Role.ASSISTANT:
        raise ConfigError("a response must start with an assistant message")
    chat = bool(getattr(tokenizer, "chat_template", None))
    previous = _render(tokenizer, prompt, generation_prompt=True)
    ids: list[int] = []
    mask: list[int] = []
    for index, message in enumerate(response):
        following = response[index + 1] if index + 1 < len(response) else None
        opens_assistant = following is not None and following.role is Role.ASSISTANT
        if chat:
            text = _render(
                tokenizer, [*prompt, *response[: index + 1]], generation_prompt=opens_assistant
            )
        else:
            text = previous + _plain_segment(message, opens_assistant)
        if not text.startswith(previous):
            raise ConfigError(
                "the chat template does not render a conversation as a prefix of its "
                "continuation, so a trajectory's turns cannot be separated"
            )
        segment = _encode(tokenizer, text[len(previous) :])
        ids += segment
        mask += [1 if message.role is Role.ASSISTANT else 0] * len(segment)
        previous = text
    if not chat and tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)  # as TRL ends a non-conversational completion
        mask.append(1)
    return TokenizedResponse(ids, mask)


def _plain_segment(message: Message, opens_assistant: bool) -> str:
    if message.role is Role.ASSISTANT:
        return f" {message.content}"
    return f"\nUser: {message.content}" + ("\nAssistant:" if opens_assistant else "")


def tokenize_pair(
    tokenizer: Any,
    prompt: Sequence[Message],
    chosen: Sequence[Message],
    rejected: Sequence[Message],
) -> dict[str, list[int]]:
    """A row for TRL's preference collator, with per-token loss masks."""
    won = tokenize_response(tokenizer, prompt, chosen)
    lost = tokenize_response(tokenizer, prompt, rejected)
    return {
        "prompt_ids": tokenize_prompt(tokenizer, prompt),
        "chosen_ids": won.ids,
        "rejected_ids": lost.ids,
        "chosen_mask": won.mask,
        "rejected_mask": lost.mask,
    }
