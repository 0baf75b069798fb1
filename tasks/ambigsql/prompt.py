"""The AmbigSQL prompt of App. C.3 (Tables A15/A16) and the schema linearization it embeds.

The paper linearizes the schema "into the format used for prompting in Sun et al.
(2023a;b)" (SQL-PaLM): ``table : column , column`` with ``[Primary Keys]`` and
``[Foreign Keys]`` sections written ``table : column equals table : column``. We keep that
notation with one line per table, each column followed by its type, so that a schema of
dozens of tables stays readable; names are the original ones, which the SQL must use.

As chat messages: a system message holds ``[Instruction]`` (Table A15's text) and the
schema; the dialogue follows as alternating user / assistant messages, ending with the
user's current request (Table A15's ``[Conversation]``).
"""

from __future__ import annotations

from act_bench_tasks.ambigsql.spider import SpiderSchema

from act_bench.types import Message, Prompt, Role

# Table A15/A16's instruction, verbatim (with a straight apostrophe).
INSTRUCTION = (
    "You are an Assistant having a conversation with a User who would like to retrieve some "
    "information from a SQL database with the schema provided below. If you are confident in "
    "the User's intent, you should provide the appropriate SQL query. Otherwise, you should "
    "ask the User a clarifying question."
)
SCHEMA_HEADER = "[Database Schema]"


def _column_label(schema: SpiderSchema, index: int) -> str:
    column = schema.columns[index]
    return f"{schema.table_names_original[column.table_index]} : {column.original}"


def linearize_schema(schema: SpiderSchema) -> str:
    """The schema block: one line per table with its typed columns, then the keys."""
    lines = [SCHEMA_HEADER, f"database : {schema.db_id}"]
    for index, table in enumerate(schema.table_names_original):
        columns = " , ".join(f"{c.original} ({c.type})" for c in schema.columns_of(index))
        lines.append(f"{table} : {columns}")
    primary = " | ".join(_column_label(schema, k) for k in schema.primary_keys)
    foreign = " | ".join(
        f"{_column_label(schema, a)} equals {_column_label(schema, b)}"
        for a, b in schema.foreign_keys
    )
    lines.append(f"[Primary Keys]: {primary}")
    lines.append(f"[Foreign Keys]: {foreign}")
    return "\n".join(lines)


def system_message(grounding: str, instruction: str = INSTRUCTION) -> Message:
    return Message(Role.SYSTEM, f"[Instruction]\n{instruction}\n\n{grounding}")


def render_messages(prompt: Prompt, instruction: str = INSTRUCTION) -> list[Message]:
    """The policy's chat input for p: instruction and schema, then the dialogue."""
    return [system_message(prompt.grounding, instruction), *prompt.dialogue()]
