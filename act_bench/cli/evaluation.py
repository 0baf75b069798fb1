"""`act-bench eval` and `act-bench score`."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from act_bench.cli.app import app
from act_bench.cli.common import (
    DataDir,
    ProtocolOption,
    Seed,
    Split,
    Task,
    console,
    default_output_dir,
    given_on_command_line,
    parameters_from_table,
    print_metrics,
    reports_errors,
    warn_if_sample,
    with_parameters,
)
from act_bench.options import COMMAND_OPTIONS, EVAL_OPTIONS, read_options_file

EVAL_PARAMETERS = [
    inspect.Parameter("context", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context),
    inspect.Parameter(
        "config",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            Path | None,
            typer.Option(
                "--config",
                metavar="FILE.yaml",
                help="Options from a YAML mapping (keys: the option names, e.g. max_new_tokens "
                "or max-new-tokens); flags given on the command line win.",
            ),
        ],
    ),
    *parameters_from_table(EVAL_OPTIONS, defaults={"output_dir": None}),
    *parameters_from_table(COMMAND_OPTIONS),
]


@app.command("eval")
@reports_errors
@with_parameters(EVAL_PARAMETERS)
def eval_command(**values: Any) -> None:
    """Run the interactive evaluation of App. D: respond, classify, simulate the user, score.

    Every option is also a key of the --config YAML file (an EvalConfig field).
    """
    from act_bench.evaluation import EvalConfig, run_evaluation

    context, config_file = values.pop("context"), values.pop("config")
    if config_file is not None:
        from_file = read_options_file(config_file, {**EVAL_OPTIONS, **COMMAND_OPTIONS})
        given = given_on_command_line(context, values)
        values.update({name: value for name, value in from_file.items() if name not in given})
    resume, quiet = values.pop("resume"), values.pop("quiet")
    if values["output_dir"] is None:
        values["output_dir"] = default_output_dir(
            values["task"],
            values["split"],
            values["model"],
            prompt_style=values["prompt_style"],
            num_shots=values["num_shots"],
            protocol=values["protocol"],
        )
    config = EvalConfig(**values)
    task, split, model, data_dir = config.task, config.split, config.model, config.data_dir
    num_trials = config.num_trials
    warn_if_sample(data_dir)
    result = run_evaluation(config, resume=resume, show_progress=not quiet)
    print_metrics(
        f"{task} · {split} · {model}",
        result.metrics,
        result.counts,
        result.results.get("metrics_ci"),
    )
    pass_k = result.results.get("pass_k") or {}
    if num_trials > 1 and pass_k:
        shown = ", ".join(
            f"pass^{k} {pass_k['pass_hat'][k]} · pass@{k} {pass_k['pass_at'][k]}"
            for k in pass_k["pass_hat"]
        )
        console.print(escape(f"{num_trials} trials (success: score > {pass_k['tolerance']}): "))
        console.print(escape(shown))
    if result.retried:
        console.print(
            f"resumed: ran {result.retried} item(s) again that had ended in a backend error"
        )
    if result.results["status"] == "incomplete":
        console.print(
            f"incomplete: {result.counts['n_backend_errors']} item(s) ended in a backend error;"
            " run the same command with --resume to retry them"
        )
    console.print(escape(f"results: {result.output_dir / 'results.json'}"))


@app.command("score")
@reports_errors
def score_command(
    predictions: Annotated[
        Path, typer.Option(help='JSONL of {"id": ..., "prediction": ...} lines.')
    ],
    task: Task = "pacific",
    split: Split = "validation",
    data_dir: DataDir = None,
    action_classifier: Annotated[
        str, typer.Option(help="Action classifier for the action metrics.")
    ] = "heuristic",
    seed: Seed = 0,
    protocol: ProtocolOption = "act-bench",
    mode: Annotated[
        str | None,
        typer.Option(
            help="DROP F1 variant under the headline names: act (the ACT authors' get_metrics) "
            "or pacific (PACIFIC's evaluator); default: the protocol's. Both are reported."
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Re-score saved turn-level predictions (an eval run's samples.jsonl works too)."""
    from act_bench.scoring import score_predictions

    metrics = score_predictions(
        task,
        predictions,
        split=split,
        data_dir=data_dir,
        action_classifier=action_classifier,
        seed=seed,
        protocol=protocol,
        mode=mode,
    )
    if json_output:
        print(json.dumps(metrics))
    else:
        print_metrics(f"{task} · {split} · {predictions}", metrics, None)
