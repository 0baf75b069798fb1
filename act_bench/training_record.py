"""What evaluation reads from a trained checkpoint's ``training_config.json``, besides the
conversations it saw (:mod:`act_bench.selection`): the prompting style it was trained in.

IRPO samples and trains in the chain-of-thought style by default (§5.1 credits it with
test-time computation), so its checkpoint answers after a reasoning line; scored in the
standard style its prompts would not be the ones it learnt. ``act-bench eval`` of an
``hf:DIR`` / ``vllm:DIR`` checkpoint uses the recorded style unless ``--prompt-style``
names one (:meth:`act_bench.evaluation.EvalConfig.resolved`).
"""

from __future__ import annotations

import json
from pathlib import Path

from act_bench.errors import DataError
from act_bench.selection import CHECKPOINT_KINDS, TRAINING_RECORD
from act_bench.specs import Spec


def trained_prompt_style(model: str) -> str | None:
    """The ``prompt_style`` an act-bench trainer recorded for the checkpoint ``model`` names;
    None for any other model, or a record written before trainers recorded it."""
    spec = Spec.parse(model)
    if spec.kind not in CHECKPOINT_KINDS or not spec.argument:
        return None
    path = Path(spec.argument).expanduser() / TRAINING_RECORD
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"not valid JSON: {error}", file=str(path)) from error
    style = record.get("prompt_style") if isinstance(record, dict) else None
    if style is not None and not isinstance(style, str):
        raise DataError("must name a prompting style", file=str(path), field="prompt_style")
    return style
