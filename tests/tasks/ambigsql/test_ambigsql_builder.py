"""Building AmbigSQL from Spider-layout folders: pairs, types, splits, validation, stats."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from act_bench_tasks.ambigsql.builder import BuildConfig, build_ambigsql
from act_bench_tasks.ambigsql.builder.records import AmbiguityType, AmbiguousRequest, Rejection
from act_bench_tasks.ambigsql.builder.rule import RuleGenerator
from act_bench_tasks.ambigsql.builder.validation import (
    NOT_A_QUESTION,
    SAME_AS_CLEAR,
    rejection_reason,
)

from act_bench.errors import DataError


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _build(spider: Path, out: Path, **options):
    config = BuildConfig(spider_dir=str(spider), out_dir=str(out), **options)
    return build_ambigsql(config, show_progress=False)


def test_fixture_build_writes_pairs_of_every_type(fixture_spider, tmp_path):
    result = _build(fixture_spider, tmp_path / "out")
    out = result.out_dir
    assert {p.name for p in result.files} == {
        "train.jsonl",
        "validation.jsonl",
        "test.jsonl",
        "rejects.jsonl",
        "stats.json",
    }
    records = {split: _lines(out / f"{split}.jsonl") for split in ("train", "validation", "test")}
    assert len(records["train"]) == 2 * 8
    assert len(records["validation"]) + len(records["test"]) == 2 * 13
    types = Counter()
    for lines in records.values():
        clear = [r for r in lines if not r["ambiguous"]]
        ambiguous = [r for r in lines if r["ambiguous"]]
        assert len(clear) == len(ambiguous)  # balanced: one twin per clear request
        for first, second in zip(lines[::2], lines[1::2], strict=True):
            assert first["pair_id"] == second["pair_id"] and not first["ambiguous"]
            assert second["ambiguous_request"] != first["clear_request"]
            t1, t2 = second["turn_states"]
            assert t1["gold_action"] == "CLARIFY" and t2["gold_action"] == "ANSWER"
            assert t1["prompt"]["request"] == second["ambiguous_request"]
            assert t1["goals"][0]["clarification"] == first["clear_request"]
            assert [m["content"] for m in t2["prompt"]["history"]] == [
                second["ambiguous_request"],
                second["clarifying_question"],
            ]
            assert (
                t2["gold_response"] == first["turn_states"][0]["gold_response"] == first["gold_sql"]
            )
            assert second["generator"] == "rule" and second["seed"] == 0
            assert second["source"]["file"] in ("dev.json", "train_spider.json")
            types[second["ambiguity_type"]] += 1
    assert set(types) == {t.value for t in AmbiguityType}


def test_presentation_is_chosen_for_sorted_lists_only(fixture_spider, tmp_path):
    result = _build(fixture_spider, tmp_path / "out")
    for split in ("train", "validation", "test"):
        for record in _lines(result.out_dir / f"{split}.jsonl"):
            if record["ambiguity_type"] == AmbiguityType.PRESENTATION:
                assert "ORDER BY" in record["gold_sql"] and "LIMIT" not in record["gold_sql"]
                assert "order" not in record["ambiguous_request"].lower()


def test_dev_is_split_by_database(fixture_spider, tmp_path):
    out = _build(fixture_spider, tmp_path / "out").out_dir
    validation = {r["db_id"] for r in _lines(out / "validation.jsonl")}
    test = {r["db_id"] for r in _lines(out / "test.jsonl")}
    assert validation and test and not validation & test
    assert validation | test == {"bakery_chain", "mountain_huts", "observatory"}


def test_stats_follow_table_a10_and_count_missing_databases(fixture_spider, tmp_path):
    stats = json.loads(
        (_build(fixture_spider, tmp_path / "out").out_dir / "stats.json").read_text()
    )
    assert stats["overview"]["train"] == {
        "unambiguous_requests": 8,
        "ambiguous_requests": 8,
        "unique_schemas": 1,
        "types_of_ambiguity": len(
            [v for v in stats["splits"]["train"]["by_ambiguity_type"].values() if v]
        ),
    }
    dev = [stats["splits"][s] for s in ("validation", "test")]
    assert sum(s["pairs_without_database"] for s in dev) == 3
    assert ["observatory"] in [s["databases_missing"] for s in dev]
    assert all(
        s["rejected"] == 0 and s["rejects_by_reason"] == {} for s in stats["splits"].values()
    )
    assert stats["build"]["spider_files"] == {
        "train": "train_spider.json",
        "dev": "dev.json",
        "tables": "tables.json",
    }


def test_build_is_deterministic_under_a_seed(fixture_spider, tmp_path):
    first = _build(fixture_spider, tmp_path / "a", seed=3).out_dir
    second = _build(fixture_spider, tmp_path / "b", seed=3).out_dir
    other = _build(fixture_spider, tmp_path / "c", seed=4).out_dir
    files = ("train.jsonl", "validation.jsonl", "test.jsonl")
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)
    assert any((first / f).read_bytes() != (other / f).read_bytes() for f in files)


def test_the_reduced_training_file_is_read_when_the_official_one_is_absent(
    fixture_spider, tmp_path
):
    (fixture_spider / "train_spider.json").rename(fixture_spider / "train_spider_min.json")
    stats = _build(fixture_spider, tmp_path / "out").stats
    assert stats["build"]["spider_files"]["train"] == "train_spider_min.json"
    assert stats["splits"]["train"]["pairs"] == 8
    (fixture_spider / "train_spider_min.json").unlink()
    with pytest.raises(DataError, match="no training file"):
        _build(fixture_spider, tmp_path / "out2")


def test_unknown_database_names_file_record_and_field(fixture_spider, tmp_path):
    dev = json.loads((fixture_spider / "dev.json").read_text())
    dev[2]["db_id"] = "nowhere"
    (fixture_spider / "dev.json").write_text(json.dumps(dev))
    with pytest.raises(DataError) as raised:
        _build(fixture_spider, tmp_path / "out")
    message = str(raised.value)
    assert "dev.json" in message and "example 2" in message and "'db_id'" in message


class _FlakyGenerator:
    """Good pairs, except for every third item: a copy of the clear request, a statement,
    or a failure to generate."""

    spec = "flaky"

    def generate(self, items):
        results = []
        for index, item in enumerate(items):
            kind = item.ambiguity_type
            if index % 3 == 0:
                results.append(AmbiguousRequest(kind, item.example.question, "Which one?", "llm"))
            elif index % 3 == 1:
                results.append(AmbiguousRequest(kind, "Show them.", "I will list them all.", "llm"))
            else:
                results.append(Rejection("unreadable_generation", "garbled"))
        return results


def test_rejects_are_counted_and_written_never_dropped(fixture_spider, tmp_path):
    config = BuildConfig(spider_dir=str(fixture_spider), out_dir=str(tmp_path / "out"))
    result = build_ambigsql(config, generator=_FlakyGenerator(), show_progress=False)
    train = result.stats["splits"]["train"]
    assert train["pairs"] == 0 and train["rejected"] == 8
    assert train["rejects_by_reason"] == {
        SAME_AS_CLEAR: 3,
        NOT_A_QUESTION: 3,
        "unreadable_generation": 2,
    }
    rejects = _lines(result.out_dir / "rejects.jsonl")
    assert len(rejects) == 8 + 13
    assert {r["reason"] for r in rejects} == {
        SAME_AS_CLEAR,
        NOT_A_QUESTION,
        "unreadable_generation",
    }
    assert all(r["clear_request"] and r["gold_sql"] and r["split"] for r in rejects)


def test_validation_reasons():
    def generated(request, question):
        return AmbiguousRequest(AmbiguityType.INFORMATION, request, question, "edit")

    clear = "How many singers do we have?"
    assert (
        rejection_reason(clear, generated("Tell me about the singers.", "What do you want?"))
        is None
    )
    assert (
        rejection_reason(clear, generated("how many singers do we have", "Which?")) == SAME_AS_CLEAR
    )
    assert rejection_reason(clear, generated("Tell me.", "Here they are.")) == NOT_A_QUESTION
    assert rejection_reason(clear, generated(" ", "Which?")) == "empty_ambiguous_request"
    assert rejection_reason(clear, generated("Tell me.", "")) == "empty_clarifying_question"


def test_rule_rewrites(fixture_spider):
    from act_bench_tasks.ambigsql.builder.build import prepare_items
    from act_bench_tasks.ambigsql.spider import SpiderLayout

    layout = SpiderLayout(fixture_spider)
    items = prepare_items(layout.read_examples("dev"), layout.read_schemas(), layout, seed=0)
    generator = RuleGenerator(seed=0)
    by_question = {i.example.question: i for i in items}

    def rewrite(question, kind):
        item = by_question[question]
        from dataclasses import replace

        return generator.generate_one(replace(item, ambiguity_type=AmbiguityType(kind)))

    sorted_list = rewrite(
        "List the names of all breads in descending order of price.", "presentation"
    )
    assert (sorted_list.request, sorted_list.method) == ("List the names of all breads.", "edit")
    columns = rewrite(
        "What are the names and cities of the shops opened after 2005?", "information"
    )
    assert columns.request == "What are the details of the shops opened after 2005?"
    population = rewrite("How many shops are there?", "population")
    assert population.request == "How many are there?"
    which = rewrite(
        "Which breads are made with wheat flour? Give their names and prices.", "population"
    )
    assert which.request == "Which ones are made with wheat flour? Give their names and prices."
    count = rewrite("How many shops are there?", "information")
    assert count.method == "template" and "shops" in count.request
    assert all(
        r.clarifying_question.endswith("?") for r in (sorted_list, columns, population, which)
    )


def test_real_spider_builds_balanced_pairs_of_all_three_types(real_spider, tmp_path):
    """The rule generator over Spider's own json (the first 400 examples of each split)."""
    result = _build(real_spider, tmp_path / "out", limit=400)
    splits = result.stats["splits"]
    for name, counts in splits.items():
        types = counts["by_ambiguity_type"]
        assert counts["pairs"] + counts["rejected"] == counts["spider_examples"]
        assert counts["pairs"] >= 0.99 * counts["spider_examples"], name
        assert all(types[t] > 0 for t in types), (name, types)
        drawn = types["information"] + types["population"]
        assert 0.4 < types["information"] / drawn < 0.6, (name, types)
        assert result.stats["overview"][name]["ambiguous_requests"] == counts["pairs"]
    validation_dbs = {r["db_id"] for r in _lines(result.out_dir / "validation.jsonl")}
    test_dbs = {r["db_id"] for r in _lines(result.out_dir / "test.jsonl")}
    assert not validation_dbs & test_dbs
    assert (
        "wta_1" in splits["validation"]["databases_missing"] + splits["test"]["databases_missing"]
    )
    again = _build(real_spider, tmp_path / "again", limit=400)
    assert (again.out_dir / "test.jsonl").read_bytes() == (
        result.out_dir / "test.jsonl"
    ).read_bytes()


