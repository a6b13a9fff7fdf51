"""How the SQLite state (schema 4) packs its records and band keys: :mod:`corpus.dedup.state` keeps them.

Ids as 16 bytes, paths as a shared folder and a name, band keys as 6-byte entries grouped in buckets,
and the rewrite of a schema-3 state into this layout.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from functools import lru_cache

import numpy as np
import xxhash

from corpus.dedup.minhash import MinHashParams, Signature, StoredRecord
from corpus.identity import is_content_id

# The band index: each band's 64-bit key (:func:`band_keys`, the key the Parquet state and the Dask
# executor use) is cut in two: its top BUCKET_BITS pick a row of `bands`, the next 16 bits are kept as
# the entry's tag, beside the record's rowid: 6 bytes an entry, 42 entries a record, about 42 entries a
# bucket at 1,000,000 records. Two bands meet when bucket and tag agree (36 bits): an accidental meeting,
# about one lookup in 40 at 1,000,000 records, only adds a candidate, which the signature comparison
# turns away; every pair the 64-bit keys propose is still proposed.
BUCKET_BITS = 20
BAND_INDEX = f"xxh64-buckets{BUCKET_BITS}-tag16-row32"  # kept in meta: another layout is refused, never misread
ENTRY = np.dtype([("tag", "<u2"), ("doc", "<u4")])
_APPEND = ("INSERT INTO bands (bucket, entries) VALUES (?, ?) "
           "ON CONFLICT (bucket) DO UPDATE SET entries = CAST(entries || excluded.entries AS BLOB)")
_TAG_SHIFT = 48 - BUCKET_BITS
_BUCKETS = "SELECT bucket, entries FROM bands WHERE bucket IN ({})"
_CANDIDATES = ("SELECT d.rowid, d.id, i.text, d.shingles, d.words, d.signature, d.run FROM docs d "
               "JOIN instants i ON i.n = d.first_seen WHERE d.rowid IN ({}) ORDER BY d.rowid")
_STORED = ("SELECT group_concat(bucket || ',' || length(entries)), CAST(group_concat(entries, '') AS BLOB) "
           "FROM bands WHERE bucket >= ? AND bucket < ?")


def band_keys(hashvalues: np.ndarray, params: MinHashParams) -> list[int]:
    """One signed 64-bit key per LSH band (band number included, so bands never collide)."""
    return [d - (1 << 63) for d in _digests(np.asarray(hashvalues, dtype=np.uint32).tobytes(), params)]


def _digests(values: bytes, params: MinHashParams) -> list[int]:
    width = 4 * params.rows
    return list(map(xxhash.xxh64_intdigest, map(values.__getitem__, _band_slices(width, params.bands)),
                    range(params.bands)))


@lru_cache(maxsize=4)
def _band_slices(width: int, bands: int) -> list[slice]:
    return [slice(band * width, (band + 1) * width) for band in range(bands)]


def entry_keys(hashvalues: np.ndarray, params: MinHashParams) -> np.ndarray:
    """A signature's LSH bands as the SQLite index keys them: bucket << 16 | tag (uint64), the top
    BUCKET_BITS + 16 bits of :func:`band_keys`' key; see BUCKET_BITS."""
    digests = _digests(np.asarray(hashvalues, dtype=np.uint32).tobytes(), params)
    return np.array(digests, dtype=np.uint64) >> np.uint64(_TAG_SHIFT)


def append_entries(db: sqlite3.Connection, buckets: np.ndarray, tags: np.ndarray, docs: np.ndarray) -> None:
    """Add band entries (bucket, tag, record rowid; flat arrays) to the index: one statement per bucket."""
    order = np.argsort(buckets, kind="stable")
    buckets = buckets[order]
    entries = np.empty(len(order), dtype=ENTRY)
    entries["tag"] = tags[order]
    entries["doc"] = docs[order]
    blob = entries.tobytes()
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]]).tolist()
    ends = [*starts[1:], len(order)]
    db.executemany(_APPEND, ((b, blob[ENTRY.itemsize * a: ENTRY.itemsize * e])
                             for b, a, e in zip(buckets[starts].tolist(), starts, ends, strict=True)))


@lru_cache(maxsize=256)
def in_query(sql: str, count: int) -> str:
    return sql.format(",".join("?" * count))


def rows_with_entries(db: sqlite3.Connection, keys: list[int]) -> set[int]:
    """The rowids of the records with an entry of these keys (see :func:`entry_keys`): one indexed query."""
    wanted: dict[int, list[bytes]] = {}
    for key in keys:
        wanted.setdefault(key >> 16, []).append((key & 0xFFFF).to_bytes(2, "little"))
    docs = set()
    for bucket, blob in db.execute(in_query(_BUCKETS, len(wanted)), list(wanted)):
        for tag in wanted[bucket]:  # entries are (tag, rowid) in 6 bytes: a search for the tag, kept when aligned
            at = blob.find(tag)
            while at >= 0:
                if at % ENTRY.itemsize == 0:
                    docs.add(int.from_bytes(blob[at + 2: at + ENTRY.itemsize], "little"))
                at = blob.find(tag, at + 1)
    return docs


def records_of(db: sqlite3.Connection, rows: set[int]) -> dict[int, StoredRecord]:
    """The stored records of these rowids, as a lookup gives them back, in rowid order."""
    if not rows:
        return {}
    ordered = sorted(rows)
    return {row[0]: stored_record(row) for row in db.execute(in_query(_CANDIDATES, len(ordered)), ordered)}


