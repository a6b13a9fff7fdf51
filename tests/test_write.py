import json

import pytest

from corpus.outputs.write import atomic_output, dumps, write_jsonl


def test_atomic_output_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("previous night\n")
    with pytest.raises(RuntimeError), atomic_output(str(target)) as handle:
        handle.write("half a record")
        raise RuntimeError("killed")
    assert target.read_text() == "previous night\n"
    assert list(tmp_path.iterdir()) == [target], "no temp file left behind"
    with atomic_output(str(target)) as handle:
        write_jsonl([{"a": 1}, {"b": "ü"}], handle)
    assert [json.loads(line) for line in target.read_text().splitlines()] == [{"a": 1}, {"b": "ü"}]


def test_dumps_is_one_line_and_keeps_unicode():
    line = dumps({"text": "Zürich\nline two"})
    assert "\n" not in line and "Zürich" in line
