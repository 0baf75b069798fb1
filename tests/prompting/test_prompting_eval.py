"""A prompting style in the episode loop and in ``run_evaluation``."""

from __future__ import annotations

import json

from act_bench_tasks.pacific import task
from helpers import EchoSimulator, QuestionMarkClassifier, ScriptedBackend

from act_bench.backends import SamplingParams
from act_bench.episode import episodes_for, simulate_trajectories
from act_bench.evaluation import EvalConfig, run_evaluation
from act_bench.prompting import build_styled_prompt, get_prompt_style
from act_bench.types import Action, Role


def cot_script(messages):
    """Clarifies the first time, answers after the user's reply, always with reasoning."""
    if any(m.role is Role.ASSISTANT and "Which year" in m.content for m in messages[-2:]):
        return "Reasoning: The user’s question is not ambiguous.\nAssistant: 27,899"
    return "Reasoning: The user’s question was ambiguous.\nAssistant: Which year do you mean?"


def test_the_parsed_utterance_is_classified_shown_to_the_user_and_scored():
    state = task.load("validation", None)[0].turn_states[1]
    styled = build_styled_prompt(task, get_prompt_style("cot"))
    backend = ScriptedBackend(cot_script)
    simulator = EchoSimulator("2023")
    [trajectory] = simulate_trajectories(
        episodes_for([state]),
        policy=backend,
        render=styled,
        parse_response=styled.final_utterance,
        classifier=QuestionMarkClassifier(),
        simulator=simulator,
        sampling=SamplingParams(max_new_tokens=8),
    )
    first, reply, answer = trajectory.turns
    assert (first.text, first.action) == ("Which year do you mean?", Action.CLARIFY)
    assert first.raw_text.startswith("Reasoning: The user’s question was ambiguous.")
    assert simulator.requests[0].clarifying_question == "Which year do you mean?"
    assert (answer.text, answer.action, trajectory.outcome) == ("27,899", Action.ANSWER, "27,899")
    # The second policy query shows the clarification in the CoT format, not the raw output.
    second_query = backend.batches[1][0]
    assert second_query[-2].content == (
        "Reasoning: The user’s question was ambiguous.\nAssistant: Which year do you mean?"
    )
    assert trajectory.to_json()["turns"][0]["raw_text"] == first.raw_text


def test_results_record_the_style_and_the_chosen_shots(tmp_path):
    config = EvalConfig(
        model="scripted",
        limit=2,
        prompt_style="proactive",
        num_shots=1,
        output_dir=str(tmp_path / "run"),
    )
    result = run_evaluation(config, show_progress=False)
    prompting = json.loads((tmp_path / "run" / "results.json").read_text())["prompting"]
    assert prompting["style"] == "proactive"
    assert prompting["shots"]["used"] == 1 and prompting["shots"]["pool"] == "bundled-sample"
    evaluated = {record.conversation_id for record in result.records}
    assert not set(prompting["shots"]["conversation_ids"]) & evaluated
    assert result.results["config"]["prompt_style"] == "proactive"
