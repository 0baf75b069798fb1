"""Data selection, rendering (as evaluation renders), length filtering and the JSONL caches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from act_bench_baselines.common.data import (
    ChatFormat,
    LengthFilter,
    PreferencePair,
    append_jsonl,
    prompt_fingerprint,
    read_jsonl,
    select_data,
)

from act_bench.errors import ConfigError, DataError
from act_bench.prompting import build_styled_prompt, get_prompt_style
from act_bench.task import get_task
from act_bench.types import Message, Role

PACIFIC = get_task("pacific")


def _select(data_dir, **overrides):
    arguments = dict(
        data_dir=data_dir,
        train_split="validation",
        conversations=2,
        validation_split="validation",
        validation_conversations=2,
        seed=0,
    )
    return select_data(PACIFIC, **(arguments | overrides))


def test_selection_is_seeded_and_validation_is_held_out(tiny_data_dir: Path) -> None:
    first, again, other = (
        _select(tiny_data_dir),
        _select(tiny_data_dir),
        _select(tiny_data_dir, seed=1),
    )
    assert first.train.conversation_ids == again.train.conversation_ids
    assert first.validation.conversation_ids == again.validation.conversation_ids
    assert (first.train.conversation_ids, first.validation.conversation_ids) != (
        other.train.conversation_ids,
        other.validation.conversation_ids,
    )
    assert len(first.train.conversation_ids) == 2
    assert not set(first.train.conversation_ids) & set(first.validation.conversation_ids)
    assert first.validation_disjoint_from_train
    # every turn of a selected conversation is an example
    loaded = {c.id: c for c in PACIFIC.load("validation", tiny_data_dir)}
    expected = sum(len(loaded[i].turn_states) for i in first.train.conversation_ids)
    assert len(first.train.turn_states) == expected


def test_selection_records_split_source_and_ids(tiny_data_dir: Path) -> None:
    record = _select(tiny_data_dir, limit=3).to_json()
    assert record["train"]["split"] == "validation"
    assert record["data_source"] == str(tiny_data_dir)
    assert record["train"]["turn_states"] == 3
    assert record["validation_disjoint_from_train"] is True
    json.dumps(record)  # serializable as is


def test_all_and_no_validation_conversations(tiny_data_dir: Path) -> None:
    assert (
        _select(tiny_data_dir, validation_conversations=-1).validation.conversation_ids.__len__()
        == 4
    )
    assert _select(tiny_data_dir, validation_conversations=0).validation is None


def test_too_many_conversations_is_a_clear_error(tiny_data_dir: Path) -> None:
    with pytest.raises(
        ConfigError, match="--conversations 7 cannot be drawn from validation, which has 6"
    ):
        _select(tiny_data_dir, conversations=7)
    with pytest.raises(ConfigError, match="minus the training conversations, which has 4"):
        _select(tiny_data_dir, validation_conversations=5)


def test_missing_train_split_names_file_and_download(tmp_path: Path, tiny_data_dir: Path) -> None:
    with pytest.raises(DataError) as error:
        _select(tiny_data_dir, train_split="train")
    assert "train.json" in str(error.value)
    assert "act-bench data download pacific" in error.value.hint


def test_chat_rows_render_the_prompt_evaluation_renders(tiny_data_dir: Path) -> None:
    from transformers import AutoTokenizer

    from act_bench.backends.hf import HFBackend
    from act_bench.backends.smollm2 import smollm2_path

    tokenizer = AutoTokenizer.from_pretrained(smollm2_path())
    backend = HFBackend.from_model(_NoModel(), tokenizer, spec="tokenizer-only")
    turn_state = _select(tiny_data_dir).train.turn_states[1]
    row = ChatFormat.for_tokenizer(PACIFIC, tokenizer).sft_row(turn_state)
    # what `act-bench eval` renders: the standard prompt style with no shots, then the template
    eval_renderer = build_styled_prompt(PACIFIC, get_prompt_style("standard"))
    evaluated = backend.render(eval_renderer(turn_state.prompt))
    trained = tokenizer.apply_chat_template(
        row["prompt"], tokenize=False, add_generation_prompt=True
    )
    assert trained == evaluated
    full = tokenizer.apply_chat_template(row["prompt"] + row["completion"], tokenize=False)
    assert full.startswith(evaluated) and turn_state.gold_response in full[len(evaluated) :]


def test_plain_format_without_a_chat_template(tiny_data_dir: Path) -> None:
    turn_state = _select(tiny_data_dir).train.turn_states[0]
    row = ChatFormat(PACIFIC, chat=False).preference_row(turn_state, "['100']", "['7']")
    assert row["prompt"].endswith("Assistant:") and row["prompt"].startswith("System: ")
    assert (row["chosen"], row["rejected"]) == (" ['100']", " ['7']")


def test_cot_rows_render_evals_cot_prompt_and_write_r_after_its_reasoning(
    tiny_data_dir: Path,
) -> None:
    """IRPO trains in the cot style (§5.1): the prompt is eval's --prompt-style cot with no
    shots, and r follows the reasoning line its action implies, which eval's parser reads."""
    style = get_prompt_style("cot")
    chat = ChatFormat(PACIFIC, chat=True, style=style)
    clarify = next(
        ts for ts in _select(tiny_data_dir).train.turn_states if ts.gold_action.value == "CLARIFY"
    )
    row = chat.sft_row(clarify)
    expected = build_styled_prompt(PACIFIC, style)(clarify.prompt)
    assert row["prompt"] == [m.to_json() for m in expected]
    [completion] = row["completion"]
    assert completion["content"].startswith("Reasoning: The user’s question was ambiguous.")
    assert style.final_utterance(completion["content"]) == clarify.gold_response
    plain = ChatFormat(PACIFIC, chat=True).sft_row(clarify)
    assert plain["completion"][0]["content"] == clarify.gold_response


