"""The AmbigSQL task: loading, the prompt of Tables A15/A16, scoring, metrics, evaluation."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from act_bench_tasks.ambigsql import task
from act_bench_tasks.ambigsql.builder import BuildConfig, build_ambigsql
from act_bench_tasks.ambigsql.prompt import INSTRUCTION, linearize_schema, render_messages
from act_bench_tasks.ambigsql.spider import read_schemas

from act_bench.errors import ConfigError, DataError
from act_bench.evaluation import EvalConfig, run_evaluation
from act_bench.types import Action, Message, Role, Speaker

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ACT_BENCH_UPDATE_GOLDEN") == "1"


def as_text(messages: list[Message]) -> str:
    return "".join(f"=== {m.role.value} ===\n{m.content}\n" for m in messages)


@pytest.fixture
def built(fixture_spider, tmp_path) -> Path:
    """A data root holding ``ambigsql/`` built from the fixture (its Spider folder elsewhere)."""
    root = tmp_path / "data"
    config = BuildConfig(spider_dir=str(fixture_spider), out_dir=str(root / "ambigsql"))
    build_ambigsql(config, show_progress=False)
    return root


def test_sample_loads_first_turns_balanced_with_databases():
    conversations = task.load("validation", None)
    states = [c.turn_states[0] for c in conversations]
    assert all(len(c.turn_states) == 1 for c in conversations)
    assert [s.gold_action for s in states[:2]] == [Action.ANSWER, Action.CLARIFY]
    assert sum(s.gold_action is Action.CLARIFY for s in states) * 2 == len(states)
    for state in states:
        assert Path(state.goals[0].metadata["db_path"]).is_file()
        assert state.goals[0].answer.upper().startswith("SELECT")
    assert task.skipped("validation", None) == {}


def test_followups_hold_the_clarification_exchange():
    loaded = task.load_conversations("validation", None, include_followups=True)
    ambiguous = [c for c in loaded.conversations if len(c.turn_states) == 2]
    t1, t2 = ambiguous[0].turn_states
    assert t2.gold_action is Action.ANSWER and t2.gold_response == t1.goals[0].answer
    assert [m.content for m in t2.prompt.history] == [t1.prompt.request, t1.gold_response]
    assert t2.prompt.request == t1.goals[0].clarification == t1.goals[0].request


def test_examples_without_a_database_are_skipped_and_counted(built):
    states = [
        s
        for split in ("validation", "test")
        for c in task.load(split, built)
        for s in c.turn_states
    ]
    assert {Path(s.goals[0].metadata["db_path"]).parent.name for s in states} == {
        "bakery_chain",
        "mountain_huts",
    }
    skipped = [task.skipped(split, built) for split in ("validation", "test")]
    assert sorted(skipped, key=len) == [{}, {"missing_database": 6}]


def test_databases_are_found_under_the_data_root_too(built, fixture_spider):
    (built / "ambigsql" / "stats.json").unlink()  # no record of where it was built from
    assert task.load("train", built) == []  # ...and no Spider folder beside it
    assert task.skipped("train", built) == {"missing_database": 16}
    fixture_spider.rename(built / "spider")
    assert len(task.load("train", built)) == 16
    assert task.skipped("train", built) == {}


def test_missing_split_names_the_build_command(tmp_path):
    (tmp_path / "spider").mkdir()
    with pytest.raises(DataError) as raised:
        task.load("validation", tmp_path)
    assert "build-ambigsql" in raised.value.hint and "download" not in raised.value.hint
    with pytest.raises(DataError) as raised:
        task.load("validation", tmp_path / "elsewhere")
    assert "data download spider" in raised.value.hint
    with pytest.raises(ConfigError) as raised:
        task.load("valdation", None)
    assert raised.value.hint == "did you mean 'validation'?"


def test_scores_execute_the_sql_of_a_response():
    state = task.load("validation", None)[0].turn_states[0]
    gold = state.goals[0].answer
    assert task.score_turn(gold, state) == 1.0
    assert (
        task.score_outcome(f"Sure:\n```sql\n{gold}\n```\nThis lists them.", state.goals[0]) == 1.0
    )
    assert task.score_outcome("SELECT Title FROM book", state.goals[0]) == 0.0
    assert task.score_outcome("Which author do you mean?", state.goals[0]) == 0.0
    assert task.score_outcome("DROP TABLE book", state.goals[0]) == 0.0


def test_prompt_matches_golden_file():
    # The clarified turn of the first ambiguous sample conversation: instruction, schema,
    # the ambiguous request, the clarifying question, the clear request.
    loaded = task.load_conversations("validation", None, include_followups=True)
    state = next(c for c in loaded.conversations if len(c.turn_states) == 2).turn_states[1]
    rendered = as_text(task.render_messages(state.prompt))
    golden = GOLDEN / "ambigsql_prompt.txt"
    if UPDATE:
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


def test_schema_is_one_line_per_table_with_keys():
    from act_bench_tasks.ambigsql.bundled import SAMPLE_SPIDER_DIR

    schema = read_schemas(SAMPLE_SPIDER_DIR / "tables.json")["harbour_ferries"]
    lines = linearize_schema(schema).splitlines()
    assert lines[0] == "[Database Schema]" and lines[1] == "database : harbour_ferries"
    assert (
        lines[2]
        == "port : Port_ID (number) , Name (text) , Town (text) , Country (text) , Berths (number)"
    )
    assert lines[-2] == "[Primary Keys]: port : Port_ID | ferry : Ferry_ID | crossing : Crossing_ID"
    assert "crossing : Ferry_ID equals ferry : Ferry_ID" in lines[-1]
    messages = render_messages(task.load("validation", None)[0].turn_states[0].prompt)
    assert messages[0].role is Role.SYSTEM and messages[0].content.startswith(
        f"[Instruction]\n{INSTRUCTION}"
    )


def _oracle(records: list[dict]):
    """A policy that asks the gold question for an ambiguous request and answers a clear one
    with the gold SQL in a fenced block."""
    replies = {}
    for record in records:
        if record["ambiguous"]:
            replies[record["ambiguous_request"]] = record["clarifying_question"]
        replies[record["clear_request"]] = f"Here it is:\n```sql\n{record['gold_sql']}\n```"

    def script(messages):
        return replies[messages[-1].content]

    return script


def test_evaluation_reports_the_four_metrics(tmp_path, monkeypatch):
    from act_bench_tasks.ambigsql.bundled import SAMPLE_DIR
    from helpers import ScriptedBackend

    import act_bench.evaluation as evaluation

    records = [
        json.loads(line) for line in (SAMPLE_DIR / "validation.jsonl").read_text().splitlines()
    ]
    backend = ScriptedBackend(_oracle(records))
    monkeypatch.setattr(evaluation, "shared_backend", lambda spec, options: backend)
    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)  # the bundled sample
    config = EvalConfig(task="ambigsql", model="scripted", output_dir=str(tmp_path / "run"))
    result = run_evaluation(config, show_progress=False)
    question_similarity = result.metrics.pop("question_similarity")
    assert result.metrics == {
        "action_accuracy": 100.0,
        "action_macro_f1": 100.0,
        "turn_execution_match": 50.0,
        "execution_match": 100.0,
        "post_clarify_execution_match": 100.0,
        # the oracle asks on every ambiguous request (once) and on no clear one
        "over_clarification_rate": 0.0,
        "under_clarification_rate": 0.0,
        "clarify_precision": 100.0,
        "clarify_recall": 100.0,
        "clarify_f1": 100.0,
        "mean_clarification_rounds": 0.5,  # 6 questions over 12 items
        "never_answered_rate": 0.0,
        "ambiguous_score_asked": 100.0,
        "ambiguous_score_direct": None,  # it never answered an ambiguous request directly
        "interpretation_coverage": None,  # one goal per item
    }
    assert 0.0 <= question_similarity <= 100.0
    assert result.counts["n_clarified"] == result.counts["n_gold_clarify"] == 6
    clarified = next(r for r in result.records if r.trajectory.clarified)
    user_reply = next(t for t in clarified.trajectory.turns if t.speaker is Speaker.USER)
    # the gold replay answers with the clear request
    assert user_reply.text == clarified.goal.request
    written = json.loads((tmp_path / "run" / "results.json").read_text())
    assert written["skipped"] == {} and written["headline_metric"] == "execution_match"


def test_evaluation_records_skipped_items(built, tmp_path, monkeypatch):
    from helpers import ScriptedBackend

    import act_bench.evaluation as evaluation

    backend = ScriptedBackend(lambda messages: "SELECT 1")
    monkeypatch.setattr(evaluation, "shared_backend", lambda spec, options: backend)
    skipped = {}
    for split in ("validation", "test"):
        config = EvalConfig(
            task="ambigsql",
            model="scripted",
            split=split,
            data_dir=str(built),
            output_dir=str(tmp_path / split),
        )
        result = run_evaluation(config, show_progress=False)
        skipped[split] = result.results["skipped"]
        assert result.metrics["execution_match"] == 0.0
    assert {"missing_database": 6} in skipped.values()
