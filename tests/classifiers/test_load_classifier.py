from __future__ import annotations

from pathlib import Path

import pytest

from act_bench.classifiers import ActionClassifier, HeuristicClassifier, load_classifier
from act_bench.classifiers.llm import GENERIC_EXAMPLES, LLMClassifier
from act_bench.errors import ConfigError
from act_bench.types import Action


def test_heuristic_by_name() -> None:
    classifier = load_classifier("heuristic", task=None)
    assert isinstance(classifier, HeuristicClassifier)
    assert isinstance(classifier, ActionClassifier)


def test_backend_spec_gives_an_llm_classifier_with_the_seed() -> None:
    # "scripted" is registered as a backend kind by tests/helpers.py (autouse fixture).
    classifier = load_classifier("scripted:fixed", task=None, seed=3)
    assert isinstance(classifier, LLMClassifier)
    assert classifier.spec == "scripted:fixed"
    assert classifier.sampling.seed == 3
    assert classifier.examples == GENERIC_EXAMPLES


@pytest.mark.parametrize(("spec", "suggestion"), [("heuristc", "heuristic"), ("smolm2", "smollm2")])
def test_unknown_name_lists_known_names_and_a_close_match(spec: str, suggestion: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_classifier(spec, task=None)
    assert "heuristic" in str(error.value) and "smollm2" in str(error.value)
    assert error.value.hint == f"did you mean {suggestion!r}?"


def test_heuristic_takes_no_argument() -> None:
    with pytest.raises(ConfigError):
        load_classifier("heuristic:strict", task=None)


@pytest.mark.slow
def test_smollm2_classifier_returns_actions() -> None:
    if not (Path(__file__).resolve().parents[2] / "act_bench/backends/smollm2.py").exists():
        pytest.skip("the smollm2 backend is not there yet")
    from act_bench.classifiers import ClassificationInput
    from act_bench.classifiers.heuristic import HeuristicClassifier
    from act_bench.classifiers.llm import parse_verdict
    from act_bench.types import Prompt

    prompt = Prompt("Table: Year | Revenue\n2019 | 5\n2018 | 4", (), "What was the revenue?")
    items = [
        ClassificationInput(prompt, "Which year are you asking about?"),
        ClassificationInput(prompt, "['5']"),
    ]
    classifier = load_classifier("smollm2", task=None)
    verdicts = []
    generate = classifier.backend.generate

    def recording(conversations, sampling):
        generations = generate(conversations, sampling)
        verdicts.extend(None if g.error else parse_verdict(g.text) for g in generations)
        return generations

    classifier.backend.generate = recording
    actions = classifier.classify(items)
    assert len(actions) == 2 and all(isinstance(a, Action) for a in actions)
    # an item falls back to the heuristic exactly when its verdict names no action
    assert classifier.fallbacks == verdicts.count(None)
    heuristic = HeuristicClassifier().classify(items)
    for action, verdict, fallback in zip(actions, verdicts, heuristic, strict=True):
        assert action is (fallback if verdict is None else verdict)
    assert classifier.backend.usage.completion_tokens > 0
