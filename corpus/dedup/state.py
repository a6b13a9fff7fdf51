"""The persistent dedup index behind ``--state``: what earlier nights kept.

A SQLite database (standard library) holds, for every record a run kept, its id,
source path, the time it was first seen, the run that kept it, its MinHash signature
and its LSH band keys; for every run, its fingerprint (see corpus.identity), so a
rerun can see the state as it was before it, and its counts of repeated lines (run-wide
and per site, :mod:`corpus.clean.repeated`), which later nights add to. A night's run reads it
to find copies of earlier stories and, once its outputs are written, adds its own kept
records in one transaction: a run killed half-way leaves the state as it was. A lock
file keeps two runs from writing at once. The MinHash parameters and the id scheme are
stored with the index; a run with others is refused, since its signatures or ids could not be
compared. The file's integrity is checked when it is opened.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from corpus.clean.repeated import Counts
from corpus.dedup.minhash import SCHEME, MinHashParams, Signature, StoredRecord
from corpus.dedup.state_layout import (
    BAND_INDEX,
    add_records,
    band_keys,
    entry_keys,
    forget_entries,
    records_of,
    rewrite_schema_3,
    rows_with_entries,
    stored_keys,
    unpacked_id,
)
from corpus.dedup.state_tags import ENTRY_ROW, TagIndex, entry_row
from corpus.identity import ID_SCHEME

SCHEMA_VERSION = 4
# schema 4: a record's id as its 16 bytes (a 32-hex-digit content id; any other id as its text),
# its path as a folder (shared, in `folders`) and a name, its first-seen time as a number of
# `instants` (the texts, each stored once); its band keys packed by bucket (see entry_keys):
# about 0.9 KB a record instead of 1.6, and a lookup is one indexed query
_TABLES = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    id BLOB NOT NULL UNIQUE,
    folder INTEGER NOT NULL,
    name TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    shingles INTEGER NOT NULL,
    words INTEGER NOT NULL,
    signature BLOB NOT NULL,
    run INTEGER NOT NULL DEFAULT 0
)""",
    "CREATE INDEX IF NOT EXISTS docs_first_seen ON docs (first_seen)",
    "CREATE TABLE IF NOT EXISTS folders (n INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)",
    "CREATE TABLE IF NOT EXISTS instants (n INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)",
    "CREATE TABLE IF NOT EXISTS bands (bucket INTEGER PRIMARY KEY, entries BLOB NOT NULL)",
    """CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    started TEXT NOT NULL,
    mode TEXT NOT NULL,
    kept INTEGER NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS runs_fingerprint ON runs (fingerprint)",
]
_SCHEMA = ";\n".join(_TABLES) + ";\n"
# a run's line keys (8 bytes each, little-endian) and their counts (4 bytes each), as two arrays:
# a row per key would cost about three times as much
_LINES_TABLE = "CREATE TABLE IF NOT EXISTS lines (run INTEGER PRIMARY KEY, keys BLOB NOT NULL, counts BLOB NOT NULL)"

# schema 1 (newsclean 0.x before content ids): same tables without runs; its records stay
# comparable (their path-based ids never equal a content id) and count as run 0
_UPGRADE_FROM_1 = "ALTER TABLE docs ADD COLUMN run INTEGER NOT NULL DEFAULT 0"
# schema 2 (before line counts): the same tables without lines; it starts counting on upgrade
# schema 3 (before the compact layout): docs with the id, path and first-seen time as texts, and a
# row (64-bit key, record) per band key; rewritten as schema 4 on upgrade (see _rewrite_schema_3)

# reads through a memory map: lookups twice as fast at 1,000,000 records as through the page cache
# (`make bench-state`, 2026-12-03; a larger cache_size made no difference); this SQLite maps at most
# 2 GiB (its SQLITE_MAX_MMAP_SIZE) and reads the rest of a larger file as before
_PRAGMAS = ("PRAGMA mmap_size = 4294967296",)
_BEFORE = "SELECT n FROM instants WHERE text < ?"
# lookups made through SQL alone before the band tags are read into memory (1.9 s of CPU and 132 MiB at
# 1,000,000 records, `make bench-state`): a run of a few documents, `explain`, never reads them
TAGS_AFTER = 256


class StateError(Exception):
    """The state cannot be used: locked by another run, or built with other parameters."""


def params_record(params: MinHashParams) -> str:
    """What must match for stored signatures to be comparable with new ones."""
    return json.dumps({**params.as_dict(), "scheme": SCHEME, "hash": "xxh32-words-mix64",
                       "shingles": "nfkc-casefold-words"}, sort_keys=True)


@contextmanager
def locked(path: str, wait: float, announce: bool = True) -> Iterator[None]:
    """An exclusive lock beside the database; waits up to ``wait`` seconds, saying so once."""
    lock_path = f"{os.path.realpath(path)}.lock"  # one lock however the path is spelt (links, ./, a slash)
    created = not os.path.lexists(lock_path)
    try:
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the whole block
    except PermissionError:  # left by a run of another user: a lock needs no write access
        try:
            handle = open(lock_path)  # noqa: SIM115
        except OSError as err:
            raise StateError(f"{lock_path}: cannot open the lock file ({err.strerror})") from err
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
        try:
            yield
        except StateError:
            if created:  # the state could not be used (--state out.jsonl by mistake): leave no lock file for it
                with suppress(OSError):
                    os.unlink(lock_path)
            raise
    finally:
        handle.close()


class StateIndex:
    """Read earlier nights' signatures during a run; write the night's kept records at its end."""

    def __init__(self, path: str, params: MinHashParams) -> None:
        self.path = path
        self.params = params
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            problem = integrity_problem(self._db)
            if problem:
                self._db.close()
                raise StateError(f"{path} is damaged ({problem}): restore it from a backup, or move it aside "
                                 "to start a new state (`newsclean state check` says more)")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            for pragma in _PRAGMAS:
                self._db.execute(pragma)
            self._db.create_function(ENTRY_ROW, 2, entry_row, deterministic=True)
            self._upgrade()
            self._db.executescript(_SCHEMA + _LINES_TABLE + ";")
        except sqlite3.DatabaseError as err:
            raise StateError(f"{path}: not a usable newsclean state ({err})") from err
        self._pending = 0
        self._tags: TagIndex | None = None  # the band tags in memory (see lookup)
        self._lookups = 0
        self._tags_of = (-1, -1)  # (this connection's changes, the file's data_version) the tags are of
        self._writing = False  # inside the run's write transaction (begin): no other connection can commit
        self._settled = False  # the tags were checked against the file inside it
        self._check_params()

    def _upgrade(self) -> None:
        """Bring a schema-1, 2 or 3 state to this schema in place (one transaction: a run killed while it
        upgrades leaves the old state)."""
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables:
            return
        schema = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if schema not in (("1",), ("2",), ("3",)):
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if schema == ("1",):
                self._db.execute(_UPGRADE_FROM_1)
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('ids', ?)", (ID_SCHEME,))
            self._db.execute(_LINES_TABLE)
            built_with = self._db.execute("SELECT value FROM meta WHERE key = 'minhash'").fetchone()
            params = params_of(built_with[0]) if built_with else self.params
            if "path" in {row[1] for row in self._db.execute("PRAGMA table_info(docs)")}:  # the schema-3 layout
                rewrite_schema_3(self._db, params, _TABLES)
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('bands', ?)", (BAND_INDEX,))
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _check_params(self) -> None:
        wanted = params_record(self.params)
        rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if not rows:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO meta VALUES (?, ?)",
                                 [("schema", str(SCHEMA_VERSION)), ("minhash", wanted), ("ids", ID_SCHEME),
                                  ("bands", BAND_INDEX)])
            self._db.execute("COMMIT")
            return
        if rows.get("schema") != str(SCHEMA_VERSION):
            raise StateError(f"{self.path}: state schema {rows.get('schema')} is newer than this newsclean "
                             f"reads ({SCHEMA_VERSION}): upgrade newsclean, or use another --state file")
        if rows.get("ids") != ID_SCHEME:
            raise StateError(f"{self.path} holds ids of another scheme ({rows.get('ids')}); use another --state file")
        if rows.get("bands") != BAND_INDEX:
            raise StateError(f"{self.path} keeps its band keys in another layout ({rows.get('bands')}); "
                             "use another --state file")
        if rows.get("minhash") != wanted:
            raise StateError(f"{self.path} was built with other MinHash parameters ({rows.get('minhash')}); "
                             "its signatures cannot be compared with this run's: use another --state file")

    def close(self) -> None:
        """Close; a transaction still open (the run did not finish) is rolled back."""
        self.rollback()
        self._db.close()

    def lookup(self, sig: Signature) -> list[StoredRecord]:
        """Stored records sharing at least one LSH band with ``sig`` (candidates, not yet confirmed), in the
        order they were stored. The band tags in memory (:mod:`corpus.dedup.state_tags`) say which bands
        some record has, and how many records at most; the ``bands`` table is read only for those, one
        bucket first: the records found there, read with their signatures, account for every band whose
        values they share with ``sig``, and the buckets of bands they do not account for are read next.
        A near-copy of one stored record costs two indexed queries, a miss usually none. The first
        lookups (see TAGS_AFTER) read every band's bucket instead, in one query."""
        keys = entry_keys(sig.hashvalues, self.params)
        tags = self._tag_index()
        if tags is None:
            return list(records_of(self._db, rows_with_entries(self._db, keys.tolist())).values())
        return tags.lookup(self._db, keys, sig.hashvalues, self.params)

    def _tag_index(self) -> TagIndex | None:
        """The band tags in memory once TAGS_AFTER lookups were made, read again when the file changed
        otherwise than through :meth:`add` (another connection's commit, a prune, a rolled-back run, a
        write straight to the tables). Inside the run's write transaction (:meth:`begin`) no other connection
        commits: the file's data_version, a statement of its own (a tenth of a lookup), is asked only once."""
        self._lookups += 1
        if self._lookups <= TAGS_AFTER:
            return None
        if self._settled and self._tags_of[0] == self._db.total_changes and not self._tags.full:
            return self._tags
        (version,) = self._db.execute("PRAGMA data_version").fetchone()
        if self._tags is None or self._tags.full or self._tags_of != (self._db.total_changes, version):
            self._tags = None  # the old one freed before the new one is read
            (records,) = self._db.execute("SELECT COUNT(*) FROM docs").fetchone()
            self._tags = TagIndex(stored_keys(self._db), records * self.params.bands)
            self._tags_of = (self._db.total_changes, version)
        self._settled = self._writing  # no other connection commits before ours: data_version is asked once
        return self._tags

    def _wrote_no_bands(self, changes: int) -> None:
        """Rows were written that are not band entries (runs, line counts): the tags in memory still hold."""
        if self._tags_of[0] == changes:
            self._tags_of = (self._db.total_changes, self._tags_of[1])

    def stored_docs(self) -> Iterator[tuple[int, str, str, str, int, int, int, bytes]]:
        """Every stored record: (row, id, path, first_seen, run, shingles, words, signature bytes). Read through
        the page cache, not the memory map: a whole-table scan through the map would leave every page of the
        file resident in this process (about 1.3 KB a record; the Dask client's peak, issue 27)."""
        self._db.execute("PRAGMA mmap_size = 0")
        try:
            for row, doc_id, path, seen, *rest in self._db.execute(
                    "SELECT d.rowid, d.id, f.text || d.name, i.text, d.run, d.shingles, d.words, d.signature FROM docs "
                    "d JOIN folders f ON f.n = d.folder JOIN instants i ON i.n = d.first_seen ORDER BY d.rowid"):
                yield (row, unpacked_id(doc_id), path, seen, *rest)
        finally:
            for pragma in _PRAGMAS:
                self._db.execute(pragma)

    def stored_bands(self) -> Iterator[tuple[int, int]]:
        """Every stored record's 64-bit band keys (:func:`band_keys`, as the Parquet state and the Dask
        executor join them): (key, row of its record), record by record, from the signatures."""
        for row, blob in self._db.execute("SELECT rowid, signature FROM docs ORDER BY rowid"):
            for key in band_keys(np.frombuffer(blob, dtype=np.uint32), self.params):
                yield key, row

    def stored_runs(self) -> list[tuple[int, str, str, str, int]]:
        """Every run: (run, fingerprint, started, mode, kept)."""
        return self._db.execute("SELECT run, fingerprint, started, mode, kept FROM runs ORDER BY run").fetchall()

    def begin(self) -> None:
        """Open the run's one write transaction; nothing is visible or kept until :meth:`commit`."""
        self._db.execute("BEGIN IMMEDIATE")
        self._pending = 0
        self._writing = True

    def next_run(self) -> int:
        """The number a new run gets (runs are numbered 1, 2, ...; schema-1 records are run 0)."""
        (last,) = self._db.execute("SELECT MAX(run) FROM runs").fetchone()
        return (last or 0) + 1

    def rerun_of(self, fingerprint: str, any_mode: bool = False) -> int | None:
        """The number of the first batch run (``any_mode``: run of any mode) that read exactly these inputs."""
        modes = "" if any_mode else " AND mode = 'batch'"
        row = self._db.execute(f"SELECT MIN(run) FROM runs WHERE fingerprint = ?{modes}", (fingerprint,)).fetchone()
        return row[0] if row else None

    def line_counts(self, before: int | None = None) -> Counts:
        """The repeated-line counts of every run (``before``: of the runs before that one), added up."""
        rows = self._db.execute("SELECT keys, counts FROM lines WHERE run < ?",
                                (1 << 62 if before is None else before,)).fetchall()
        return Counts.summed((np.frombuffer(k, "<u8") for k, _ in rows), (np.frombuffer(c, "<u4") for _, c in rows))

    def stored_lines(self) -> Iterator[tuple[int, Counts]]:
        """Every run's repeated-line counts: (run, counts)."""
        for run, keys, counts in self._db.execute("SELECT run, keys, counts FROM lines ORDER BY run"):
            yield run, Counts(np.frombuffer(keys, "<u8"), np.frombuffer(counts, "<u4"))

    def add_lines(self, run: int, counts: Counts) -> None:
        """Keep a run's repeated-line counts, inside the open transaction."""
        changes = self._db.total_changes
        if len(counts):
            self._db.execute("INSERT OR REPLACE INTO lines VALUES (?, ?, ?)",
                             (run, counts.keys.astype("<u8").tobytes(), counts.counts.astype("<u4").tobytes()))
        self._wrote_no_bands(changes)

    def add(self, doc_id: str, path: str, sig: Signature, first_seen: str, run: int = 0) -> None:
        """Add a kept record inside the open transaction; an id already stored (a rerun) keeps its entry.
        The band tags in memory, if read, take its entries (a streaming run's later lookups find it)."""
        changes = self._db.total_changes
        added = add_records(self._db, self.params, [
            (None, doc_id, path, first_seen, sig.shingles, sig.words,
             np.asarray(sig.hashvalues, dtype=np.uint32).tobytes(), run)], ignore=True)
        self._pending += added
        if added and self._tags is not None and self._tags_of[0] == changes:
            self._tags.add(entry_keys(sig.hashvalues, self.params))
        self._wrote_no_bands(changes)

    def commit(self, run: int = 0, fingerprint: str = "", started: str = "", mode: str = "batch",
               rerun: bool = False) -> int:
        """Make the run's records part of the state; returns how many were added."""
        changes = self._db.total_changes
        if run and not rerun:
            self._db.execute("INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?)",
                             (run, fingerprint, started, mode, self._pending))
        self._db.execute("COMMIT")
        self._writing = self._settled = False
        self._wrote_no_bands(changes)
        return self._pending

    def rollback(self) -> None:
        self._writing = self._settled = False
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
            self._tags = None  # it may hold the entries of records rolled back

    def add_all(self, records: Iterable[tuple[str, str, Signature]], first_seen: str) -> int:
        """Add (id, path, signature) records in one transaction, as one run."""
        self.begin()
        run = self.next_run()
        try:
            for doc_id, path, sig in records:
                self.add(doc_id, path, sig, first_seen, run)
        except BaseException:
            self.rollback()
            raise
        return self.commit(run, f"bulk-{run}", first_seen, "bulk")

    def info(self) -> dict:
        (count,) = self._db.execute("SELECT COUNT(*) FROM docs").fetchone()
        oldest, newest = self._db.execute(
            "SELECT MIN(text), MAX(text) FROM instants WHERE EXISTS (SELECT 1 FROM docs WHERE first_seen = n)"
        ).fetchone()
        (runs,) = self._db.execute("SELECT COUNT(*) FROM runs").fetchone()
        return {
            "path": self.path,
            "schema": SCHEMA_VERSION,
            "records": count,
            "runs": runs,
            "bytes": sum(os.path.getsize(p) for p in (self.path, f"{self.path}-wal") if os.path.exists(p)),
            "oldest": oldest,
            "newest": newest,
            "minhash": json.loads(params_record(self.params)),
        }

    def count_before(self, before: str) -> int:
        (count,) = self._db.execute(f"SELECT COUNT(*) FROM docs WHERE first_seen IN ({_BEFORE})", (before,)).fetchone()
        return count

    def prune(self, before: str) -> int:
        """Forget records first seen before ``before`` (UTC, as :func:`utc_instant` gives); returns how many."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            forget_entries(self._db, self.params, f"SELECT rowid, signature FROM docs WHERE first_seen IN ({_BEFORE})"
                           " AND rowid > ? ORDER BY rowid LIMIT 20000", (before,))
            removed = self._db.execute(f"DELETE FROM docs WHERE first_seen IN ({_BEFORE})", (before,)).rowcount
            self._db.execute("DELETE FROM instants WHERE NOT EXISTS (SELECT 1 FROM docs WHERE first_seen = n)")
            self._db.execute("DELETE FROM folders WHERE n NOT IN (SELECT folder FROM docs)")
            self._db.execute("DELETE FROM lines WHERE run IN (SELECT run FROM runs WHERE started < ?)", (before,))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.execute("VACUUM")
        return removed


def params_of(record: str) -> MinHashParams:
    """The parameters a :func:`params_record` describes."""
    data = json.loads(record)
    return MinHashParams(**{k: data[k] for k in MinHashParams().as_dict()})


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


def foreign_database(path: str) -> str | None:
    """Why the SQLite file at ``path`` is not newsclean's to write in (tables but no ``meta``), or None
    (no such file, an empty one, an empty database, a newsclean state, or not a database at all, which
    opening it reports)."""
    try:
        if os.path.getsize(path) == 0:
            return None
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except (OSError, sqlite3.Error):
        return None
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        return None
    finally:
        db.close()
    if tables and "meta" not in tables:
        return (f"{path} is an SQLite database of something else (tables {', '.join(sorted(tables)[:5])}), "
                "not a newsclean state: give a new file")
    return None


def integrity_problem(db: sqlite3.Connection, thorough: bool = False) -> str | None:
    """None when SQLite finds the file sound, else its first complaint (quick_check at open,
    integrity_check for ``state check``)."""
    pragma = "integrity_check" if thorough else "quick_check"
    rows = db.execute(f"PRAGMA {pragma}(5)").fetchall()
    return None if rows == [("ok",)] else "; ".join(str(row[0]) for row in rows)


_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?")


def utc_instant(text: str) -> str:
    """A calendar date (YYYY-MM-DD, midnight UTC) or date-time (UTC unless it names an offset) as the
    UTC form first-seen times are stored in; anything else (20260601, week dates) is a ValueError."""
    if not _INSTANT.fullmatch(text.strip()):
        raise ValueError(f"not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS][+HH:MM]): {text!r}")
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat(timespec="seconds")
    except OverflowError:  # 0001-01-01T00:00+01:00 is in year 0 in UTC, 9999-12-31T23:59-01:00 in year 10000
        raise ValueError(f"{text!r} is outside the years 1 to 9999 once it is turned into UTC") from None
