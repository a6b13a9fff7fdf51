"""The compact SQLite state (schema 4): a state written before it is upgraded in place and finds the
same copies, and the packed band index gives every candidate the 64-bit band keys give."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from corpus.dedup.minhash import MinHashParams, Signature, is_match
from corpus.dedup.state import SCHEMA_VERSION, StateError, StateIndex, band_keys, params_record
from corpus.identity import ID_SCHEME

# the schema newsclean wrote until schema 4, word for word
SCHEMA_3 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    shingles INTEGER NOT NULL,
    words INTEGER NOT NULL,
    signature BLOB NOT NULL,
    run INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX docs_first_seen ON docs (first_seen);
CREATE TABLE bands (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
CREATE TABLE runs (
    run INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    started TEXT NOT NULL,
    mode TEXT NOT NULL,
    kept INTEGER NOT NULL
);
CREATE INDEX runs_fingerprint ON runs (fingerprint);
CREATE TABLE lines (run INTEGER PRIMARY KEY, keys BLOB NOT NULL, counts BLOB NOT NULL);
"""
OLD_LOOKUP = ("SELECT id, first_seen, shingles, words, signature, run FROM docs WHERE rowid IN "
              "(SELECT doc FROM bands WHERE key IN ({}))")


def near_copy(values: np.ndarray, rng: np.random.Generator, changed: int) -> np.ndarray:
    copy = values.copy()
    where = rng.choice(len(copy), changed, replace=False)
    copy[where] = rng.integers(0, 2**32, changed, dtype=np.uint32)
    return copy


