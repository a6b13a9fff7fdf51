"""SQLite state lookups with the band tags in memory (corpus.dedup.state_tags): they give exactly the
records a band entry of the query names, in the order they were stored, whether the tags are read yet or
not, with full blocks, with records the run adds in its open transaction, after a rollback, and after
another connection's commit."""

from __future__ import annotations

import numpy as np
import pytest

import corpus.dedup.state as state_module
import corpus.dedup.state_tags as tags_module
from corpus.dedup.minhash import MinHashParams, Signature
from corpus.dedup.state import StateIndex
from corpus.dedup.state_layout import add_records, entry_keys
from corpus.dedup.state_tags import TagIndex

PARAMS = MinHashParams()
SEEN = "2026-01-01T00:00:00+00:00"


def near_copy(values: np.ndarray, rng: np.random.Generator, changed: int) -> np.ndarray:
    copy = values.copy()
    where = rng.choice(len(copy), changed, replace=False)
    copy[where] = rng.integers(0, 2**32, changed, dtype=np.uint32)
    return copy


def corpus_of(rng: np.random.Generator, count: int) -> np.ndarray:
    """Signatures of which about a third are near-copies of an earlier one (buckets shared by several)."""
    values = rng.integers(0, 2**32, size=(count, PARAMS.num_perm), dtype=np.uint32)
    for i in range(1, count, 3):
        values[i] = near_copy(values[rng.integers(0, i)], rng, int(rng.integers(5, 60)))
    return values


def queries_of(rng: np.random.Generator, stored: np.ndarray, count: int) -> list[np.ndarray]:
    picks = rng.integers(0, len(stored), count)
    return [rng.integers(0, 2**32, PARAMS.num_perm, dtype=np.uint32) if i % 4 == 0
            else stored[p].copy() if i % 4 == 1 else near_copy(stored[p], rng, int(rng.integers(5, 100)))
            for i, p in enumerate(picks)]


def expected(stored: list[tuple[str, np.ndarray]], query: np.ndarray) -> list[str]:
    """The ids of the stored records (in the order stored) with an entry key of the query's."""
    keys = set(entry_keys(query, PARAMS).tolist())
    return [doc_id for doc_id, values in stored if keys & set(entry_keys(values, PARAMS).tolist())]


def ids(index: StateIndex, query: np.ndarray) -> list[str]:
    return [rec.id for rec in index.lookup(Signature(query, 100, 100))]


@pytest.fixture(params=[64, 4], ids=["blocks", "full-blocks"])
def slots(request, monkeypatch):
    """The block size: the house's, or 4 slots, where most entries spill (the spilled entries' path)."""
    monkeypatch.setattr(tags_module, "SLOTS", request.param)
    return request.param


def test_lookups_give_exactly_the_records_a_band_entry_names(tmp_path, monkeypatch, slots):
    monkeypatch.setattr(state_module, "TAGS_AFTER", 40)  # the first 40 through SQL alone, then the tags
    rng = np.random.default_rng(11)
    values = corpus_of(rng, 400)
    stored = [(f"{i:032x}", v) for i, v in enumerate(values)]
    index = StateIndex(str(tmp_path / "s.db"), PARAMS)
    try:
        index.add_all([(doc_id, f"/p/{i}", Signature(v, 100, 100)) for i, (doc_id, v) in enumerate(stored)], SEEN)
        queries = queries_of(rng, values, 160)
        for query in queries:
            assert ids(index, query) == expected(stored, query)
        assert index._tags is not None, "the tags were read after TAGS_AFTER lookups"
        assert sum(bool(expected(stored, q)) for q in queries) > 100  # the queries did find records
    finally:
        index.close()


