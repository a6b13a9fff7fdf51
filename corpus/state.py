"""The persistent dedup index behind ``--state``: what earlier nights kept.

A SQLite database (standard library) holds, for every record a run kept, its id,
source path, the time it was first seen, its MinHash signature and its LSH band
keys. A night's run reads it to find copies of earlier stories and, once its
output is safely written, adds its own kept records in one transaction: a run
killed half-way leaves the state as it was. A lock file keeps two runs from
writing at once. The MinHash parameters are stored with the index; a run with
other parameters is refused, since its signatures could not be compared.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xxhash

from corpus.dedup import SCHEME, MinHashParams, Signature

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    shingles INTEGER NOT NULL,
    words INTEGER NOT NULL,
    signature BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_first_seen ON docs (first_seen);
CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
"""


class StateError(Exception):
    """The state cannot be used: locked by another run, or built with other parameters."""


@dataclass
class StoredRecord:
    id: str
    first_seen: str
    signature: Signature


def band_keys(hashvalues: np.ndarray, params: MinHashParams) -> list[int]:
    """One signed 64-bit key per LSH band (band number included, so bands never collide)."""
    values = np.asarray(hashvalues, dtype=np.uint32)
    keys = []
    for band in range(params.bands):
        chunk = values[band * params.rows: (band + 1) * params.rows].tobytes()
        keys.append(xxhash.xxh64_intdigest(chunk, seed=band) - (1 << 63))
    return keys


def params_record(params: MinHashParams) -> str:
    """What must match for stored signatures to be comparable with new ones."""
    return json.dumps({**params.as_dict(), "scheme": SCHEME, "hash": "xxh32-words-mix64",
                       "shingles": "nfkc-casefold-words"}, sort_keys=True)


@contextmanager
def locked(path: str, wait: float, announce: bool = True) -> Iterator[None]:
    """An exclusive lock beside the database; waits up to ``wait`` seconds, saying so once."""
    lock_path = f"{path}.lock"
    handle = open(lock_path, "a+")  # noqa: SIM115 - held for the whole block
    try:
        deadline = time.monotonic() + wait
        said = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StateError(f"{path} is in use by another newsclean run (waited {wait:g} s; "
                                     "see --lock-wait)") from None
                if announce and not said:
                    print(f"newsclean: waiting for another run to release {path}", file=sys.stderr)
                    said = True
                time.sleep(0.2)
        yield
    finally:
        handle.close()


class StateIndex:
    """Read earlier nights' signatures during a run; write the night's kept records at its end."""

    def __init__(self, path: str, params: MinHashParams) -> None:
        self.path = path
        self.params = params
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._pending = 0
        self._check_params()

    def _check_params(self) -> None:
        wanted = params_record(self.params)
        rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if not rows:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO meta VALUES (?, ?)",
                                 [("schema", str(SCHEMA_VERSION)), ("minhash", wanted)])
            self._db.execute("COMMIT")
            return
        if rows.get("schema") != str(SCHEMA_VERSION):
            raise StateError(f"{self.path}: state schema {rows.get('schema')} is not {SCHEMA_VERSION}")
        if rows.get("minhash") != wanted:
            raise StateError(f"{self.path} was built with other MinHash parameters ({rows.get('minhash')}); "
                             "its signatures cannot be compared with this run's: use another --state file")

    def close(self) -> None:
        """Close; a transaction still open (the run did not finish) is rolled back."""
        self.rollback()
        self._db.close()

    def lookup(self, sig: Signature) -> list[StoredRecord]:
        """Stored records sharing at least one LSH band with ``sig`` (candidates, not yet confirmed)."""
        keys = band_keys(sig.hashvalues, self.params)
        marks = ",".join("?" * len(keys))
        rows = self._db.execute(
            f"SELECT id, first_seen, shingles, words, signature FROM docs WHERE rowid IN "
            f"(SELECT doc FROM bands WHERE key IN ({marks}))", keys).fetchall()
        return [StoredRecord(doc_id, seen, Signature(np.frombuffer(blob, dtype=np.uint32), shingles, words))
                for doc_id, seen, shingles, words, blob in rows]

    def begin(self) -> None:
        """Open the run's one write transaction; nothing is visible or kept until :meth:`commit`."""
        self._db.execute("BEGIN IMMEDIATE")
        self._pending = 0

    def add(self, doc_id: str, path: str, sig: Signature, first_seen: str) -> None:
        """Add a kept record inside the open transaction; an id already stored keeps its entry."""
        cur = self._db.execute(
            "INSERT OR IGNORE INTO docs (id, path, first_seen, shingles, words, signature) VALUES (?, ?, ?, ?, ?, ?)",
            (doc_id, path, first_seen, sig.shingles, sig.words, np.asarray(sig.hashvalues, dtype=np.uint32).tobytes()))
        if cur.rowcount:
            self._db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)",
                                 [(key, cur.lastrowid) for key in band_keys(sig.hashvalues, self.params)])
            self._pending += 1

    def commit(self) -> int:
        """Make the run's records part of the state; returns how many were added."""
        self._db.execute("COMMIT")
        return self._pending

    def rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def add_all(self, records: Iterable[tuple[str, str, Signature]], first_seen: str) -> int:
        """Add (id, path, signature) records in one transaction."""
        self.begin()
        try:
            for doc_id, path, sig in records:
                self.add(doc_id, path, sig, first_seen)
        except BaseException:
            self.rollback()
            raise
        return self.commit()

    def info(self) -> dict:
        count, oldest, newest = self._db.execute(
            "SELECT COUNT(*), MIN(first_seen), MAX(first_seen) FROM docs").fetchone()
        return {
            "path": self.path,
            "records": count,
            "bytes": sum(os.path.getsize(p) for p in (self.path, f"{self.path}-wal") if os.path.exists(p)),
            "oldest": oldest,
            "newest": newest,
            "minhash": json.loads(params_record(self.params)),
        }

    def prune(self, before: str) -> int:
        """Forget records first seen before ``before`` (an ISO date or time); returns how many."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("DELETE FROM bands WHERE doc IN (SELECT rowid FROM docs WHERE first_seen < ?)", (before,))
            removed = self._db.execute("DELETE FROM docs WHERE first_seen < ?", (before,)).rowcount
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.execute("VACUUM")
        return removed


def stored_params(path: str) -> MinHashParams | None:
    """The parameters a state file was built with (for ``state info`` on any file)."""
    if not Path(path).is_file():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'minhash'").fetchone()
    except sqlite3.DatabaseError as err:
        raise StateError(f"{path} is not a newsclean state: {err}") from err
    finally:
        db.close()
    if row is None:
        return None
    data = json.loads(row[0])
    return MinHashParams(**{k: data[k] for k in MinHashParams().as_dict()})
