"""The "standard" Abg-CoQA prompt (App. E, Table A17), as chat messages.

The same shape as PACIFIC's: a system message with the instruction and the grounding, then
the dialogue as alternating user / assistant messages ending with the current request. The
grounding is the CoQA story, under a ``[story]`` heading in place of PACIFIC's ``[context]``
passage and ``[data]`` table.
"""

from __future__ import annotations

from act_bench.types import Message, Prompt, Role

# Table A17's system instruction, as PACIFIC's prompt states it.
INSTRUCTION = (
    "You are an Assistant answering questions from a User. You should either attempt to "
    "answer the question or ask a clarifying question if there is any ambiguity."
)
STORY_HEADING = "[story]"


def story_grounding(story: str) -> str:
    """The story as the prompt's grounding, its paragraphs kept as written."""
    return f"{STORY_HEADING}\n{story.strip()}"


def render_messages(prompt: Prompt) -> list[Message]:
    """The policy's chat input for p: instruction and story, then the dialogue."""
    system = Message(Role.SYSTEM, f"{INSTRUCTION}\n\n{prompt.grounding}")
    return [system, *prompt.dialogue()]
