"""Property: whatever folder of inputs a night brings, every document in is accounted for.

Random folders of every input kind (pages, text, gzip, crawler JSONL with broken lines, WARC
with junk between records, hidden and unsupported files): the run exits 0, writes strict JSON,
and records + rejects (skips included) equal the documents that went in.
"""

from __future__ import annotations

import gzip
import json

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import main
from tests.conftest import STORY, html_page
from tests.test_hostile_round2 import PAGES, warc_record

TEXTS = st.sampled_from(["Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY), "", "   \n", "short",
                         "\x00\x01\x02 binary \x03\x04" * 50, "Ünïcödé ✓ 中文 текст " * 20])
JSONL_LINES = st.sampled_from([json.dumps({"text": "\n".join(STORY)}), json.dumps({"html": html_page("T t t", STORY)}),
                               "{broken", "[1, 2]", json.dumps({"url": "u"}), "", '{"text": "x", "v": NaN}'])


@st.composite
def an_input(draw: st.DrawFn) -> tuple[str, bytes, int]:
    """(file name suffix, content, documents it holds)."""
    kind = draw(st.sampled_from(["txt", "html", "txt.gz", "jsonl", "warc", "hidden", "unsupported"]))
    if kind in ("txt", "hidden", "unsupported"):
        return {"txt": ".txt", "hidden": ".txt", "unsupported": ".pdf"}[kind], draw(TEXTS).encode(), 1
    if kind == "html":
        return ".html", html_page("A headline for the page", draw(st.lists(st.sampled_from(STORY), max_size=4))
                                  ).encode(), 1
    if kind == "txt.gz":
        return ".txt.gz", gzip.compress(draw(TEXTS).encode()), 1
    if kind == "jsonl":
        lines = draw(st.lists(JSONL_LINES, max_size=5))
        return ".jsonl", ("\n".join(lines) + "\n").encode() if lines else b"", max(1, sum(bool(x) for x in lines))
    pages = draw(st.lists(st.sampled_from(PAGES), max_size=3))
    junk = draw(st.booleans()) and bool(pages)
    records = [warc_record(url, page) for url, page in pages]
    if junk:
        records.insert(1, b"\x00 not a record \x00\r\n")
    return ".warc", b"".join(records), max(1, len(pages) + junk)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(an_input(), min_size=1, max_size=8))
def test_every_document_in_is_a_record_or_a_reject(tmp_path_factory, inputs):
    folder = tmp_path_factory.mktemp("night")
    expected = 0
    for i, (suffix, content, documents) in enumerate(inputs):
        name = f".hidden{i}{suffix}" if content and suffix == ".txt" and i % 5 == 4 else f"in{i}{suffix}"
        (folder / name).write_bytes(content)
        expected += documents if not name.startswith(".") else 1
    rejects = folder.parent / f"{folder.name}-rejects.jsonl"
    result = CliRunner().invoke(main, ["ingest", str(folder), "--keep-duplicates", "--workers", "1", "-q",
                                       "--rejects", str(rejects)])
    assert result.exit_code == 0, result.output

    def strict(name: str) -> None:
        raise ValueError(name)

    out = [json.loads(line, parse_constant=strict) for line in result.stdout.splitlines()]
    rejected = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert len(out) + len(rejected) == expected, (len(out), [r["reason"] for r in rejected], expected)