def test_bundled_sample_is_up_to_date(tmp_path):
    """The sample's splits are what the builder makes of sample/spider today."""
    from act_bench_tasks.ambigsql.bundled import SAMPLE_DIR, sample_spider_dir

    out = _build(sample_spider_dir(), tmp_path / "out").out_dir
    for name in ("train.jsonl", "validation.jsonl", "test.jsonl"):
        assert (out / name).read_text() == (SAMPLE_DIR / name).read_text(), (
            f"{name} is stale: python -c 'from act_bench_tasks.ambigsql.bundled import "
            "rebuild_sample; "
            "rebuild_sample()'"
        )


def test_the_spider_folder_must_exist(tmp_path):
    with pytest.raises(DataError, match="Spider folder not found"):
        _build(tmp_path / "nope", tmp_path / "out")
    (tmp_path / "partial").mkdir()
    shutil.copy(Path(__file__).parent / "fixtures" / "spider" / "tables.json", tmp_path / "partial")
    with pytest.raises(DataError, match="dev.json is missing"):
        _build(tmp_path / "partial", tmp_path / "out")


def _examples(counts: dict[str, int]):
    from act_bench_tasks.ambigsql.spider import SpiderExample

    return [
        SpiderExample(db, f"q{i}", "SELECT 1", "train_spider.json", i)
        for db, n in counts.items()
        for i in range(n)
    ]