def test_ambigsql_training_holds_t2_states_and_evaluation_t1_only(monkeypatch) -> None:
    """App. C.1: after the clarification exchange, the clear request and the gold SQL."""
    monkeypatch.delenv("ACT_BENCH_DATA", raising=False)  # the bundled sample, built here
    ambigsql = get_task("ambigsql")
    selection = select_data(
        ambigsql, data_dir=None, train_split="train", conversations=12,
        validation_split="validation", validation_conversations=2, seed=0,
    )  # fmt: skip
    records = {
        json.loads(line)["id"]: json.loads(line)
        for line in (Path(ambigsql.data_folder(None)) / "train.jsonl").read_text().splitlines()
    }
    second = [ts for ts in selection.train.turn_states if ts.metadata.get("turn") == 2]
    assert second and len(second) == sum(r["ambiguous"] for r in records.values())
    for state in second:
        record = records[state.conversation_id]
        assert state.prompt.request == record["clear_request"]
        assert [m.content for m in state.prompt.history] == [
            record["ambiguous_request"],
            record["clarifying_question"],
        ]
        assert state.gold_response == record["gold_sql"] == state.goals[0].answer
        assert state.gold_action.value == "ANSWER" and state.goals[0].metadata["db_path"]
    # the selection sample (validation D_pref) holds t2 states too: two per ambiguous one
    validation = selection.validation
    ambiguous = [c for c in validation.conversation_ids if c.endswith("-ambiguous")]
    assert len(validation.turn_states) == len(validation.conversation_ids) + len(ambiguous)
    evaluated = [ts for c in ambigsql.load("train", None) for ts in c.turn_states]
    assert evaluated and all(ts.metadata.get("turn") == 1 for ts in evaluated)


def test_length_filter_leaves_out_and_lists_overlong_rows(tiny_data_dir: Path) -> None:
    from transformers import AutoTokenizer

    from act_bench.backends.smollm2 import smollm2_path

    tokenizer = AutoTokenizer.from_pretrained(smollm2_path())
    chat = ChatFormat.for_tokenizer(PACIFIC, tokenizer)
    states = _select(tiny_data_dir).train.turn_states
    rows = [chat.sft_row(ts) for ts in states]
    lengths = [chat.token_length(tokenizer, r["prompt"], r["completion"]) for r in rows]
    cut = sorted(lengths)[len(lengths) // 2]
    kept = LengthFilter(tokenizer, chat, cut)
    survivors = kept.keep(rows, "train")
    assert len(survivors) == sum(n <= cut for n in lengths)
    too_long = [row["turn_state_id"] for row, n in zip(rows, lengths, strict=True) if n > cut]
    assert kept.dropped["train"] == too_long
    assert kept.to_json()["dropped_overlong"] == {"train": len(rows) - len(survivors)}
    # before paying for generated responses, prompts that leave no room are left out too
    prompt_lengths = [chat.prompt_length(tokenizer, r["prompt"]) for r in rows]
    fitting = kept.keep_prompts(states, "validation")
    assert [ts.id for ts in fitting] == [
        ts.id for ts, n in zip(states, prompt_lengths, strict=True) if n < cut
    ]
    assert len(kept.dropped["validation"]) == len(states) - len(fitting)


def test_jsonl_cache_survives_a_half_written_line(tmp_path: Path) -> None:
    path = tmp_path / "cache.jsonl"
    pair = PreferencePair("t1", "win", "lose", {"chosen_from": "a"})
    append_jsonl(path, [pair.to_json()])
    with path.open("a") as handle:
        handle.write('{"turn_state_id": "t2", "cho')  # killed mid-write
    records = read_jsonl(path, required=("turn_state_id",))
    assert [PreferencePair.from_json(r) for r in records] == [pair]
    append_jsonl(path, [{"turn_state_id": "t3"}])
    assert [r["turn_state_id"] for r in read_jsonl(path)] == ["t1", "t3"]


def test_jsonl_cache_rejects_a_bad_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "cache.jsonl"
    path.write_text('{"turn_state_id": "t1"}\n{"chosen": "x"}\n')
    with pytest.raises(DataError, match="line 2.*turn_state_id"):
        read_jsonl(path, required=("turn_state_id",))


def test_prompt_fingerprint_changes_with_the_prompt() -> None:
    one = [Message(Role.SYSTEM, "grounding"), Message(Role.USER, "question?")]
    two = [Message(Role.SYSTEM, "grounding"), Message(Role.USER, "question!")]
    assert prompt_fingerprint(one) == prompt_fingerprint(list(one))
    assert prompt_fingerprint(one) != prompt_fingerprint(two)


class _NoModel:
    """Enough of a model for HFBackend.render (which only needs the tokenizer)."""

    class generation_config:  # noqa: N801
        eos_token_id = None


@pytest.mark.parametrize("name", ["standard", "cot", "proactive"])
def test_a_styled_response_reads_back_as_the_response(name: str) -> None:
    """What a trainer writes in a style is what eval's parser of that style reads back."""
    from act_bench.types import Action

    style = get_prompt_style(name)
    chat = ChatFormat(PACIFIC, chat=True, style=style)
    for action in Action:
        assert style.final_utterance(chat.styled("['42']", action)) == "['42']"
