"""API faults lose nothing: against a fake OpenAI-compatible server started in the test,
every malformed or failed response is a per-item backend error, ``Retry-After`` is
honoured (capped), a hung server costs ``--timeout``, and ``--resume`` runs the failed
items again once the server is healthy.

Routes (each under ``/<route>/v1/chat/completions``): ``retry_after`` answers 429 with
``Retry-After: 1`` once, then succeeds; ``retry_after_long`` the same with 30 s;
``status500`` always 500; ``not_json`` a 200 whose body is not JSON; ``no_choices`` a 200
with ``"choices": []``; ``hang`` never answers; ``mixed`` answers ``"choices": []`` to a
message that says ``break`` and echoes the others; ``switch`` answers 500 while the
server's ``healthy`` flag is off and echoes once it is on.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from act_bench.backends import BackendOptions, SamplingParams
from act_bench.backends.litellm import LiteLLMBackend
from act_bench.types import Message, Role

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no price download


class FaultyOpenAI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.healthy = False
        self.release = threading.Event()  # lets hung handlers finish at teardown
        self.lock = threading.Lock()

    def url(self, route: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{route}/v1"

    def hits(self, route: str) -> int:
        return len(self.arrivals[route])


class Handler(BaseHTTPRequestHandler):
    server: FaultyOpenAI

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        route = self.path.strip("/").split("/")[0]
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.arrivals[route].append(time.monotonic())
            hit = len(self.server.arrivals[route])
        last = body["messages"][-1]["content"]
        if route in ("retry_after", "retry_after_long") and hit == 1:
            wait = "1" if route == "retry_after" else "30"
            self.reply(429, {"error": {"message": "slow down"}}, {"Retry-After": wait})
        elif route == "status500" or (route == "switch" and not self.server.healthy):
            self.reply(500, {"error": {"message": "internal error"}})
        elif route == "not_json":
            self.send_raw(200, b'{"id": "x", "choices": [')
        elif route == "no_choices" or (route == "mixed" and "break" in last):
            self.reply(200, completion(body) | {"choices": []})
        elif route == "hang":
            self.server.release.wait(30)
        else:
            self.reply(200, completion(body))

    def reply(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self.send_raw(status, json.dumps(payload).encode(), headers)

    def send_raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def completion(body: dict[str, Any]) -> dict[str, Any]:
    last = body["messages"][-1]["content"]
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": f"The answer is 42. ({last[:20]})"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }


@pytest.fixture
def server() -> Iterator[FaultyOpenAI]:
    fake = FaultyOpenAI()
    thread = threading.Thread(target=fake.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.release.set()
    fake.shutdown()
    fake.server_close()


def backend(server: FaultyOpenAI, route: str, **options: Any) -> LiteLLMBackend:
    return LiteLLMBackend(
        "openai/fake-model",
        BackendOptions(api_base=server.url(route), api_key="sk-test", **options),
        retry_base_delay_s=0.01,
        retry_max_delay_s=0.05,
    )


def ask(*texts: str) -> list[list[Message]]:
    return [[Message(Role.USER, text)] for text in texts]


def test_retry_after_is_honoured(server: FaultyOpenAI) -> None:
    [generation] = backend(server, "retry_after", max_retries=2).generate(
        ask("x"), SamplingParams()
    )
    assert generation.error is None and generation.text.startswith("The answer is 42.")
    first, second = server.arrivals["retry_after"]
    # Retry-After: 1, plus LiteLLM's jitter of at most 0.75 s; our own backoff is <= 0.05 s
    assert 1.0 <= second - first < 2.5


def test_a_long_retry_after_is_capped(server: FaultyOpenAI) -> None:
    model = LiteLLMBackend(
        "openai/fake-model",
        BackendOptions(api_base=server.url("retry_after_long"), api_key="k", max_retries=1),
        retry_after_cap_s=0.3,
    )
    [generation] = model.generate(ask("x"), SamplingParams())
    assert generation.error is None
    first, second = server.arrivals["retry_after_long"]
    assert 0.3 <= second - first < 1.5  # not the 30 s the server asked for


def test_a_500_is_retried_then_an_error_item(server: FaultyOpenAI) -> None:
    model = backend(server, "status500", max_retries=2)
    generations = model.generate(ask("x", "y"), SamplingParams())
    assert [g.text for g in generations] == ["", ""]
    assert all("InternalServerError" in (g.error or "") for g in generations)
    assert server.hits("status500") == 6  # two items, each tried three times
    assert model.usage.errors == 2


def test_malformed_json_is_an_error_item(server: FaultyOpenAI) -> None:
    [generation] = backend(server, "not_json", max_retries=1).generate(ask("x"), SamplingParams())
    assert generation.text == "" and generation.error
    assert server.hits("not_json") == 2  # LiteLLM reports it as a 500: retried once


def test_empty_choices_is_an_error_item_not_a_crash(server: FaultyOpenAI) -> None:
    model = backend(server, "no_choices", max_retries=3)
    [generation] = model.generate(ask("x"), SamplingParams())
    assert generation.error == "MalformedResponse: the response has no choices"
    assert server.hits("no_choices") == 1  # a malformed answer is not retried


def test_only_the_malformed_item_of_a_batch_fails(server: FaultyOpenAI) -> None:
    generations = backend(server, "mixed").generate(ask("a", "break", "c"), SamplingParams())
    assert [g.error is None for g in generations] == [True, False, True]
    assert generations[0].text == "The answer is 42. (a)"
    assert generations[2].completion_tokens == 7


def test_a_hung_server_costs_the_timeout_per_attempt(server: FaultyOpenAI) -> None:
    model = backend(server, "hang", max_retries=1, timeout_s=0.5)
    started = time.monotonic()
    [generation] = model.generate(ask("x"), SamplingParams())
    elapsed = time.monotonic() - started
    assert generation.error and "Timeout" in generation.error
    assert server.hits("hang") == 2
    assert 1.0 <= elapsed < 3.0  # two attempts of 0.5 s, not 2 x 120 s


def test_the_timeout_must_be_positive() -> None:
    from act_bench.errors import ConfigError

    with pytest.raises(ConfigError, match="--timeout"):
        LiteLLMBackend("openai/m", BackendOptions(timeout_s=0))


def test_a_bad_timeout_is_one_line_before_anything_loads(tmp_path: Path) -> None:
    from act_bench.cli import app

    args = ["eval", "--model", "litellm:openai/m", "--timeout", "0", "--output-dir", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "--timeout must be a positive number of seconds, got 0.0" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "results.json").exists()


def test_backend_errors_make_a_run_incomplete_and_resume_retries_them(
    server: FaultyOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from act_bench.cli import app

    monkeypatch.setattr(LiteLLMBackend, "_backoff", lambda self, attempt: 0.0)  # fast retries
    out = tmp_path / "run"
    args = [
        "eval", "--task", "pacific", "--model", "litellm:openai/fake-model",
        "--api-base", server.url("switch"), "--limit", "3", "--batch-size", "3",
        "--output-dir", str(out), "--timeout", "5", "--quiet",
    ]  # fmt: skip
    env = {"OPENAI_API_KEY": "sk-test", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    first = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    results = json.loads((out / "results.json").read_text())
    assert results["status"] == "incomplete"
    assert results["counts"]["n_backend_errors"] == 3
    assert "incomplete: 3 item(s) ended in a backend error" in first.output
    failed_hits = server.hits("switch")
    assert failed_hits == 3 * 6  # three items, the first try and five retries each

    server.healthy = True
    again = CliRunner().invoke(app, [*args, "--resume", "--timeout", "7"], env=env)
    assert again.exit_code == 0, again.output
    assert "ran 3 item(s) again that had ended in a backend error" in again.output
    assert server.hits("switch") - failed_hits >= 3  # the failed items were asked again
    results = json.loads((out / "results.json").read_text())
    assert results["status"] == "complete"
    assert results["counts"]["n_backend_errors"] == 0
    assert results["timings"]["retried_backend_errors"] == 3
    lines = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(lines) == 3 and len({line["id"] for line in lines}) == 3
    assert all(line["trajectory"]["stop_reason"] != "backend_error" for line in lines)
