"""Shots cut to the model's context window (act_bench/prompting/fitting.py)."""

from __future__ import annotations

from act_bench_tasks.pacific import task
from helpers import ScriptedBackend, WindowedBackend

from act_bench.prompting import select_shots
from act_bench.prompting.fitting import fit_shots_to_window
from act_bench.types import Message, Role

WORDS_PER_SHOT = 100


def selection(count: int = 4):
    chosen = select_shots(task, num_shots=count, seed=0, data_dir=None, pool_split="validation")
    assert len(chosen.shots) == min(count, 3)
    return chosen


def prompts_of(state_words: list[int]):
    """Each shot adds WORDS_PER_SHOT words in front of a state of ``state_words`` words:
    ``fit_shots_to_window``'s prompt function and count."""

    def prompt_at(kept: int, index: int) -> list[Message]:
        shown = " ".join("w" for _ in range(WORDS_PER_SHOT * kept))
        body = " ".join(["x"] * state_words[index])
        return [Message(Role.SYSTEM, shown), Message(Role.USER, body)]

    return prompt_at, len(state_words)


def test_the_most_leading_shots_that_fit_every_prompt_and_the_reply_are_kept() -> None:
    chosen = selection()  # 3 shots in the bundled sample
    states = [50, 80, 20]
    # room for the longest state (80) with 2 shots (200) and a 16-token reply, not 3 shots
    backend = WindowedBackend(80 + 2 * WORDS_PER_SHOT + 16)
    fitted = fit_shots_to_window(chosen, *prompts_of(states), backend, reply_tokens=16)
    assert fitted.shots == chosen.shots[:2]
    assert fitted.requested == chosen.requested and fitted.to_json()["used"] == 2
    assert "holds 2 of the 3 shots" in fitted.note and "longest 280 tokens" in fitted.note
    assert "windowed:296" in fitted.note
    # one token less and only one shot fits
    tighter = fit_shots_to_window(
        chosen, *prompts_of(states), WindowedBackend(80 + 2 * WORDS_PER_SHOT + 15), reply_tokens=16
    )
    assert tighter.shots == chosen.shots[:1]


def test_a_selection_that_fits_or_a_backend_without_a_window_is_left_as_it_is() -> None:
    chosen = selection()
    roomy = WindowedBackend(10_000)
    assert fit_shots_to_window(chosen, *prompts_of([50]), roomy, reply_tokens=16) is chosen
    api_like = ScriptedBackend()  # says no window: nothing to fit to
    assert fit_shots_to_window(chosen, *prompts_of([9_000]), api_like, reply_tokens=16) is chosen


def test_prompts_too_long_even_without_shots_are_counted_not_fitted_for() -> None:
    chosen = selection()
    backend = WindowedBackend(1 * WORDS_PER_SHOT + 60 + 10)
    fitted = fit_shots_to_window(chosen, *prompts_of([60, 500, 40]), backend, reply_tokens=10)
    assert fitted.shots == chosen.shots[:1]  # fitted for the others: 60 + 1 shot
    assert "1 prompts exceed it even without shots" in fitted.note
    hopeless = fit_shots_to_window(chosen, *prompts_of([500]), backend, reply_tokens=10)
    assert hopeless.shots == () and "longest" not in hopeless.note


def test_an_earlier_note_is_kept() -> None:
    from dataclasses import replace

    chosen = replace(selection(), note="shots come from the bundled sample")
    fitted = fit_shots_to_window(
        chosen, *prompts_of([10]), WindowedBackend(WORDS_PER_SHOT + 20), reply_tokens=10
    )
    assert fitted.note.startswith("shots come from the bundled sample; ")


def test_prompts_near_the_limit_are_measured_with_the_shots_not_estimated() -> None:
    chosen = selection()
    estimated, count = prompts_of([80, 70])

    def prompt_at(kept: int, index: int) -> list[Message]:
        messages = estimated(kept, index)
        if index == 1 and kept:  # 30 more tokens with shots than the estimate gives it
            messages.append(Message(Role.USER, " ".join(["y"] * 30)))
        return messages

    room = 80 + 2 * WORDS_PER_SHOT  # the longest without shots fits 2 shots exactly
    fitted = fit_shots_to_window(chosen, prompt_at, count, WindowedBackend(room), reply_tokens=0)
    assert fitted.shots == chosen.shots[:1]  # prompt 1 has 70 + 200 + 30 tokens with 2
