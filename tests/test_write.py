import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.document import Document, Removal, Source
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


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(meta=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=5), text=st.text(max_size=300),
       title=st.none() | st.text(max_size=40), removed=st.lists(st.tuples(st.text(max_size=10), st.text(max_size=40)),
                                                                max_size=4))
def test_a_spooled_document_writes_the_record_it_would_have_written(meta, text, title, removed):
    """A batch run spools each document (``Document.spooled``) and reads it back two or three times: what it then
    writes is the record the document itself gives, whatever a crawler's record carried in its own fields."""
    doc = Document("d1", Source("a/b.jsonl", "/x/a/b.jsonl", "ab" * 32, 10, "jsonl", position=3,
                                extra={"warc": {"headers": ["x", 1]}}),
                   text=text, title=title, meta=meta, lang="de", lang_prob=0.8571, text_hash="h",
                   removed=[Removal(rule, line) for rule, line in removed])
    back = Document.from_spooled(Document.from_spooled(doc.spooled()).spooled())
    assert dumps(back.to_record("1.0")) == dumps(doc.to_record("1.0"))
    assert back == doc
