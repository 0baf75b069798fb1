"""The "standard" PACIFIC prompt of App. E, Table A17, as chat messages.

A system message holds the instruction and the linearized grounding (the table and the
report's paragraphs, as the ACT authors' ``convert_pacific.py`` writes them); the dialogue
follows as alternating user / assistant messages, ending with the user's current request.
"""

from __future__ import annotations

from collections.abc import Sequence

from act_bench.types import Message, Prompt, Role

# Table A17's system instruction (``_PREFERENCE_SYSTEM_INSTRUCTION`` in the ACT code,
# there without the final period).
INSTRUCTION = (
    "You are an Assistant answering questions from a User. You should either attempt to "
    "answer the question or ask a clarifying question if there is any ambiguity."
)


def _one_line(text: str) -> str:
    return text.replace("\n", " ")


def linearize_row(row: Sequence[str]) -> str:
    """``first cell : other | cells`` (``process_table_text``)."""
    cells = [_one_line(cell) for cell in row]
    return f"{cells[0] if cells else ''} : " + " | ".join(cells[1:])


def linearize_grounding(table: Sequence[Sequence[str]], paragraphs: Sequence[str]) -> str:
    """The table and passage as text: paragraphs under ``[context]``, table rows under ``[data]``.

    As ``convert_pacific.py`` (``get_initial_row``) writes them: one paragraph per line with
    its own newlines replaced by spaces, one table row per line as ``row[0] : c1 | c2 | ...``.
    Newlines inside a table cell are replaced too, so that every row stays on one line
    (PACIFIC's cells have none), and the trailing newline is dropped.
    """
    context = "\n".join(_one_line(paragraph) for paragraph in paragraphs)
    data = "\n".join(linearize_row(row) for row in table)
    return f"[context]\n{context}\n[data]\n{data}"


def render_messages(prompt: Prompt) -> list[Message]:
    """The policy's chat input for p: instruction and grounding, then the dialogue."""
    system = Message(Role.SYSTEM, f"{INSTRUCTION}\n\n{prompt.grounding}")
    return [system, *prompt.dialogue()]
