"""The samples we ship are written by us: they follow the official layouts (so the same
loaders read them) but hold no record, story or schema of the official datasets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import shared_data_dir

REPO = Path(__file__).resolve().parents[1]


def _official(relative: str) -> Path:
    root = shared_data_dir()
    if not (root / relative).is_file():
        pytest.skip(f"{relative} of the official data is not here")
    return root / relative


def test_the_abg_coqa_sample_shares_no_story_with_abg_coqa():
    official = json.loads(_official("abg_coqa/coqa_abg_val.json").read_text())
    stories = {item["story"] for item in official["data"]}
    ours = json.loads((REPO / "tasks/abg_coqa/sample/coqa_abg_val.json").read_text())["data"]
    assert ours and not {item["story"] for item in ours} & stories


def test_the_spider_sample_shares_no_database_or_question_with_spider():
    official = _official("spider/tables.json")
    official_dbs = {entry["db_id"] for entry in json.loads(official.read_text())}
    sample = REPO / "tasks/ambigsql/sample/spider"
    ours = {entry["db_id"] for entry in json.loads((sample / "tables.json").read_text())}
    assert ours and not ours & official_dbs
    questions = {e["question"] for e in json.loads((official.parent / "dev.json").read_text())}
    for name in ("dev.json", "train_spider.json"):
        assert not {e["question"] for e in json.loads((sample / name).read_text())} & questions


def test_the_pacific_sample_shares_no_conversation_with_pacific():
    official = json.loads(_official("pacific/validation.json").read_text())
    ours = json.loads((REPO / "tasks/pacific/sample/validation.json").read_text())
    texts = {json.dumps(item.get("table"), sort_keys=True) for item in official}
    assert ours and not {json.dumps(item.get("table"), sort_keys=True) for item in ours} & texts