def stored_record(row: tuple) -> StoredRecord:
    """A record as a lookup's query reads it: (rowid, id, first seen, shingles, words, signature, run)."""
    _, doc_id, seen, shingles, words, blob, run = row
    return StoredRecord(unpacked_id(doc_id), seen, Signature(np.frombuffer(blob, dtype=np.uint32), shingles, words),
                        run)


def split_path(path: str) -> tuple[str, str]:
    """(folder with its trailing /, name): the folder is stored once for all its records."""
    folder, sep, name = path.rpartition("/")
    return folder + sep, name


def packed_id(doc_id: str) -> bytes | str:
    """A content id (32 lowercase hex digits) as its 16 bytes; any other id (a crawler's) as it is."""
    if is_content_id(doc_id):
        return bytes.fromhex(doc_id)
    return doc_id


def unpacked_id(stored: bytes | str) -> str:
    return stored.hex() if isinstance(stored, bytes) else stored


_INSERT_DOC = ("INSERT {} INTO docs (rowid, id, folder, name, first_seen, shingles, words, signature, run) "
               "VALUES (?, ?, (SELECT n FROM folders WHERE text = ?), ?, (SELECT n FROM instants WHERE text = ?), "
               "?, ?, ?, ?)")


def add_records(db: sqlite3.Connection, params: MinHashParams,
                rows: list[tuple[int | None, str, str, str, int, int, bytes, int]], ignore: bool = False) -> int:
    """Add records (rowid or None, id, path, first_seen, shingles, words, signature bytes, run) with their band
    entries, inside the caller's transaction; ``ignore``: an id already stored keeps its entry. Returns how
    many were added."""
    folders = sorted({split_path(r[2])[0] for r in rows})
    db.executemany("INSERT OR IGNORE INTO folders (text) VALUES (?)", ((f,) for f in folders))
    db.executemany("INSERT OR IGNORE INTO instants (text) VALUES (?)", ((t,) for t in sorted({r[3] for r in rows})))
    insert = _INSERT_DOC.format("OR IGNORE" if ignore else "")
    added, sigs = [], []
    for row, doc_id, path, seen, shingles, words, signature, run in rows:
        cur = db.execute(insert, (row, packed_id(doc_id), *split_path(path), seen, shingles, words, signature, run))
        if cur.rowcount > 0:
            added.append(cur.lastrowid)
            sigs.append(signature)
    if added:
        keys = np.concatenate([entry_keys(np.frombuffer(sig, np.uint32), params) for sig in sigs])
        append_entries(db, (keys >> np.uint64(16)).astype(np.int64), (keys & np.uint64(0xFFFF)).astype(np.uint16),
                       np.repeat(np.array(added, dtype=np.uint32), params.bands))
    return len(added)


def rewrite_schema_3(db: sqlite3.Connection, params: MinHashParams, create: list[str]) -> None:
    """A schema-3 state's records in this layout, inside the caller's transaction: rowids (the records'
    order), ids, paths, first-seen times, runs and signatures are kept; the band index is rebuilt
    from the signatures (``params``: the ones the state was built with)."""
    db.execute("ALTER TABLE docs RENAME TO docs_v3")
    db.execute("DROP INDEX IF EXISTS docs_first_seen")
    db.execute("DROP TABLE IF EXISTS bands")
    for statement in create:
        db.execute(statement)
    last = 0
    while True:
        rows = db.execute("SELECT rowid, id, path, first_seen, shingles, words, signature, run FROM docs_v3 "
                          "WHERE rowid > ? ORDER BY rowid LIMIT 20000", (last,)).fetchall()
        if not rows:
            break
        last = rows[-1][0]
        add_records(db, params, rows)
    db.execute("DROP TABLE docs_v3")


def forget_entries(db: sqlite3.Connection, params: MinHashParams, select: str, args: tuple) -> None:
    """Remove the band entries of the records ``select`` gives as (rowid, signature), 20,000 at a time (it
    takes ``args`` and then the last rowid seen), inside the caller's transaction."""
    last = 0
    while rows := db.execute(select, (*args, last)).fetchall():
        last = rows[-1][0]
        gone = np.array([r[0] for r in rows], dtype=np.uint32)
        keys = np.concatenate([entry_keys(np.frombuffer(r[1], np.uint32), params) for r in rows])
        buckets = set((keys >> np.uint64(16)).tolist())
        for bucket in sorted(buckets):
            row = db.execute("SELECT entries FROM bands WHERE bucket = ?", (bucket,)).fetchone()
            if row is None:
                continue
            entries = np.frombuffer(row[0], dtype=ENTRY)
            kept = entries[~np.isin(entries["doc"], gone)]
            if len(kept):
                db.execute("UPDATE bands SET entries = ? WHERE bucket = ?", (kept.tobytes(), bucket))
            else:
                db.execute("DELETE FROM bands WHERE bucket = ?", (bucket,))


def stored_keys(db: sqlite3.Connection, buckets: int = 1 << 14) -> Iterator[np.ndarray]:
    """Every band entry's key (bucket << 16 | tag, uint64), ``buckets`` buckets at a time: one query each,
    its rows joined by SQLite (a row at a time through Python would cost more than the rest)."""
    (last,) = db.execute("SELECT MAX(bucket) FROM bands").fetchone()
    for start in range(0, (last or 0) + 1, buckets):
        sizes, blob = db.execute(_STORED, (start, start + buckets)).fetchone()
        if sizes:
            pairs = np.fromstring(sizes, dtype=np.int64, sep=",").reshape(-1, 2)  # (bucket, bytes), in the blob's order
            tags = np.frombuffer(blob, dtype=ENTRY)["tag"].astype(np.uint64)
            yield (np.repeat(pairs[:, 0].astype(np.uint64), pairs[:, 1] // ENTRY.itemsize) << np.uint64(16)) | tags
