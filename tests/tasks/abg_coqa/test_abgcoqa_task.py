"""The Abg-CoQA task: registration, similarity scoring, metrics, one trajectory per
interpretation with the gold simulator, eval and score, and the in-context examples."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from act_bench_tasks.abg_coqa import AbgCoqaTask, task
from act_bench_tasks.abg_coqa.fewshot import classifier_examples, simulator_examples
from helpers import ScriptedBackend
from typer.testing import CliRunner

from act_bench.backends import SamplingParams
from act_bench.classifiers import ClassificationInput, HeuristicClassifier
from act_bench.classifiers.llm import examples_for as classifier_examples_for
from act_bench.cli import app
from act_bench.episode import episodes_for, simulate_trajectories
from act_bench.evaluation import EvalConfig, run_evaluation, score_episode
from act_bench.metrics.clarification import CLARIFICATION_METRICS
from act_bench.metrics.similarity import default_model_path, get_embedder
from act_bench.scoring import score_predictions
from act_bench.simulators import GoldSimulator, SimulationRequest
from act_bench.simulators.llm import LLMSimulator, examples_for
from act_bench.task import Task, get_task, turn_states
from act_bench.types import (
    Action,
    EpisodeRecord,
    Message,
    Role,
    Speaker,
    StopReason,
    Trajectory,
    TrajectoryTurn,
)

# Table A26's opening: the conversation is about the story that follows.
OPENING = (
    "The following is a snippet from a conversation between an Assistant and a User who "
    "is asking some questions about the Story below."
)


@pytest.fixture(scope="module")
def sample():
    return {state.id: state for state in turn_states(task.load("validation", None))}


@pytest.fixture
def no_data_env(monkeypatch):
    """Make eval and score read the bundled sample."""
    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)


BUY = "actbench-sample-lighthouse|5|2"  # ambiguous: Rosa's purchase or Maya's
STEPS = "actbench-sample-lighthouse|3|2"  # answer "112"
FIRE = "actbench-sample-glassworks|6|1"  # ambiguous, three interpretations


def test_registered_through_the_entry_point():
    found = get_task("abg-coqa")
    assert isinstance(found, AbgCoqaTask) and isinstance(found, Task)
    assert found.headline_metric == "trajectory_similarity"
    assert found.splits == ("train", "validation", "test")


def test_score_turn_against_the_gold_response(sample):
    state = sample[BUY]
    assert task.score_turn("Do you mean Rosa?", state) == pytest.approx(1.0, abs=1e-5)
    close = task.score_turn("Do you mean what Rosa bought?", state)
    answer = task.score_turn("fresh bread and a bag of lemons", state)
    assert close > 0.7 and answer < 0.4
    assert task.score_turn("", state) == 0.0
    assert task.score_turn("112", sample[STEPS]) == pytest.approx(1.0, abs=1e-5)


def test_score_outcome_against_each_interpretation(sample):
    rosa, maya = sample[BUY].goals
    outcome = "Maya bought a postcard for Leo."
    assert task.score_outcome(outcome, maya) > 0.7
    assert task.score_outcome(outcome, rosa) < 0.3
    assert task.score_outcome("Fresh bread and a bag of lemons.", rosa) == pytest.approx(1.0)


def test_scores_lie_in_zero_one(sample):
    # Cosine similarity can be slightly negative for unrelated text; scores are floored at 0.
    state = sample[STEPS]
    for text in ("The weather in Paris is sunny today.", "Quarterly revenue grew by 12 percent."):
        assert 0.0 <= task.score_turn(text, state) <= 1.0


def test_prepare_scoring_embeds_the_gold_texts_up_front(sample):
    embedder = task.embedder
    task.prepare_scoring([sample[FIRE]], ["a response nobody wrote before"])
    encoded = embedder.encoded
    task.score_turn("a response nobody wrote before", sample[FIRE])
    for goal in sample[FIRE].goals:
        task.score_outcome(goal.answer, goal)
    assert embedder.encoded == encoded


def test_embedding_model_option(monkeypatch):
    path = str(default_model_path())
    assert AbgCoqaTask().embedding_model is None
    assert AbgCoqaTask(embedding_model=path).embedder.model_name == path
    monkeypatch.setenv("ACT_BENCH_EMBEDDING_MODEL", "some/other-model")
    assert AbgCoqaTask().embedding_model == "some/other-model"
    assert AbgCoqaTask(embedding_model=path).embedding_model == path
    assert get_embedder() is not AbgCoqaTask().embedder


def _record(state, goal_index, action, turn_score, trajectory_score) -> EpisodeRecord:
    trajectory = Trajectory((TrajectoryTurn(Speaker.POLICY, "y", action),), StopReason.ANSWERED)
    return EpisodeRecord(
        id=f"{state.id}#g{goal_index}",
        turn_state_id=state.id,
        conversation_id=state.conversation_id,
        goal_index=goal_index,
        gold_action=state.gold_action,
        predicted_action=action,
        gold_response=state.gold_response,
        goal=state.goals[goal_index],
        trajectory=trajectory,
        turn_score=turn_score,
        trajectory_score=trajectory_score,
    )


def test_metrics_turn_per_unique_prompt_and_trajectory_per_interpretation(sample):
    records = [
        _record(sample[BUY], 0, Action.CLARIFY, 0.8, 1.0),
        _record(sample[BUY], 1, Action.CLARIFY, 0.8, 0.2),
        _record(sample[STEPS], 0, Action.CLARIFY, 0.5, 0.5),
    ]
    metrics = task.metrics(records)
    assert metrics == {
        "action_accuracy": pytest.approx(66.6667),
        "action_macro_f1": pytest.approx(40.0),  # F1(CLARIFY) 0.8, F1(ANSWER) 0
        "turn_similarity": pytest.approx(65.0),  # mean of 0.8 (one prompt) and 0.5
        "trajectory_similarity": pytest.approx(56.6667),  # mean of 1.0, 0.2 and 0.5
    }


def _answer_by_interpretation(sample_state):
    """A policy that asks the recorded question, then answers the interpretation it hears."""
    answers = {goal.clarification: goal.answer for goal in sample_state.goals}

    def script(messages: Sequence[Message]) -> str:
        last = messages[-1].content
        if last == sample_state.prompt.request:
            return sample_state.gold_response
        return answers.get(last, "I do not know.")

    return script


@pytest.mark.parametrize("item", [BUY, FIRE])
def test_one_trajectory_per_interpretation_with_the_gold_simulator(sample, item):
    state = sample[item]
    episodes = episodes_for([state])
    simulator = GoldSimulator()
    trajectories = simulate_trajectories(
        episodes,
        policy=ScriptedBackend(_answer_by_interpretation(state)),
        render=task.render_messages,
        classifier=HeuristicClassifier(),
        simulator=simulator,
        sampling=SamplingParams(max_new_tokens=16),
    )
    assert len(trajectories) == len(state.goals) >= 2
    for goal, trajectory in zip(state.goals, trajectories, strict=True):
        assert [t.speaker for t in trajectory.turns] == [Speaker.POLICY, Speaker.USER] * 1 + [
            Speaker.POLICY
        ]
        assert trajectory.turns[0].action is Action.CLARIFY
        assert trajectory.turns[1].text == goal.clarification  # the interpretation's clr_ans
        assert trajectory.outcome == goal.answer
    assert simulator.replayed == len(state.goals)
    records = [score_episode(task, e, t) for e, t in zip(episodes, trajectories, strict=True)]
    assert [r.id for r in records] == [f"{item}#g{k}" for k in range(len(state.goals))]
    assert all(r.trajectory_score == pytest.approx(1.0) for r in records)
    assert all(r.turn_score == pytest.approx(1.0, abs=1e-5) for r in records)


def test_gold_simulator_restates_the_interpretation_when_asked_again(sample):
    state = sample[BUY]
    request = SimulationRequest(state, state.goals[1], state.prompt, "Sorry, which one?", round=1)
    [reply] = GoldSimulator().reply([request])
    assert reply == state.goals[1].request
    assert "No, I mean what Maya bought." in reply and "What did they buy?" in reply


def test_eval_on_the_sample_reports_the_four_metrics(tmp_path, no_data_env):
    config = EvalConfig(task="abg-coqa", model="scripted", output_dir=str(tmp_path / "run"))
    result = run_evaluation(config, show_progress=False)
    assert set(result.metrics) == {
        "action_accuracy",
        "action_macro_f1",
        "turn_similarity",
        "trajectory_similarity",
        *CLARIFICATION_METRICS,
    }
    assert result.counts["n_items"] == 13 and result.counts["n_turn_states"] == 9
    assert result.counts["n_gold_clarify"] == 7
    written = json.loads((tmp_path / "run" / "results.json").read_text())
    assert written["headline_metric"] == "trajectory_similarity"
    assert written["metrics"] == result.metrics
    replies = {
        r.id: r.trajectory.turns[1].text for r in result.records if len(r.trajectory.turns) > 1
    }
    assert replies[f"{BUY}#g0"] == "Yes." and replies[f"{BUY}#g1"] == "No, I mean what Maya bought."


def test_score_predictions_by_item_id(tmp_path, sample, no_data_env):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        "".join(
            json.dumps({"id": s.id, "prediction": s.gold_response}) + "\n" for s in sample.values()
        )
    )
    metrics = score_predictions("abg-coqa", gold)
    assert metrics["action_accuracy"] == 100.0 and metrics["action_macro_f1"] == 100.0
    assert metrics["turn_similarity"] == pytest.approx(100.0, abs=1e-3)
    assert set(metrics) == {"action_accuracy", "action_macro_f1", "turn_similarity"}

    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(json.dumps({"id": BUY, "prediction": "fresh bread"}) + "\n")
    result = CliRunner().invoke(
        app, ["score", "--task", "abg-coqa", "--predictions", str(wrong)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "turn_similarity" in result.output and "action_accuracy" in result.output


def test_score_rejects_an_unknown_id(tmp_path, no_data_env):
    predictions = tmp_path / "p.jsonl"
    predictions.write_text(json.dumps({"id": "nope|1|1", "prediction": "x"}) + "\n")
    result = CliRunner().invoke(
        app, ["score", "--task", "abg-coqa", "--predictions", str(predictions)]
    )
    assert result.exit_code != 0
    assert "'nope|1|1' is not a turn state of abg-coqa/validation" in result.output


# --- in-context examples --------------------------------------------------------------


def test_classifier_examples_follow_app_g():
    examples = classifier_examples()
    assert len(examples) == 10
    assert sum(e.action is Action.CLARIFY for e in examples) == 4
    assert all(e.prompt.grounding.startswith("[story]\n") for e in examples)
    assert classifier_examples_for(task) == tuple(examples)
    # The labels are consistent with what the heuristic classifier reads off the text.
    verdicts = HeuristicClassifier().classify(
        [ClassificationInput(e.prompt, e.response) for e in examples]
    )
    assert verdicts == [e.action for e in examples]


def test_simulator_examples_follow_tables_a25_a26():
    examples = simulator_examples()
    assert examples_for(task) == examples
    assert examples.opening == OPENING  # Table A26's opening, not the generic one
    assert len(examples.intent) == len(examples.reply) == 3
    for intent in examples.intent:
        assert intent.summary.startswith("The user wants to know: 1.")
        assert intent.dialogue[-1].role is Role.USER and "I answer:" in intent.dialogue[-1].content
    for reply in examples.reply:
        assert reply.dialogue[-1].role is Role.ASSISTANT and reply.reply


def test_llm_simulator_prompts_use_the_story_opening(sample):
    state = sample[BUY]

    def script(messages: Sequence[Message]) -> str:
        if "Summarize" in messages[-1].content:
            return "The user wants to know: 1. What Maya bought at the market."
        return "No, what Maya bought."

    backend = ScriptedBackend(script)
    simulator = LLMSimulator(backend, examples_for(task))
    request = SimulationRequest(state, state.goals[1], state.prompt, "Do you mean Rosa?", round=0)
    assert simulator.reply([request]) == ["No, what Maya bought."]
    summary_chat, reply_chat = backend.batches[0][0], backend.batches[1][0]
    item = summary_chat[-1].content
    assert item.startswith(f"{OPENING} Summarize what information the User is looking for.")
    assert "[story]\nEvery summer Maya" in item
    assert item.endswith(f"User: {state.goals[1].request}")
    assert len(summary_chat) == len(reply_chat) == 1 + 2 * 3 + 1
    assert reply_chat[-1].content.startswith(
        f"{OPENING} The user wants to know: 1. What Maya bought at the market."
    )
    assert reply_chat[-1].content.endswith("Assistant: Do you mean Rosa?\nUser:")