def test_train_is_carved_by_database_for_a_whole_dev_test_split():
    from act_bench_tasks.ambigsql.builder.splits import assign_splits, carve_by_database

    train = _examples({f"db{k}": 10 for k in range(20)})  # 200 examples
    kept, validation = carve_by_database(train, seed=0)
    assert not {e.db_id for e in kept} & {e.db_id for e in validation}
    assert len(validation) == 20 and len(kept) == 180  # 10 %, two whole databases
    assert carve_by_database(train, seed=0) == (kept, validation)  # seeded
    dev = _examples({"dev_a": 3, "dev_b": 4})
    new_train, new_validation, test = assign_splits(train, dev, 0, "spider-dev")
    assert test == dev and (new_train, new_validation) == (kept, validation)
    _, half_validation, half_test = assign_splits(train, dev, 0, "half-dev")
    assert len(half_validation) + len(half_test) == 7 and half_validation and half_test


def test_a_whole_dev_test_split_needs_two_training_databases(fixture_spider, tmp_path):
    with pytest.raises(DataError, match="from 1 training database"):
        _build(fixture_spider, tmp_path / "out", test_split="spider-dev")


def test_the_spider_dev_layout_tests_on_all_of_dev(fixture_spider, tmp_path):
    path = fixture_spider / "train_spider.json"
    train = json.loads(path.read_text())
    for example in train[4:]:  # a second training database (its pairs may be rejected)
        example["db_id"] = "bakery_chain"
    path.write_text(json.dumps(train))
    stats = json.loads(
        (
            _build(fixture_spider, tmp_path / "out", test_split="spider-dev").out_dir / "stats.json"
        ).read_text()
    )
    splits = stats["splits"]
    assert splits["test"]["spider_examples"] == 13  # every dev example
    assert splits["train"]["spider_examples"] + splits["validation"]["spider_examples"] == 8
    assert splits["train"]["spider_examples"] == 4 and stats["build"]["test_split"] == "spider-dev"


def test_an_unknown_split_layout_is_refused(fixture_spider, tmp_path):
    from act_bench.errors import ConfigError

    with pytest.raises(ConfigError, match="--test-split 'dev'"):
        _build(fixture_spider, tmp_path / "out", test_split="dev")
