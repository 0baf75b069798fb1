"""The command line: eval, score, tasks, and clear errors for bad input."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from act_bench.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_tasks_lists_pacific():
    result = invoke("tasks")
    assert result.exit_code == 0
    assert "pacific" in result.output and "trajectory_drop_f1" in result.output


def test_eval_writes_results_and_samples(tmp_path, data_dir):
    out = tmp_path / "run"
    result = invoke(
        "eval", "--model", "scripted", "--data-dir", str(data_dir),
        "--limit", "6", "--output-dir", str(out), "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["status"] == "complete"
    assert {
        "action_accuracy",
        "action_macro_f1",
        "turn_drop_f1",
        "trajectory_drop_f1",
        "post_clarify_drop_f1",
        # the other DROP F1 mode beside the protocol's (act-bench: PACIFIC's)
        "turn_drop_f1_act",
        "trajectory_drop_f1_act",
        "post_clarify_drop_f1_act",
    } <= set(results["metrics"])
    assert results["protocol"] == "act-bench" and results["config"]["protocol"] == "act-bench"
    assert results["config"]["max_new_tokens"] == 64 and results["config"]["max_turns"] == 3
    assert results["counts"]["n_no_answer"] >= 0 and results["counts"]["n_excluded_selection"] == 0
    assert results["simulator"] == "gold" and results["action_classifier"] == "heuristic"
    assert results["model"] == "scripted" and results["n_items"] == 6
    assert results["config"]["limit"] == 6 and len(results["config_hash"]) == 64
    assert results["usage"]["policy"]["prompts"] >= 6
    assert results["usage"]["policy"]["spec"] == "scripted"
    lines = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(lines) == 6
    assert {"id", "trajectory", "predicted_action", "gold_action", "turn_score"} <= set(lines[0])


def test_score_agrees_with_eval(tmp_path, data_dir):
    out = tmp_path / "run"
    evaluated = invoke(
        "eval", "--model", "scripted", "--data-dir", str(data_dir),
        "--limit", "15", "--output-dir", str(out), "--quiet",
    )  # fmt: skip
    assert evaluated.exit_code == 0, evaluated.output
    metrics = json.loads((out / "results.json").read_text())["metrics"]

    predictions = tmp_path / "predictions.jsonl"
    with predictions.open("w") as handle:
        for line in (out / "samples.jsonl").read_text().splitlines():
            sample = json.loads(line)
            handle.write(
                json.dumps({"id": sample["id"], "prediction": sample["prediction"]}) + "\n"
            )
    scored = invoke(
        "score", "--task", "pacific", "--predictions", str(predictions),
        "--data-dir", str(data_dir), "--json",
    )  # fmt: skip
    assert scored.exit_code == 0, scored.output
    rescored = json.loads(scored.output.strip().splitlines()[-1])
    assert rescored["turn_drop_f1"] == metrics["turn_drop_f1"]
    assert rescored["action_macro_f1"] == metrics["action_macro_f1"]
    assert rescored["action_accuracy"] == metrics["action_accuracy"]


def copy_pacific(data_dir, tmp_path):
    root = tmp_path / "data"
    (root / "pacific").mkdir(parents=True)
    shutil.copy(data_dir / "pacific" / "validation.json", root / "pacific" / "validation.json")
    return root


def test_truncated_json_fails_naming_the_file(tmp_path, data_dir):
    root = copy_pacific(data_dir, tmp_path)
    path = root / "pacific" / "validation.json"
    path.write_bytes(path.read_bytes()[:5000])
    result = invoke("eval", "--model", "scripted", "--data-dir", str(root), "--limit", "2")
    assert result.exit_code == 2
    assert "validation.json" in result.output


def test_question_without_answer_fails_naming_the_record(tmp_path, data_dir):
    root = copy_pacific(data_dir, tmp_path)
    path = root / "pacific" / "validation.json"
    conversations = json.loads(path.read_text())
    broken = conversations[3]["questions"][1]
    del broken["answer"]
    path.write_text(json.dumps(conversations))
    result = invoke("eval", "--model", "scripted", "--data-dir", str(root), "--limit", "2")
    assert result.exit_code == 2
    assert "validation.json" in result.output and broken["uid"] in result.output
    assert "answer" in result.output


def test_missing_split_names_the_download_command(tmp_path):
    (tmp_path / "pacific").mkdir()
    result = invoke("eval", "--data-dir", str(tmp_path), "--split", "train")
    assert result.exit_code == 2
    assert "train.json" in result.output and "act-bench data download pacific" in result.output


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--task", "pacifc", "did you mean 'pacific'"),
        ("--model", "smolm2", "did you mean 'smollm2'"),
    ],
)
def test_unknown_names_get_the_closest_match(tmp_path, flag, value, expected):
    result = invoke("eval", flag, value, "--output-dir", str(tmp_path / "r"))
    assert result.exit_code == 2
    assert expected in result.output


def test_compare_help_says_what_its_seed_seeds():
    result = CliRunner().invoke(app, ["compare", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "bootstrap resamples" in result.output
    assert "simulators" not in result.output  # compare samples no model


def test_leaderboard_show_help_names_the_protocol_grouping():
    result = CliRunner().invoke(app, ["leaderboard", "show", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "one table per (protocol, simulator," in result.output
