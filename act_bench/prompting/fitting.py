"""Shots that fit the model's context window.

Ten in-context conversations (App. E, F) were written for models with long windows; ten
PACIFIC conversations with their tables are ~9,000 tokens, beyond the 8,192 positions
SmolLM2 was trained on. A prompt past a model's window is not a longer prompt but a broken
one (positions it never saw, or a server's refusal), and the attention over it is most of
what such a prompt costs. So where a backend says its window (:class:`MeasuresPrompts`), the
shots are cut to the longest leading run with which every prompt, and the reply's tokens,
fit; the selection records how many were used and why.

Measuring every prompt with every number of shots would tokenize millions of tokens for a
few hundred prompts. The shots are whole paragraphs of the same text in front of every
prompt, so a prompt's length with k shots is its length without them plus what the k shots
add, the same for all prompts; that estimate picks k, and every prompt it puts within
``EXACT_MARGIN`` tokens of the limit is then measured with the shots, exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from act_bench.backends.base import Backend, MeasuresPrompts, context_window
from act_bench.prompting.shots import ShotSelection
from act_bench.types import Message

EXACT_MARGIN = 64  # tokens: prompts estimated this close to the limit are measured
# (leading shots, prompt index) -> the prompt's messages
PromptAt = Callable[[int, int], Sequence[Message]]


def fit_shots_to_window(
    selection: ShotSelection,
    prompt_at: PromptAt,
    count: int,
    backend: Backend,
    *,
    reply_tokens: int,
) -> ShotSelection:
    """``selection`` with the most leading shots for which each of the ``count`` prompts
    (``prompt_at(k, i)``: prompt i with the first k shots) takes at most the backend's
    window less ``reply_tokens``; unchanged where they fit already or the backend does not
    say its window.

    Prompts too long for the window even without shots are left out of the fit (no number
    of shots helps them) and counted in the note."""
    window = context_window(backend)
    shots = selection.shots
    if window is None or not shots or count == 0:
        return selection
    assert isinstance(backend, MeasuresPrompts)
    room = window - reply_tokens
    bare = [backend.prompt_length(prompt_at(0, i)) for i in range(count)]
    hopeless = {i for i, length in enumerate(bare) if length > room}
    kept, longest = _most_shots_that_fit(len(shots), prompt_at, backend, room, bare, hopeless)
    if kept == len(shots) and not hopeless:
        return selection
    note = (
        f"{backend.spec}'s context window ({window:,} tokens, {reply_tokens} kept for "
        f"the reply) holds {kept} of the {len(shots)} shots with these prompts"
    )
    if longest:
        note += f" (longest {longest:,} tokens)"
    if hopeless:
        note += f"; {len(hopeless)} prompts exceed it even without shots and are sent as they are"
    note = f"{selection.note}; {note}" if selection.note else note
    return replace(selection, shots=shots[:kept], note=note)


def _most_shots_that_fit(
    available: int,
    prompt_at: PromptAt,
    backend: MeasuresPrompts,
    room: int,
    bare: list[int],
    hopeless: set[int],
) -> tuple[int, int]:
    """The largest k whose prompts (but ``hopeless``) fit ``room``, and the longest of
    them with k shots (0 when every prompt is hopeless)."""
    candidates = [i for i in range(len(bare)) if i not in hopeless]
    if not candidates:
        return 0, 0
    anchor = max(candidates, key=bare.__getitem__)
    for kept in range(available, 0, -1):
        added = backend.prompt_length(prompt_at(kept, anchor)) - bare[anchor]
        if bare[anchor] + added > room:
            continue
        near = {anchor} | {i for i in candidates if bare[i] + added > room - EXACT_MARGIN}
        longest = max(backend.prompt_length(prompt_at(kept, i)) for i in near)
        if longest <= room:
            return kept, longest
    return 0, bare[anchor]
