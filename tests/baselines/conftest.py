"""A tiny PACIFIC-format dataset written for these tests (not PACIFIC data): short tables and
paragraphs keep prompts near 150 tokens, so a real training step on the CPU stays quick."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

COMPANIES = ("Alder Mills", "Birch Tools", "Cedar Foods", "Dune Labs", "Elm Ports", "Fern Air")


def _uid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts))))


def _question(conversation: int, order: int, question: str, answer, **label) -> dict:
    return {
        "uid": _uid("tiny", conversation, order),
        "order": order,
        "question": question,
        "answer": answer,
        "derivation": label.get("derivation", ""),
        "answer_type": label.get("answer_type", "span"),
        "answer_from": "table",
        "rel_paragraphs": [],
        "req_comparison": False,
        "scale": label.get("scale", ""),
        "follow_up": False,
        "req_clari": label.get("req_clari", False),
        "original_question": label.get("original", question),
    }


def tiny_conversation(index: int) -> dict:
    name = COMPANIES[index]
    sales = (100 + 10 * index, 90 + 10 * index)
    questions = [_question(index, 1, "What was the sales in 2023?", [str(sales[0])])]
    if index % 2 == 0:
        questions += [
            _question(
                index,
                2,
                "What was the sales?",
                ["Which year are you asking about?"],
                answer_type="question",
                req_clari=True,
            ),
            _question(index, 3, "2022.", [str(sales[1])], original="What was the sales in 2022?"),
        ]
    else:
        questions.append(
            _question(
                index,
                2,
                "What was the change in sales?",
                sales[0] - sales[1],
                answer_type="arithmetic",
                derivation=f"{sales[0]} - {sales[1]}",
            )
        )
    return {
        "table": {
            "uid": _uid("tiny-table", index),
            "table": [["", "2023", "2022"], ["Sales", str(sales[0]), str(sales[1])]],
        },
        "paragraphs": [
            {"uid": _uid("tiny-paragraph", index), "order": 1, "text": f"{name} sells tools."}
        ],
        "questions": questions,
    }


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root with pacific/validation.json holding six tiny conversations (15 turns)."""
    root = tmp_path_factory.mktemp("tiny-data")
    (root / "pacific").mkdir()
    conversations = [tiny_conversation(i) for i in range(len(COMPANIES))]
    (root / "pacific" / "validation.json").write_text(json.dumps(conversations, indent=1))
    return root
