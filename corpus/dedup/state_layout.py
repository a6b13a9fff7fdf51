"""How the SQLite state (schema 4) packs its records and band keys: :mod:`corpus.dedup.state` keeps them.

Ids as 16 bytes, paths as a shared folder and a name, band keys as 6-byte entries grouped in buckets,
and the rewrite of a schema-3 state into this layout.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import xxhash

from corpus.dedup.minhash import MinHashParams

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


def band_keys(hashvalues: np.ndarray, params: MinHashParams) -> list[int]:
    """One signed 64-bit key per LSH band (band number included, so bands never collide)."""
    return [d - (1 << 63) for d in _digests(np.asarray(hashvalues, dtype=np.uint32).tobytes(), params)]


def _digests(values: bytes, params: MinHashParams) -> list[int]:
    width = 4 * params.rows
    return [xxhash.xxh64_intdigest(values[band * width: (band + 1) * width], seed=band)
            for band in range(params.bands)]


def bucket_keys(hashvalues: np.ndarray, params: MinHashParams) -> tuple[list[int], list[int]]:
    """(buckets, tags) of a signature's LSH bands in the SQLite index: see BUCKET_BITS."""
    digests = _digests(np.asarray(hashvalues, dtype=np.uint32).tobytes(), params)
    return [d >> 44 for d in digests], [(d >> _TAG_SHIFT) & 0xFFFF for d in digests]


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


def split_path(path: str) -> tuple[str, str]:
    """(folder with its trailing /, name): the folder is stored once for all its records."""
    folder, sep, name = path.rpartition("/")
    return folder + sep, name


def packed_id(doc_id: str) -> bytes | str:
    """A content id (32 lowercase hex digits) as its 16 bytes; any other id (a crawler's) as it is."""
    if len(doc_id) == 32 and all(c in "0123456789abcdef" for c in doc_id):
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
        keys = [bucket_keys(np.frombuffer(sig, np.uint32), params) for sig in sigs]
        append_entries(db, np.array([b for b, _ in keys], dtype=np.int64).ravel(),
                       np.array([t for _, t in keys], dtype=np.uint16).ravel(),
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
        buckets = {b for r in rows for b in bucket_keys(np.frombuffer(r[1], np.uint32), params)[0]}
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
