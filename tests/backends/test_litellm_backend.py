"""The LiteLLM backend against a real HTTP server on 127.0.0.1 that speaks the OpenAI chat API.

Routes (each under ``/<route>/v1/chat/completions``): ``ok`` answers at once; ``flaky`` answers
429 twice and then succeeds; ``down`` always answers 429; ``bad`` answers 400; ``slow`` takes
0.2 s and records how many requests were in flight at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from act_bench.backends import BackendOptions, SamplingParams
from act_bench.backends.litellm import LiteLLMBackend
from act_bench.types import Message, Role


class FakeOpenAI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: Counter[str] = Counter()
        self.bodies: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()

    def url(self, route: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{route}/v1"


class Handler(BaseHTTPRequestHandler):
    server: FakeOpenAI

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def do_POST(self) -> None:
        route = self.path.strip("/").split("/")[0]
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.hits[route] += 1
            self.server.bodies.append(body)
            hit = self.server.hits[route]
        if route == "down" or (route == "flaky" and hit <= 2):
            self.reply(429, {"error": {"message": "slow down", "type": "rate_limit_exceeded"}})
        elif route == "bad":
            self.reply(400, {"error": {"message": "bad request", "type": "invalid_request"}})
        elif route == "slow":
            with self.server.lock:
                self.server.in_flight += 1
                self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
            time.sleep(0.2)
            with self.server.lock:
                self.server.in_flight -= 1
            self.reply(200, completion(body))
        else:
            self.reply(200, completion(body))

    def reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def completion(body: dict[str, Any]) -> dict[str, Any]:
    """Echoes the last message, followed by text after a "STOP" marker the client must cut."""
    last = body["messages"][-1]["content"]
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": f"echo: {last} STOP extra"},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 11 * len(body["messages"]),
            "completion_tokens": 7,
            "total_tokens": 0,
            # as a provider with prompt caching reports it: every message but the last cached
            "prompt_tokens_details": {"cached_tokens": 11 * (len(body["messages"]) - 1)},
        },
    }


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    thread = threading.Thread(target=fake.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.shutdown()
    fake.server_close()


def backend(server: FakeOpenAI, route: str, **options: Any) -> LiteLLMBackend:
    return LiteLLMBackend(
        "openai/fake-model",
        BackendOptions(api_base=server.url(route), api_key="sk-test", **options),
        retry_base_delay_s=0.01,
        retry_max_delay_s=0.05,
    )


def ask(*texts: str) -> list[list[Message]]:
    return [[Message(Role.SYSTEM, "Be brief."), Message(Role.USER, text)] for text in texts]


def test_generates_in_order_with_tokens_and_sampling_params(server: FakeOpenAI) -> None:
    model = backend(server, "ok")
    params = SamplingParams(max_new_tokens=32, temperature=0.5, top_p=0.9, stop=("STOP",), seed=3)
    generations = model.generate(ask("a", "b", "c"), params)

    assert [g.text for g in generations] == ["echo: a ", "echo: b ", "echo: c "]
    assert all(g.error is None for g in generations)
    assert [(g.prompt_tokens, g.completion_tokens) for g in generations] == [(22, 7)] * 3
    assert all(g.cost_usd == 0.0 for g in generations)  # no price for a local model
    sent = server.bodies[-1]
    assert sent["model"] == "fake-model"
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert (sent["temperature"], sent["top_p"], sent["max_tokens"]) == (0.5, 0.9, 32)
    assert (sent["stop"], sent["seed"]) == (["STOP"], 3)
    assert [g.cached_prompt_tokens for g in generations] == [11] * 3
    assert model.usage.to_json() | {"latency_s": 0} == {
        "calls": 1,
        "prompts": 3,
        "prompt_tokens": 66,
        "cached_prompt_tokens": 33,
        "prefill_tokens_computed": 33,
        "completion_tokens": 21,
        "latency_s": 0,
        "cost_usd": 0.0,
        "errors": 0,
    }


def test_prompt_caching_is_requested_unless_turned_off(server: FakeOpenAI) -> None:
    [conversation] = ask("x")
    request = backend(server, "ok")._request(conversation, SamplingParams())
    assert request["cache_control_injection_points"] == [{"location": "message", "index": -1}]
    request = backend(server, "ok", prefix_cache=False)._request(conversation, SamplingParams())
    assert "cache_control_injection_points" not in request


def test_rate_limit_is_retried_with_backoff(server: FakeOpenAI) -> None:
    [generation] = backend(server, "flaky", max_retries=3).generate(ask("x"), SamplingParams())
    assert generation.error is None
    assert generation.text.startswith("echo: x")
    assert server.hits["flaky"] == 3  # two 429s, then the answer; no retries hidden underneath


def test_exhausted_retries_give_an_error_item(server: FakeOpenAI) -> None:
    model = backend(server, "down", max_retries=2)
    [generation] = model.generate(ask("x"), SamplingParams())
    assert generation.text == ""
    assert generation.error is not None and "RateLimitError" in generation.error
    assert server.hits["down"] == 3  # the first try and two retries
    assert model.usage.errors == 1


def test_client_errors_are_not_retried(server: FakeOpenAI) -> None:
    model = backend(server, "bad", max_retries=4)
    generations = model.generate(ask("x", "y"), SamplingParams())
    assert all(g.error and "BadRequestError" in g.error for g in generations)
    assert server.hits["bad"] == 2
    assert model.usage.errors == 2


def test_concurrency_is_bounded(server: FakeOpenAI) -> None:
    model = backend(server, "slow", max_concurrency=2)
    generations = model.generate(ask(*"abcdef"), SamplingParams())
    assert [g.text for g in generations] == [f"echo: {c} STOP extra" for c in "abcdef"]
    assert server.max_in_flight == 2
