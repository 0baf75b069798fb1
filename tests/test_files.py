"""act_bench/files.py: atomic replacement and JSONL logs with a torn last line."""

from __future__ import annotations

import stat

import pytest

from act_bench.errors import DataError
from act_bench.files import (
    append_jsonl,
    atomic_path,
    read_jsonl,
    read_jsonl_lines,
    write_atomic,
    write_json_atomic,
)


def test_an_atomic_write_replaces_the_file_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "sub" / "file.json"
    write_json_atomic(target, {"a": [1, 2]})
    assert target.read_text() == '{\n  "a": [\n    1,\n    2\n  ]\n}\n'
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "data.sqlite"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.sqlite"]


def test_a_torn_last_line_is_dropped_cut_with_repair_and_an_error_when_strict(tmp_path):
    path = tmp_path / "log.jsonl"
    append_jsonl(path, [{"id": "a"}, {"id": "b"}])
    with path.open("a") as handle:
        handle.write('{"id": "c"')  # a run killed mid-line
    assert [line for _, line in read_jsonl_lines(path)] == [b'{"id": "a"}', b'{"id": "b"}']
    with pytest.raises(DataError, match="incomplete") as raised:
        read_jsonl_lines(path, strict=True)
    assert raised.value.record == "line 3"
    assert path.read_bytes().endswith(b'{"id": "c"')  # not repaired without repair
    assert [r["id"] for r in read_jsonl(path)] == ["a", "b"]  # read_jsonl repairs
    append_jsonl(path, [{"id": "d"}])
    assert [r["id"] for r in read_jsonl(path)] == ["a", "b", "d"]


def test_a_bad_line_names_the_file_line_and_field(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"id": "a"}\n{"other": 1}\n')
    with pytest.raises(DataError) as raised:
        read_jsonl(path, required=("id",))
    assert (raised.value.file, raised.value.record, raised.value.field) == (
        str(path),
        "line 2",
        "id",
    )
    assert read_jsonl(tmp_path / "absent.jsonl") == []
