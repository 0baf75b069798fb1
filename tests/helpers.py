"""Scripted backend, classifier and simulator: deterministic stand-ins for loop and CLI tests."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from act_bench.backends import BACKENDS, BackendOptions, Generation, SamplingParams, Usage
from act_bench.classifiers.base import ClassificationInput
from act_bench.simulators.base import SimulationRequest
from act_bench.types import Action, Message, Role

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The real datasets: $ACT_BENCH_DATA, else ../shared/data beside the checkout."""
    return Path(os.environ.get("ACT_BENCH_DATA", REPO_ROOT.parent / "shared" / "data"))


Script = Callable[[Sequence[Message]], str]


def clarify_once(messages: Sequence[Message]) -> str:
    """Asks once whenever the user's last message is a question, answers after a reply."""
    last_user = next(m.content for m in reversed(messages) if m.role is Role.USER)
    if last_user.rstrip().endswith("?"):
        return "Which year are you asking about?"
    return f"['answer to {last_user[:20]}']"


class ScriptedBackend:
    """Replies with ``script(messages)``; records every batch it was asked for."""

    def __init__(
        self, script: Script = clarify_once, spec: str = "scripted", fail_on: str | None = None
    ):
        self.spec = spec
        self.usage = Usage()
        self.script = script
        self.fail_on = fail_on
        self.batches: list[list[list[Message]]] = []

    def generate(
        self, conversations: Sequence[Sequence[Message]], params: SamplingParams
    ) -> list[Generation]:
        self.batches.append([list(c) for c in conversations])
        delay = float(os.environ.get("SCRIPTED_BACKEND_DELAY_S", "0"))
        if delay:
            time.sleep(delay)
        out = []
        for messages in conversations:
            if self.fail_on is not None and self.fail_on in messages[-1].content:
                out.append(Generation(text="", error="scripted failure"))
            else:
                text = self.script(messages)
                out.append(
                    Generation(
                        text=text, prompt_tokens=len(messages), completion_tokens=len(text.split())
                    )
                )
        self.usage.add_batch(out, 0.0)
        return out


def load_scripted(argument: str | None, options: BackendOptions) -> ScriptedBackend:
    return ScriptedBackend()


class WindowedBackend(ScriptedBackend):
    """A scripted backend that says its context window (``windowed:N``: N tokens) and
    counts a prompt's tokens as its words (``prompting/fitting.py``'s interface)."""

    def __init__(self, window: int, script: Script = clarify_once) -> None:
        super().__init__(script, spec=f"windowed:{window}")
        self.window = window

    def context_window(self) -> int:
        return self.window

    def prompt_length(self, conversation: Sequence[Message]) -> int:
        return sum(len(message.content.split()) for message in conversation)


def load_windowed(argument: str | None, options: BackendOptions) -> WindowedBackend:
    return WindowedBackend(int(argument or 0))


def register_windowed_backend() -> None:
    """Make ``windowed:N`` available as a model spec."""
    if "windowed" not in BACKENDS:
        BACKENDS.add("windowed", "helpers:load_windowed")


def register_scripted_backend() -> None:
    """Make ``--model scripted`` available, also in a subprocess that calls this first."""
    if "scripted" not in BACKENDS:
        BACKENDS.add("scripted", "helpers:load_scripted")


class QuestionMarkClassifier:
    """CLARIFY iff the response ends with a question mark."""

    spec = "question-mark"

    def classify(self, items: Sequence[ClassificationInput]) -> list[Action]:
        return [
            Action.CLARIFY if i.response.rstrip().endswith("?") else Action.ANSWER for i in items
        ]


class EchoSimulator:
    """Replies with a fixed text, recording what it was asked."""

    spec = "echo"

    def __init__(self, reply: str = "2019") -> None:
        self.text = reply
        self.requests: list[SimulationRequest] = []

    def reply(self, requests: Sequence[SimulationRequest]) -> list[str]:
        self.requests.extend(requests)
        return [self.text for _ in requests]


def one_line_error(result, *expected: str) -> str:
    """A CLI result that failed cleanly: exit 2, the expected words on its one ``error:``
    line, and no traceback. Returns that line."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("error:")]
    for text in expected:
        assert text in line, line
    return line


def greedy_segments(model, *, pad: int = 0, end: int = 1) -> Callable:
    """A segment of ``decode_in_segments``: greedy ``generate`` for ``steps`` tokens,
    continuing from ``cache`` (None: from the prompt alone)."""
    import torch

    def generate(input_ids, attention_mask, cache, steps):
        kwargs = {"cache": cache} if cache is not None else {}
        with torch.inference_mode():
            return model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                max_new_tokens=steps,
                do_sample=False,
                pad_token_id=pad,
                eos_token_id=end,
                **kwargs,
            )

    return generate
