"""Checkpoint selection of every preference trainer: the action-based validation D_pref.

App. J.2 selects every RL-tuned model by "the highest reward margin on the validation set
(which is an action-based preference dataset constructed as described in Section 3.2 using
each task's original validation set)". So ACT, IRPO and DPO-Dist all validate on the same
pairs: D_pref of Alg. 1 (y_w = r, y_l from the conditional generation model M under the
rejected action) for the selection conversations, built once with the settings below,
cached (:mod:`act_bench_baselines.act.dpref`) and read back by every later run that asks
for the same pairs. A method's own pairs (IRPO's samples, DPO-Dist's distilled pairs) would
make margins of different methods measure different things, and IRPO's would move with the
policy between its iterations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from act_bench_baselines.act.dpref import DprefBuilder, DprefResult, DprefSettings
from act_bench_baselines.act.preferences import GOLD_LABELS, PreferenceExample
from act_bench_baselines.common.data import ChatFormat, DataSelection, LengthFilter

from act_bench.protocols import DEFAULT_PROTOCOL, get_protocol
from act_bench.task import get_task
from act_bench.types import TurnState


def dpref_settings(
    config: Any, *, action_labels: str = GOLD_LABELS, max_new_tokens: int | None = None
) -> DprefSettings:
    """The D_pref a preference trainer's config asks for (its ``PreferenceArguments`` and
    ``BackendArguments``); M's token budget is the task's default unless given."""
    if max_new_tokens is None:
        defaults = get_task(config.task).defaults
        max_new_tokens = get_protocol(DEFAULT_PROTOCOL).new_tokens(None, defaults)
    return DprefSettings(
        task=config.task,
        generator=config.generator or config.model,
        action_labels=action_labels,
        action_classifier=config.action_classifier,
        max_new_tokens=max_new_tokens,
        temperature=config.generator_temperature,
        shots=config.generator_shots,
        seed=config.seed,
        data_dir=config.data_dir,
        pool_split=config.train_split,
        batch_size=config.batch_size,
        prefix_cache=config.prefix_cache,
        api_base=config.api_base,
        max_concurrency=config.max_concurrency,
        timeout_s=config.timeout_s,
        cache=config.cache,
        cache_dir=config.cache_dir,
        preferences_cache=config.preferences_cache,
    )


def dpref_rows(chat: ChatFormat, examples: list[PreferenceExample]) -> list[dict[str, Any]]:
    """D_pref's pairs as preference rows, each response written in the run's prompt style."""
    return [
        chat.action_pair_row(e.turn_state, e.chosen, e.action, e.rejected, e.rejected_action)
        for e in examples
    ]


def build_dpref(
    run: Any,
    builder: DprefBuilder,
    states: Sequence[TurnState],
    name: str,
    *,
    show_progress: bool = True,
) -> DprefResult:
    """D_pref for ``states``, built by the main process while the others wait, then read
    by all; the console says how it went (``show_progress=False``: without a progress bar,
    for a build while the training bar is on screen)."""
    with run.state.main_process_first():
        built = builder.build(
            states,
            name=f"D_pref · {name}",
            show_progress=show_progress and run.show_progress and run.state.is_main_process,
        )
    run.note(built.shots.note)
    run.report_dpref(name, built)
    return built


def selection_rows(
    run: Any, selection: DataSelection, chat: ChatFormat, lengths: LengthFilter
) -> tuple[list[dict[str, Any]] | None, dict[str, Any]]:
    """The validation rows a preference trainer selects on (gold action labels; prompts
    too long for a response left out), and what training_config.json records about them;
    None without a selection sample."""
    if selection.validation is None:
        return None, {"selection_preferences": None}
    builder = DprefBuilder(dpref_settings(run.config), run.task)
    states = lengths.keep_prompts(selection.validation.turn_states, "validation")
    built = build_dpref(run, builder, states, "validation")
    return dpref_rows(chat, built.examples), {"selection_preferences": built.to_json()}