def test_records_a_run_adds_are_found_at_once_and_forgotten_on_rollback(tmp_path, monkeypatch, slots):
    monkeypatch.setattr(state_module, "TAGS_AFTER", 0)
    rng = np.random.default_rng(12)
    values = corpus_of(rng, 300)
    first = [(f"{i:032x}", v) for i, v in enumerate(values[:200])]
    index = StateIndex(str(tmp_path / "s.db"), PARAMS)
    try:
        index.add_all([(doc_id, f"/p/{doc_id}", Signature(v, 100, 100)) for doc_id, v in first], SEEN)
        index.begin()  # as a streaming run: lookups and adds in one transaction
        added = list(first)
        for i, v in enumerate(values[200:], start=200):
            query = near_copy(v, rng, 20) if i % 2 else v
            assert ids(index, query) == expected(added, query)
            index.add(f"{i:032x}", f"/p/{i}", Signature(v, 100, 100), SEEN, 2)
            added.append((f"{i:032x}", v))
            assert ids(index, v) == expected(added, v)
        queries = queries_of(rng, values, 80)
        for query in queries:
            assert ids(index, query) == expected(added, query)
        index.rollback()
        for query in queries:
            assert ids(index, query) == expected(first, query)
    finally:
        index.close()


@pytest.fixture
def two(tmp_path, monkeypatch):
    """Two connections to one state (a reader that looks up, a writer), 300 signatures and the generator."""
    monkeypatch.setattr(state_module, "TAGS_AFTER", 0)
    rng = np.random.default_rng(13)
    path = str(tmp_path / "s.db")
    return StateIndex(path, PARAMS), StateIndex(path, PARAMS), corpus_of(rng, 300), rng


def committed_after_the_tags(reader: StateIndex, writer: StateIndex, values: np.ndarray) -> list:
    """The writer commits 100 records, the reader looks up (reading the tags, outside a transaction), the
    writer commits 100 more; returns the 200 stored (id, values)."""
    stored = [(f"{i:032x}", v) for i, v in enumerate(values[:100])]
    writer.add_all([(doc_id, f"/p/{doc_id}", Signature(v, 100, 100)) for doc_id, v in stored], SEEN)
    assert ids(reader, values[150]) == expected(stored, values[150])  # the tags read
    more = [(f"{i:032x}", v) for i, v in enumerate(values[100:200], start=100)]
    writer.add_all([(doc_id, f"/p/{doc_id}", Signature(v, 100, 100)) for doc_id, v in more], SEEN)
    return stored + more


def test_another_connections_commit_and_writes_to_the_tables_are_seen(two):
    reader, writer, values, rng = two
    try:
        stored = committed_after_the_tags(reader, writer, values)
        for query in [*values[100:200:7], *queries_of(rng, values[:200], 40)]:
            assert ids(reader, query) == expected(stored, query)
        rest = [(f"{i:032x}", v) for i, v in enumerate(values[200:], start=200)]
        reader._db.execute("BEGIN")  # the way bench/bench_state.py fills a state: the tables written directly
        add_records(reader._db, PARAMS, [(None, doc_id, f"/p/{doc_id}", SEEN, 100, 100, v.tobytes(), 3)
                                         for doc_id, v in rest])
        reader._db.execute("COMMIT")
        stored += rest
        for query in [*values[200::9], *queries_of(rng, values, 40)]:
            assert ids(reader, query) == expected(stored, query)
    finally:
        reader.close()
        writer.close()


