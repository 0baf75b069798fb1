"""Simulator and classifier prompts hashed into results.json and the config hash."""

from __future__ import annotations

import act_bench.classifiers.llm as classifier_module
from act_bench.classifiers import HeuristicClassifier
from act_bench.classifiers.llm import GENERIC_EXAMPLES, LLMClassifier
from act_bench.prompt_provenance import prompt_fingerprint
from act_bench.simulators import GoldSimulator
from act_bench.simulators.llm import GENERIC_EXAMPLES as SIMULATOR_EXAMPLES
from act_bench.simulators.llm import LLMSimulator


def test_fingerprint_follows_templates_and_examples(monkeypatch) -> None:
    base = prompt_fingerprint(LLMClassifier(None, GENERIC_EXAMPLES, spec="x"))  # type: ignore[arg-type]
    assert base is not None and len(base) == 64
    # the model and seed are not the prompt
    assert base == prompt_fingerprint(LLMClassifier(None, GENERIC_EXAMPLES, spec="y", seed=4))  # type: ignore[arg-type]
    fewer = prompt_fingerprint(LLMClassifier(None, GENERIC_EXAMPLES[:-1], spec="x"))  # type: ignore[arg-type]
    assert fewer != base
    monkeypatch.setattr(classifier_module, "INSTRUCTION", classifier_module.INSTRUCTION + " ")
    assert prompt_fingerprint(LLMClassifier(None, GENERIC_EXAMPLES, spec="x")) != base  # type: ignore[arg-type]
    simulator = prompt_fingerprint(LLMSimulator(None, SIMULATOR_EXAMPLES, spec="x"))  # type: ignore[arg-type]
    assert simulator not in (None, base)


def test_components_without_a_prompt_have_no_fingerprint() -> None:
    assert prompt_fingerprint(GoldSimulator()) is None
    assert prompt_fingerprint(HeuristicClassifier()) is None