@pytest.fixture
def schema_3_state(tmp_path):
    """A schema-3 state as newsclean wrote it: 300 records over 3 runs (content ids and crawler ids,
    paths in a few folders), its runs and one run's line counts; and 120 queries."""
    params = MinHashParams()
    rng = np.random.default_rng(7)
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_3)
    db.executemany("INSERT INTO meta VALUES (?, ?)",
                   [("schema", "3"), ("minhash", params_record(params)), ("ids", ID_SCHEME)])
    values = rng.integers(0, 2**32, size=(300, params.num_perm), dtype=np.uint32)
    docs = []
    for i, row in enumerate(values):
        doc_id = f"{rng.integers(0, 2**63):032x}" if i % 7 else f"crawler-{i}"
        docs.append((i * 2 + 1, doc_id, f"/crawl/night-{i % 3}/page {i}.html" if i % 5 else f"page-{i}.txt",
                     f"2026-0{1 + i % 3}-0{1 + i % 5}T03:00:00+00:00", 1 + i % 3, 300 + i, 350 + i, row.tobytes()))
    db.executemany("INSERT INTO docs (rowid, id, path, first_seen, run, shingles, words, signature) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", docs)
    db.executemany("INSERT INTO bands VALUES (?, ?)",
                   [(key, d[0]) for d in docs for key in band_keys(np.frombuffer(d[7], np.uint32), params)])
    runs = [(n, f"fingerprint-{n}", f"2026-0{n}-01T03:00:00+00:00", "batch", 100) for n in (1, 2, 3)]
    db.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?)", runs)
    db.execute("INSERT INTO lines VALUES (2, ?, ?)",
               (np.array([5, 9], "<u8").tobytes(), np.array([3, 4], "<u4").tobytes()))
    db.commit()
    queries = [near_copy(values[i], rng, params.num_perm // 5) for i in range(0, 300, 5)]
    queries += [near_copy(values[i], rng, params.num_perm // 2) for i in range(0, 300, 10)]
    queries += [rng.integers(0, 2**32, params.num_perm, dtype=np.uint32) for _ in range(30)]
    queries = [Signature(q, 320, 360) for q in queries]
    expected = []
    for sig in queries:
        keys = band_keys(sig.hashvalues, params)
        rows = db.execute(OLD_LOOKUP.format(",".join("?" * len(keys))), keys).fetchall()
        expected.append(sorted((doc_id, seen, run) for doc_id, seen, shingles, words, blob, run in rows
                               if is_match(sig, Signature(np.frombuffer(blob, np.uint32), shingles, words), params)))
    old_bands = sorted(db.execute("SELECT key, doc FROM bands"))
    db.close()
    return path, docs, runs, queries, expected, old_bands


def confirmed(index: StateIndex, sig: Signature) -> list[tuple[str, str, int]]:
    return sorted((r.id, r.first_seen, r.run) for r in index.lookup(sig) if is_match(sig, r.signature, index.params))


def test_a_schema_3_state_is_upgraded_in_place_and_finds_the_same_copies(schema_3_state, monkeypatch):
    import corpus.dedup.state as state_module

    monkeypatch.setattr(state_module, "TAGS_AFTER", 60)  # half the queries through SQL alone, half with the tags
    path, docs, runs, queries, expected, old_bands = schema_3_state
    assert sum(1 for e in expected if e) >= 80, "the queries find copies: the comparison means something"
    index = StateIndex(str(path), MinHashParams())
    try:
        assert index.info()["schema"] == SCHEMA_VERSION == 4
        assert [(r, i, p, s, run, sh, w, bytes(b)) for r, i, p, s, run, sh, w, b in index.stored_docs()] == [
            (r, i, p, s, run, sh, w, b) for r, i, p, s, run, sh, w, b in docs], "every record as it was, in order"
        assert index.stored_runs() == runs
        lines = dict(index.stored_lines())
        assert list(lines) == [2] and lines[2].keys.tolist() == [5, 9] and lines[2].counts.tolist() == [3, 4]
        assert sorted(index.stored_bands()) == old_bands, "the Dask executor joins the same 64-bit keys"
        assert [confirmed(index, sig) for sig in queries] == expected
        info = index.info()
        assert (info["records"], info["oldest"], info["newest"]) == (300, "2026-01-01T03:00:00+00:00",
                                                                      "2026-03-05T03:00:00+00:00")
        assert index.rerun_of("fingerprint-2") == 2 and index.next_run() == 4
    finally:
        index.close()
    db = sqlite3.connect(path)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "docs_v3" not in tables and db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT typeof(id), COUNT(*) FROM docs GROUP BY 1 ORDER BY 1").fetchall() == [
        ("blob", 257), ("text", 43)], "content ids as 16 bytes, crawler ids as they are"
    db.close()
    index = StateIndex(str(path), MinHashParams())  # opened again: schema 4 as it is
    try:
        assert [confirmed(index, sig) for sig in queries] == expected
    finally:
        index.close()


def test_prune_after_the_upgrade_forgets_the_old_records_in_the_band_index_too(schema_3_state):
    path, _, _, queries, expected, _ = schema_3_state
    index = StateIndex(str(path), MinHashParams())
    try:
        assert index.prune("2026-02-01") == 100
        assert [confirmed(index, sig) for sig in queries] == [
            [m for m in e if m[1] >= "2026-02-01"] for e in expected]
        left = {row for (row,) in index._db.execute("SELECT rowid FROM docs")}
        stored = {doc for (blob,) in index._db.execute("SELECT entries FROM bands")
                  for doc in np.frombuffer(blob, dtype=[("tag", "<u2"), ("doc", "<u4")])["doc"].tolist()}
        assert stored == left
        assert index.info()["oldest"] == "2026-02-01T03:00:00+00:00"
    finally:
        index.close()


def test_crowded_buckets_give_every_candidate(tmp_path, monkeypatch):
    """With 4 buckets only (every lookup asks for one bucket many times, every bucket holds thousands of
    entries), lookups still give exactly the records a band key of the query names, and no other."""
    import corpus.dedup.state as state_module
    import corpus.dedup.state_layout as layout

    real = layout.entry_keys

    def crowded(hashvalues, params):
        keys = real(hashvalues, params)
        buckets, tags = keys >> np.uint64(16), keys & np.uint64(0xFFFF)
        return ((buckets % np.uint64(4)) << np.uint64(16)) | (((buckets >> np.uint64(2)) ^ tags) & np.uint64(0xFFFF))

    monkeypatch.setattr(layout, "entry_keys", crowded)
    monkeypatch.setattr(state_module, "entry_keys", crowded)
    params = MinHashParams()
    rng = np.random.default_rng(3)
    values = rng.integers(0, 2**32, size=(200, params.num_perm), dtype=np.uint32)
    index = StateIndex(str(tmp_path / "s.db"), params)
    try:
        index.add_all([(f"{i:032x}", f"/p/{i}", Signature(v, 100, 100)) for i, v in enumerate(values)],
                      "2026-01-01T00:00:00+00:00")
        stored = {f"{i:032x}": set(band_keys(v, params)) for i, v in enumerate(values)}
        for i in range(0, 200, 4):
            sig = Signature(near_copy(values[i], rng, 90), 100, 100)
            keys = set(band_keys(sig.hashvalues, params))
            found = {r.id for r in index.lookup(sig)}
            sharing = {doc_id for doc_id, theirs in stored.items() if theirs & keys}
            assert sharing <= found, "every record sharing a band is a candidate"
            assert all(r.id in sharing or not is_match(sig, r.signature, params) for r in index.lookup(sig))
    finally:
        index.close()


@pytest.mark.parametrize(("key", "value", "message"), [
    ("schema", str(SCHEMA_VERSION + 1), f"state schema {SCHEMA_VERSION + 1} is newer than this newsclean reads"),
    ("bands", "xxh64-buckets24-tag12-row32", "keeps its band keys in another layout"),
])
def test_a_state_this_newsclean_cannot_read_is_refused_and_left_as_it_was(tmp_path, key, value, message):
    """A state from a newer newsclean, or with its band index in another layout, is refused by a message
    that says what to do, never read wrongly nor rewritten (schemas 1 to 3 are upgraded: see above)."""
    path = str(tmp_path / "s.db")
    index = StateIndex(path, MinHashParams())
    index.add_all([("a" * 32, "/p/a", Signature(np.arange(128, dtype=np.uint32), 10, 10))], "2026-01-01")
    index.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
    db.commit()
    before = db.execute("SELECT * FROM docs").fetchall(), db.execute("SELECT * FROM bands").fetchall()
    db.close()
    with pytest.raises(StateError, match=message) as refused:
        StateIndex(path, MinHashParams())
    assert "another --state file" in str(refused.value) or "upgrade newsclean" in str(refused.value)
    db = sqlite3.connect(path)
    assert (db.execute("SELECT * FROM docs").fetchall(), db.execute("SELECT * FROM bands").fetchall()) == before
    assert db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone() == (value,)
    db.close()
