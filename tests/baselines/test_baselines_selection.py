"""App. J.2: every preference trainer selects its checkpoint on the same action-based
validation D_pref, built once (scripted M), cached and read back by the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from act_bench_baselines.act.trainer import ActConfig, ActRun
from act_bench_baselines.common.config import parse_config
from act_bench_baselines.common.selection import selection_rows
from act_bench_baselines.dpo_dist.trainer import DPODistConfig, DPODistRun
from act_bench_baselines.irpo.config import IRPOConfig
from act_bench_baselines.irpo.trainer import IRPORun
from baselines_scripted import register_generators
from helpers import register_scripted_backend

from act_bench.backends.smollm2 import smollm2_path
from act_bench.types import Action


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_path())


def _args(data_dir: Path, tmp_path: Path, name: str, *extra: str) -> list[str]:
    return [
        "--data-dir", str(data_dir), "--train-split", "validation", "--conversations", "2",
        "--validation-conversations", "2", "--generator", "scripted", "--generator-shots", "1",
        "--preferences-cache", str(tmp_path / "dpref"), "--no-cache", "--quiet",
        "--output-dir", str(tmp_path / name), *extra,
    ]  # fmt: skip


def test_every_preference_method_selects_on_the_same_action_based_d_pref(
    tiny_data_dir: Path, tmp_path: Path, tokenizer
) -> None:
    register_scripted_backend()
    register_generators()
    strong_weak = ("--strong", "scripted", "--weak", "scripted-unsure")
    dpo = DPODistRun(
        parse_config(DPODistConfig, _args(tiny_data_dir, tmp_path, "dpo", *strong_weak))
    )
    selection = dpo.select()
    validation_ids = [ts.id for ts in selection.validation.turn_states]
    dpo_data = dpo.build_data(selection, tokenizer)
    built = dpo_data.record["selection_preferences"]
    assert built["generated"] == len(validation_ids) and built["reused_from_cache"] == 0
    assert dpo_data.validation["turn_state_id"] == validation_ids
    # the validation rows are D_pref's: y_w the gold response, y_l M's under the other action
    gold = {ts.id: ts.gold_response for ts in selection.validation.turn_states}
    for row in dpo_data.validation:
        assert row["chosen"][0]["content"] == gold[row["turn_state_id"]]
    assert set(dpo_data.train["turn_state_id"]).isdisjoint(validation_ids)

    act = ActRun(parse_config(ActConfig, _args(tiny_data_dir, tmp_path, "act")))
    act_data = act.build_data(act.select(), tokenizer)
    act_built = act_data.record["preferences"]["validation"]
    assert act_built["cache"] == built["cache"]  # the same file: built once, shared
    assert act_built["reused_from_cache"] == len(validation_ids) and act_built["generated"] == 0
    assert act_data.validation["rejected"] == dpo_data.validation["rejected"]

    irpo = IRPORun(parse_config(IRPOConfig, _args(tiny_data_dir, tmp_path, "irpo")))
    chat, lengths = irpo.chat_format(tokenizer), irpo.length_filter(tokenizer)
    rows, record = selection_rows(irpo, irpo.select(), chat, lengths)
    assert record["selection_preferences"]["cache"] == built["cache"]
    assert record["selection_preferences"]["reused_from_cache"] == len(validation_ids)
    # IRPO trains in the cot style, so its validation pairs are written in it too
    by_id = {ts.id: ts for ts in selection.validation.turn_states}
    for row in rows:
        state = by_id[row["turn_state_id"]]
        chosen = row["chosen"][0]["content"]
        reasoning = "was ambiguous" if state.gold_action is Action.CLARIFY else "is not ambiguous"
        assert chosen.startswith(f"Reasoning: The user’s question {reasoning}.")
        assert chosen.endswith(f"Assistant: {state.gold_response}")


def test_no_selection_sample_no_selection_pairs(tiny_data_dir: Path, tmp_path: Path, tokenizer):
    register_scripted_backend()
    args = _args(tiny_data_dir, tmp_path, "irpo", "--validation-conversations", "0")
    irpo = IRPORun(parse_config(IRPOConfig, args))
    selection = irpo.select()
    rows, record = selection_rows(
        irpo, selection, irpo.chat_format(tokenizer), irpo.length_filter(tokenizer)
    )
    assert rows is None and record == {"selection_preferences": None}
    assert not (tmp_path / "dpref").exists()


def test_irpo_iterations_validate_on_the_d_pref_not_on_their_own_samples(
    tiny_data_dir: Path, tmp_path: Path, tokenizer, monkeypatch
) -> None:
    """IRPO's training pairs come from its samples; its validation rows from D_pref."""
    from act_bench_baselines.irpo import trainer as irpo_trainer
    from act_bench_baselines.irpo.labelling import LabeledSample

    register_scripted_backend()
    run = IRPORun(parse_config(IRPOConfig, _args(tiny_data_dir, tmp_path, "irpo")))
    selection = run.select()

    def scripted_samples(policy, states, **kwargs):
        samples = {
            s.id: [
                LabeledSample(s.id, 0, s.gold_response, 1.0, True, s.gold_action),
                LabeledSample(s.id, 1, "no idea", 0.0, False, Action.ANSWER),
            ]
            for s in states
        }
        return samples, 0

    class Model:
        def to(self, device):
            return self

    monkeypatch.setattr(irpo_trainer, "sample_and_label", scripted_samples)
    monkeypatch.setattr(irpo_trainer.HFBackend, "from_model", lambda *a, **k: None)
    data = run.iteration_data(1, selection, Model(), tokenizer, tmp_path / "iterations" / "1")
    validation_ids = [ts.id for ts in selection.validation.turn_states]
    assert data.validation["turn_state_id"] == validation_ids
    assert "no idea" not in str(data.validation["rejected"])  # not IRPO's own samples
    assert data.record["selection_preferences"]["generated"] == len(validation_ids)
    assert "validation" not in data.record["pairs"]  # no validation samples are drawn
    assert all("no idea" in row[0]["content"] for row in data.train["rejected"])
