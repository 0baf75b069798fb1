"""The Task contract (act_bench/task.py): the protocol declares every hook, TaskBase gives the
optional ones their defaults, and each task's metric names are data that match its metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import ScriptedBackend

from act_bench.classifiers import load_classifier
from act_bench.classifiers.llm import GENERIC_EXAMPLES as GENERIC_CLASSIFIER_EXAMPLES
from act_bench.errors import ConfigError
from act_bench.simulators import load_simulator
from act_bench.simulators.llm import GENERIC_EXAMPLES as GENERIC_SIMULATOR_EXAMPLES
from act_bench.simulators.llm import LLMSimulator
from act_bench.task import TASKS, Task, TaskBase, TaskDefaults, get_task, task_info, task_names


class MinimalTask(TaskBase):
    """Only the required parts; every optional hook is TaskBase's."""

    name = "minimal"
    description = "a task with nothing optional"
    splits = ("validation",)
    headline_metric = "trajectory_score"
    metric_names = ("action_accuracy", "trajectory_score")
    defaults = TaskDefaults()
    metric_modes: tuple[str, ...] = ()

    def load(self, split, data_dir):
        return []

    def render_messages(self, prompt):
        return []

    def score_turn(self, response, turn_state, mode=None):
        return 0.0

    def score_outcome(self, outcome, goal, mode=None):
        return 0.0

    def metrics(self, records):
        return {"action_accuracy": None, "trajectory_score": None}

    def slice_values(self, turn_state):
        return {}

    def download(self, data_dir: Path) -> list[Path]:
        return []


@pytest.fixture
def registered(monkeypatch):
    """Register tasks for one test only."""
    task_names()  # the installed tasks first, so they do not collide with ours

    def register(name: str, task: object) -> None:
        monkeypatch.setitem(TASKS._entries, name, task)

    return register


def test_the_optional_hooks_default_to_doing_nothing() -> None:
    task = MinimalTask()
    assert isinstance(task, Task)
    assert task.skipped("validation", None) == {}
    assert task.prepare_scoring([], ["a response"]) is None
    assert tuple(task.classifier_examples()) == ()
    assert task.simulator_examples() is None
    assert task.model_simulator(ScriptedBackend(), spec="scripted", seed=0) is None


def test_with_the_defaults_the_model_components_use_the_generic_examples() -> None:
    task = MinimalTask()
    simulator = load_simulator("scripted", task=task, seed=1)
    assert isinstance(simulator, LLMSimulator)
    assert simulator.examples is GENERIC_SIMULATOR_EXAMPLES
    classifier = load_classifier("scripted", task=task)
    assert classifier.examples == GENERIC_CLASSIFIER_EXAMPLES


def test_a_task_overriding_model_simulator_gets_its_own_simulator() -> None:
    sentinel = object()

    class OwnSimulator(MinimalTask):
        def model_simulator(self, backend, *, spec, seed, temperature=0.0):
            return sentinel

    assert load_simulator("scripted", task=OwnSimulator()) is sentinel
    assert load_simulator("gold", task=OwnSimulator()) is not sentinel  # gold replays data


def test_a_task_without_the_hooks_is_refused_with_what_it_lacks(registered) -> None:
    class NoHooks:
        name = "no-hooks"
        description = ""
        splits = ("validation",)
        headline_metric = "score"
        metric_names = ("score",)
        defaults = TaskDefaults()
        metric_modes = ()
        load = render_messages = score_turn = score_outcome = MinimalTask.load
        metrics = slice_values = download = MinimalTask.load

    registered("no-hooks", NoHooks())
    hooks = "skipped, prepare_scoring, classifier_examples, simulator_examples, model_simulator"
    with pytest.raises(ConfigError, match=f"missing: .*{hooks}") as caught:
        get_task("no-hooks")
    assert "TaskBase" in (caught.value.hint or "")


def test_a_headline_outside_the_metric_names_is_refused(registered) -> None:
    class WrongHeadline(MinimalTask):
        headline_metric = "execution_match"

    registered("wrong-headline", WrongHeadline())
    with pytest.raises(ConfigError, match="'execution_match' is not one of its metric_names"):
        get_task("wrong-headline")


@pytest.mark.parametrize("name", ["pacific", "ambigsql", "abg-coqa"])
def test_each_task_declares_the_metrics_it_computes(name) -> None:
    task = get_task(name)
    assert isinstance(task, TaskBase)
    assert tuple(task.metrics([])) == task.metric_names  # same names, same order
    info = task_info(name)
    assert info.metric_names == task.metric_names and info.headline_metric in info.metric_names
    assert info.splits == tuple(task.splits) and info.description == task.description
