"""A trained checkpoint is evaluated in the prompting style it was trained in, by default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from act_bench.errors import DataError
from act_bench.evaluation import EvalConfig
from act_bench.training_record import trained_prompt_style


def _checkpoint(tmp_path: Path, record: dict) -> str:
    (tmp_path / "training_config.json").write_text(json.dumps(record))
    return f"hf:{tmp_path}"


def test_eval_of_an_irpo_checkpoint_uses_its_cot_style_unless_told(tmp_path: Path) -> None:
    model = _checkpoint(tmp_path, {"method": "irpo", "prompt_style": "cot"})
    assert trained_prompt_style(model) == "cot"
    assert EvalConfig(model=model).resolved().prompt_style == "cot"
    assert EvalConfig(model=model, prompt_style="standard").resolved().prompt_style == "standard"
    assert EvalConfig(model=f"vllm:{tmp_path}").resolved().prompt_style == "cot"


def test_other_models_and_older_records_default_to_standard(tmp_path: Path) -> None:
    assert EvalConfig(model="smollm2").resolved().prompt_style == "standard"
    older = _checkpoint(tmp_path, {"method": "sft"})
    assert trained_prompt_style(older) is None
    assert EvalConfig(model=older).resolved().prompt_style == "standard"
    assert EvalConfig(model=f"hf:{tmp_path / 'absent'}").resolved().prompt_style == "standard"


def test_a_malformed_record_names_the_file_and_field(tmp_path: Path) -> None:
    model = _checkpoint(tmp_path, {"prompt_style": 3})
    with pytest.raises(DataError, match="prompt_style") as error:
        trained_prompt_style(model)
    assert error.value.file == str(tmp_path / "training_config.json")
