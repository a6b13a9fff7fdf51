"""`report` keeps nothing of a record's text and 8 bytes a duplicate for the group table (issue 27).
The peak memory itself is measured by `make bench` (bench/bench_report_memory.py), not here."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from corpus.report import summary
from corpus.report.summary import Groups, build, lines_of, words_up_to


def record(i: int, text: str, duplicate_of: str | None = None, removed: list | None = None) -> str:
    return json.dumps({"id": f"{i:032x}", "title": f"Story {i}", "text": text, "duplicate_of": duplicate_of,
                       "provenance": {"path": f"feed/{i}.html", "removed": removed or []}})


def strings_in(value: object):  # noqa: ANN201 - yields every string in a nest of dicts, lists and tuples
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings_in(k)
            yield from strings_in(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from strings_in(v)


def test_a_report_of_a_huge_record_holds_nothing_of_its_text(tmp_path):
    text = " ".join(f"word{i % 997}" for i in range(400_000))  # about 3 MB
    removed = [{"rule": "share-bar", "text": "\n".join(f"Share line {i}" for i in range(5_000))}]
    out = tmp_path / "out.jsonl"
    out.write_text(record(1, text, removed=removed) + "\n", encoding="utf-8")
    report = build(out)
    assert report.lengths == Counter({3200: 1})
    assert report.rule_lines["share-bar"] == 5_000  # every removed line counted ...
    assert len(report.removed_lines["share-bar"].counts) == summary.REMOVED_LINES_SHOWN  # ... a bounded number kept
    assert max(len(s) for s in strings_in(report.as_dict())) <= 200


@pytest.mark.parametrize("chunk", [1, 3, 7, 64])
def test_words_are_counted_a_chunk_at_a_time_as_split_counts_them(monkeypatch, chunk):
    monkeypatch.setattr(summary, "WORDS_CHUNK", chunk)
    rng = random.Random(chunk)
    for _ in range(200):
        text = "".join(rng.choice(["a", "bc", " ", "\n", "\u3000", "d\u00e9", "  "]) for _ in range(rng.randint(0, 40)))
        assert words_up_to(text, 10_000) == len(text.split()), repr(text)
    assert words_up_to("w " * 10_000, 50) in range(50, 50 + chunk + 1)  # stops once the cap is passed


def test_lines_are_read_one_by_one_as_split_gives_them():
    for text in ("", "a", "a\n", "\n\nb\nc", "x\ny\n\n"):
        assert list(lines_of(text)) == text.split("\n")


def test_the_group_table_keeps_eight_bytes_a_duplicate_and_counts_exactly():
    groups, counted = Groups(), Counter()
    rng = random.Random(4)
    for _ in range(5_000):
        kept = f"{rng.randint(0, 700):032x}"
        groups.add(kept)
        counted[kept] += 1
    assert groups.keys.itemsize == 8 and len(groups.keys) == 5_000
    by_size, largest = groups.settle()
    assert by_size == Counter(n + 1 for n in counted.values())
    assert [(g.kept_id, g.size) for g in largest] == [(k, n + 1) for k, n in counted.most_common(summary.TOP)]
