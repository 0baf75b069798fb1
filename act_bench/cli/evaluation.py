"""`act-bench eval` and `act-bench score`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from act_bench.cli.app import app
from act_bench.cli.common import (
    CacheDir,
    CacheOption,
    CachePolicy,
    DataDir,
    NumShots,
    NumTrials,
    PrefixCacheOption,
    PromptStyleOption,
    ProtocolOption,
    Seed,
    ShotPool,
    Split,
    Task,
    _print_metrics,
    _warn_if_sample,
    console,
    default_output_dir,
    reports_errors,
)


@app.command("eval")
@reports_errors
def eval_command(
    task: Task = "pacific",
    model: Annotated[
        str,
        typer.Option(
            help="Policy model spec: smollm2 | hf:PATH_OR_ID | litellm:PROVIDER/MODEL "
            "| vllm:PATH_OR_ID."
        ),
    ] = "smollm2",
    simulator: Annotated[
        str, typer.Option(help="User simulator: gold (replay) or a model spec.")
    ] = "gold",
    action_classifier: Annotated[
        str, typer.Option(help="Action classifier: heuristic or a model spec (few-shot, App. G).")
    ] = "heuristic",
    protocol: ProtocolOption = "act-bench",
    split: Split = "validation",
    limit: Annotated[
        int | None, typer.Option(help="Evaluate only the first N turn states.")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Items generated together.")] = 8,
    seed: Seed = 0,
    max_turns: Annotated[
        int | None,
        typer.Option(help="Cap on policy turns per trajectory (default 3; act-paper: 2)."),
    ] = None,
    max_new_tokens: Annotated[
        int | None,
        typer.Option(
            help="Tokens generated per policy turn (default: the task's, 64, AmbigSQL 256; "
            "act-paper: 128 or the task's if larger)."
        ),
    ] = None,
    temperature: Annotated[float, typer.Option(help="Sampling temperature (0 = greedy).")] = 0.0,
    top_p: Annotated[float, typer.Option(help="Nucleus sampling mass.")] = 1.0,
    output_dir: Annotated[
        str | None, typer.Option(help="Run directory (default runs/<task>-<split>-<model>).")
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue a killed run without redoing finished items.")
    ] = False,
    data_dir: DataDir = None,
    device: Annotated[
        str | None, typer.Option(help="hf/smollm2 device (cpu, cuda, cuda:1); default auto.")
    ] = None,
    dtype: Annotated[
        str | None, typer.Option(help="hf/smollm2 dtype (float32, bfloat16, float16).")
    ] = None,
    api_base: Annotated[
        str | None, typer.Option(help="litellm: base URL of an OpenAI-compatible server.")
    ] = None,
    max_concurrency: Annotated[int, typer.Option(help="litellm: concurrent requests.")] = 8,
    timeout: Annotated[
        float,
        typer.Option(
            help="litellm: seconds one request attempt may take before it is retried.",
            metavar="SECONDS",
        ),
    ] = 120.0,
    prompt_style: PromptStyleOption = "standard",
    num_shots: NumShots = 0,
    shot_pool: ShotPool = "train",
    include_selection: Annotated[
        bool,
        typer.Option(
            help="Keep the conversations an hf: or vllm: checkpoint was selected on (its "
            "training_config.json); by default they are left out and counted."
        ),
    ] = False,
    prefix_cache: PrefixCacheOption = True,
    num_trials: NumTrials = 1,
    cache: CacheOption = True,
    cache_dir: CacheDir = None,
    cache_policy: CachePolicy = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Run the interactive evaluation of App. D: respond, classify, simulate the user, score."""
    from act_bench.evaluation import EvalConfig, run_evaluation

    config = EvalConfig(
        task=task,
        model=model,
        simulator=simulator,
        action_classifier=action_classifier,
        protocol=protocol,
        split=split,
        data_dir=data_dir,
        limit=limit,
        batch_size=batch_size,
        seed=seed,
        max_turns=max_turns,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_p=top_p,
        device=device,
        dtype=dtype,
        api_base=api_base,
        max_concurrency=max_concurrency,
        timeout_s=timeout,
        prompt_style=prompt_style,
        num_shots=num_shots,
        shot_pool=shot_pool,
        include_selection=include_selection,
        prefix_cache=prefix_cache,
        num_trials=num_trials,
        cache=cache,
        cache_dir=cache_dir,
        cache_policy=cache_policy,
        output_dir=output_dir
        or default_output_dir(
            task, split, model, prompt_style=prompt_style, num_shots=num_shots, protocol=protocol
        ),
    )
    _warn_if_sample(data_dir)
    result = run_evaluation(config, resume=resume, show_progress=not quiet)
    _print_metrics(
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
        _print_metrics(f"{task} · {split} · {predictions}", metrics, None)
