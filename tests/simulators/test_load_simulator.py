from __future__ import annotations

import pytest

from act_bench.errors import ConfigError
from act_bench.simulators import GoldSimulator, UserSimulator, load_simulator
from act_bench.simulators.llm import GENERIC_EXAMPLES, LLMSimulator


def test_gold_by_name() -> None:
    simulator = load_simulator("gold", task=None)
    assert isinstance(simulator, GoldSimulator) and isinstance(simulator, UserSimulator)


def test_backend_spec_gives_an_llm_simulator_with_the_seed() -> None:
    # "scripted" is registered as a backend kind by tests/helpers.py (autouse fixture).
    simulator = load_simulator("scripted:fixed", task=None, seed=5)
    assert isinstance(simulator, LLMSimulator)
    assert simulator.spec == "scripted:fixed"
    assert simulator.reply_sampling.seed == 5 and simulator.summary_sampling.seed == 5
    assert simulator.reply_sampling.temperature == 0.0
    assert simulator.examples is GENERIC_EXAMPLES


@pytest.mark.parametrize(("spec", "suggestion"), [("glod", "gold"), ("litelm:x/y", "litellm")])
def test_unknown_name_lists_known_names_and_a_close_match(spec: str, suggestion: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_simulator(spec, task=None)
    assert "gold" in str(error.value) and "hf" in str(error.value)
    assert error.value.hint == f"did you mean {suggestion!r}?"


def test_gold_takes_no_argument() -> None:
    with pytest.raises(ConfigError):
        load_simulator("gold:2019", task=None)


def test_a_model_simulator_samples_at_the_temperature_it_is_given() -> None:
    """Trials (issue 16): evaluation passes the policy's --temperature, so a model
    simulator samples too, each trial with its own seed."""
    simulator = load_simulator("scripted:fixed", task=None, seed=7, temperature=0.7)
    assert simulator.reply_sampling.temperature == 0.7
    assert simulator.summary_sampling.temperature == 0.7
    assert simulator.reply_sampling.seed == 7


def test_a_task_simulator_samples_at_the_temperature_it_is_given() -> None:
    from act_bench.task import get_task

    simulator = load_simulator("scripted", task=get_task("ambigsql"), seed=3, temperature=0.5)
    assert simulator.sampling.temperature == 0.5 and simulator.sampling.seed == 3