def test_a_near_copy_reads_one_bucket_and_a_miss_none(tmp_path, monkeypatch):
    """What makes lookups fast: a query no stored entry shares reads no bucket; a near-copy of one stored
    record reads one bucket and that record, however many of its bands it shares (a second bucket now and
    then, when another entry's tag in memory looks like one of the query's)."""
    monkeypatch.setattr(state_module, "TAGS_AFTER", 0)
    rng = np.random.default_rng(14)
    values = rng.integers(0, 2**32, size=(200, PARAMS.num_perm), dtype=np.uint32)
    index = StateIndex(str(tmp_path / "s.db"), PARAMS)
    try:
        index.add_all([(f"{i:032x}", f"/p/{i}", Signature(v, 100, 100)) for i, v in enumerate(values)], SEEN)
        index.lookup(Signature(values[0], 100, 100))  # the tags read
        statements: list[str] = []
        index._db.set_trace_callback(statements.append)
        shared = buckets = 0
        for i in range(0, 200, 10):
            query = near_copy(values[i], rng, 20)
            statements.clear()
            assert [r.id for r in index.lookup(Signature(query, 100, 100))] == [f"{i:032x}"]
            assert sum("FROM docs" in s for s in statements) == 1
            assert 1 <= sum("FROM bands" in s for s in statements) <= 2
            buckets += sum("FROM bands" in s for s in statements)
            shared += len(set(entry_keys(values[i], PARAMS).tolist()) & set(entry_keys(query, PARAMS).tolist())) > 1
        assert shared > 15 and buckets <= 23  # most share several bands: their buckets are not all read
        statements.clear()
        for _ in range(50):
            assert index.lookup(Signature(rng.integers(0, 2**32, PARAMS.num_perm, dtype=np.uint32), 100, 100)) == []
        assert sum("FROM bands" in s for s in statements) <= 2  # an accidental 16-bit tag, now and then
    finally:
        index.close()


def test_the_tag_counts_are_never_below_the_entries(monkeypatch, slots):
    rng = np.random.default_rng(15)
    keys = rng.integers(0, 2**36, 20_000, dtype=np.uint64)
    keys = np.sort(np.concatenate([keys, keys[:3000], keys[:500]]))  # some keys two or three times
    index = TagIndex([keys[:9000], keys[9000:]], len(keys))
    later = rng.integers(0, 2**36, 2000, dtype=np.uint64)
    for start in range(0, len(later), 42):
        index.add(later[start: start + 42])
    every = np.concatenate([keys, later])
    asked = np.concatenate([rng.choice(every, 3000), rng.integers(0, 2**36, 3000, dtype=np.uint64)])
    unique, repeats = np.unique(every, return_counts=True)
    true = dict(zip(unique.tolist(), repeats.tolist(), strict=True))
    for start in range(0, len(asked), 42):
        part = asked[start: start + 42]
        counts = index.counts(part)
        if counts is None:
            assert not any(k in true for k in part.tolist())
        else:
            assert all(c >= true.get(k, 0) for k, c in zip(part.tolist(), counts.tolist(), strict=True))


def test_inside_the_runs_write_transaction_the_file_is_asked_once(two):
    """A night's lookups run inside its write transaction, where no other connection can commit: the
    file's data_version is asked by the first lookup there (another connection may have committed
    since the tags were read), not by every one; the run's own writes are still seen."""
    reader, writer, values, rng = two
    try:
        stored = committed_after_the_tags(reader, writer, values)
        reader.begin()
        statements: list[str] = []
        reader._db.set_trace_callback(statements.append)
        queries = [*values[100:200:5], *queries_of(rng, values[:200], 40)]
        for query in queries:
            assert ids(reader, query) == expected(stored, query)
        assert sum("data_version" in s for s in statements) == 1
        rest = [(f"{i:032x}", v) for i, v in enumerate(values[200:], start=200)]
        add_records(reader._db, PARAMS, [(None, doc_id, f"/p/{doc_id}", SEEN, 100, 100, v.tobytes(), 3)
                                         for doc_id, v in rest])  # written straight to the tables, in the run
        stored += rest
        for query in [*values[200::9], *queries_of(rng, values, 40)]:
            assert ids(reader, query) == expected(stored, query)
        reader.rollback()
        statements.clear()
        stored = stored[:200]
        for query in [*values[200::9], *queries_of(rng, values[:200], 20)]:
            assert ids(reader, query) == expected(stored, query)
        assert sum("data_version" in s for s in statements) >= 20  # outside a transaction: every lookup
    finally:
        reader.close()
        writer.close()
