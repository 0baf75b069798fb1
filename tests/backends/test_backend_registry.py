from __future__ import annotations

import sys

import pytest

from act_bench.backends import BackendOptions, load_backend, shared_backend
from act_bench.backends.base import truncate_at_stop
from act_bench.errors import BackendError, ConfigError


def test_unknown_kind_names_the_closest_match() -> None:
    with pytest.raises(ConfigError) as raised:
        load_backend("smollm")
    assert "smollm2" in str(raised.value)
    assert raised.value.hint == "did you mean 'smollm2'?"


@pytest.mark.parametrize("kind", ["hf", "litellm", "vllm"])
def test_kind_that_needs_an_argument_says_so(kind: str) -> None:
    with pytest.raises(ConfigError, match=f"backend '{kind}' needs a"):
        load_backend(kind)


def test_smollm2_takes_no_argument() -> None:
    with pytest.raises(ConfigError, match="takes no argument"):
        load_backend("smollm2:big")


def test_missing_vllm_raises_backend_error_with_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` fail even if installed
    with pytest.raises(BackendError, match="needs vllm") as raised:
        load_backend("vllm:Qwen/Qwen2.5-0.5B-Instruct")
    assert "pip install 'act-bench[vllm]'" in (raised.value.hint or "")


def test_shared_backend_returns_one_instance_per_spec_and_options() -> None:
    options = BackendOptions(api_base="http://127.0.0.1:9/v1", api_key="sk-test")
    first = shared_backend("litellm:openai/shared-test", options)
    assert shared_backend(" litellm:openai/shared-test ", options) is first
    assert shared_backend("litellm:openai/shared-test", BackendOptions()) is not first


@pytest.mark.parametrize(
    ("text", "stop", "expected"),
    [
        ("Sure. ###\nUser: hi", ("\nUser:", "###"), "Sure. "),
        ("no stop here", ("###",), "no stop here"),
        ("abc", (), "abc"),
        ("abc", ("",), "abc"),
    ],
)
def test_truncate_at_stop_cuts_at_the_earliest_stop_string(
    text: str, stop: tuple[str, ...], expected: str
) -> None:
    assert truncate_at_stop(text, stop) == expected
